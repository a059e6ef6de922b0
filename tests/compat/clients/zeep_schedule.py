"""zeep (strict) against Sendwell: a ScheduleRequest with a WeeklyRecurrence.

Usage: ``python zeep_schedule.py WORKDIR``, inside a network namespace with only loopback.

Recipe: ``Client(base + "/etframework.wsdl", wsse=UsernameToken(...))``; ``service.Schedule``
with Action ``start``, a ``WeeklyRecurrence`` (ByDay, every week, every day of the week chosen so
that today counts), ``EndAfter`` 2 occurrences, a StartDateTime a few seconds ahead written by
zeep from an aware UTC datetime, and the demo ``Definition_Key`` as the Interaction. Then
Retrieve the Send by the Task ID until Complete, Retrieve Sends with Status Scheduled (the second
occurrence, a week-day later), cancel that one with Perform ``cancel`` on ``Send`` and read it
back; a Schedule with a past start comes back as an error result zeep still parses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import harness
from zeep import Client
from zeep.helpers import serialize_object
from zeep.wsse.username import UsernameToken

SEND_PROPERTIES = ["ID", "Status", "SendDate", "NumberSent", "NumberTargeted"]
DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def plain(value: Any) -> Any:
    return serialize_object(value, dict)


def recipe(server: harness.Server, result: dict[str, Any]) -> None:
    client = Client(
        server.base + "/etframework.wsdl", wsse=UsernameToken(server.username, server.password)
    )
    result["strict"] = client.settings.strict
    service = client.service
    WeeklyRecurrence = client.get_type("ns0:WeeklyRecurrence")
    ScheduleDefinition = client.get_type("ns0:ScheduleDefinition")
    EmailSendDefinition = client.get_type("ns0:EmailSendDefinition")
    SimpleFilterPart = client.get_type("ns0:SimpleFilterPart")
    Send = client.get_type("ns0:Send")

    def schedule(start: datetime) -> Any:
        return service.Schedule(
            Action="start",
            Schedule=ScheduleDefinition(
                Recurrence=WeeklyRecurrence(
                    WeeklyRecurrencePatternType="ByDay",
                    WeekInterval=1,
                    **dict.fromkeys(DAYS, True),
                ),
                RecurrenceType="Weekly",
                RecurrenceRangeType="EndAfter",
                StartDateTime=start,
                Occurrences=2,
            ),
            Interactions={"Interaction": [EmailSendDefinition(CustomerKey="Definition_Key")]},
        )

    def sends(prop: str, value: str) -> list[Any]:
        got = service.Retrieve(
            RetrieveRequest={
                "ObjectType": "Send",
                "Properties": SEND_PROPERTIES,
                "Filter": SimpleFilterPart(Property=prop, SimpleOperator="equals", Value=[value]),
            }
        )
        return list(got.Results or [])

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    result["start_utc"] = start.isoformat()
    reply = schedule(start)
    first = reply.Results.Result[0]
    result["reply"] = {
        "OverallStatus": reply.OverallStatus,
        "StatusCode": first.StatusCode,
        "StatusMessage": first.StatusMessage,
        "TaskID": first.Task.ID,
        "RecurrenceType": type(first.Object.Recurrence).__name__,
        "Recurrence": plain(first.Object.Recurrence),
        "StartDateTime": first.Object.StartDateTime.isoformat(),
    }
    task_id = str(first.Task.ID)

    def complete() -> Any:
        found = sends("ID", task_id)
        return found[0] if found and found[0].Status in ("Complete", "Error", "Canceled") else None

    done = harness.wait_for(complete, timeout=40)
    result["done"] = plain(done)
    result["captured"] = len(server.captured(int(task_id)))
    scheduled = sends("Status", "Scheduled")
    result["scheduled"] = [plain(s) for s in scheduled]

    if scheduled:
        next_id = scheduled[0].ID
        cancel = service.Perform(
            Action="cancel", Definitions={"Definition": [Send(ID=next_id)]}
        ).Results.Result[0]
        result["cancel"] = {"StatusCode": cancel.StatusCode, "Task": plain(cancel.Task)}
        result["after_cancel"] = [plain(s) for s in sends("ID", str(next_id))]

    past = schedule(start - timedelta(days=1)).Results.Result[0]
    result["past"] = {
        "StatusCode": past.StatusCode,
        "ErrorCode": past.ErrorCode,
        "StatusMessage": past.StatusMessage,
        "TaskStatusCode": past.Task.StatusCode,
    }


if __name__ == "__main__":
    harness.run(recipe)
