"""FuelSDKWrapper 1.3.4 against Sendwell: ``send_email`` schedules a send through SOAP Schedule.

Usage: ``python fuelsdkwrapper_schedule.py WORKDIR``, inside a network namespace with only
loopback. FuelSDKWrapper is ET_API over FuelSDK (salesforce-fuelsdk-sans, suds inside); its
``send_email(user_initiated_key, start_datetime)`` sends ``Schedule`` action ``start`` with a
``DailyRecurrence`` (Interval 1), ``Occurrences`` 1 and the naive start date, exactly as in
``shared/api/captures/fuelsdkwrapper-requests.txt``, and returns suds' ``(status, reply)``.

Recipe: ET_API with OAuth2 to Sendwell; ``send_email("Definition_Key", now + 4 s)`` with "now"
in Marketing Cloud system time (the wrapper sends the datetime as given, without an offset);
``get_objects(ET_Send, ID equals Task.ID)`` at once (Scheduled) and until Complete; the messages
the SMTP recorder received. Then a second ``send_email`` an hour ahead, cancelled with the
wrapper's ``perform_action("cancel", [Send{ID}])``, and its Status read back.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import harness

SYSTEM = timedelta(hours=-6)  # Marketing Cloud system time
SEND_PROPERTIES = ["ID", "Status", "SendDate", "NumberSent", "NumberTargeted"]


def plain(value: Any) -> Any:
    """A suds object (or list of them) as JSON-able dicts and lists."""
    from suds.sudsobject import Object, asdict

    if isinstance(value, Object):
        return {k: plain(v) for k, v in asdict(value).items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def system_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0) + SYSTEM


def recipe(server: harness.Server, result: dict[str, Any]) -> None:
    import FuelSDKWrapper
    from FuelSDKWrapper import ET_API, ObjectType, Operator, simple_filter

    result["wrapper_file"] = FuelSDKWrapper.__file__
    workdir = sys.argv[1]
    api = ET_API(
        params={
            "clientid": server.client_id,
            "clientsecret": server.client_secret,
            "defaultwsdl": server.base + "/etframework.wsdl",
            "wsdl_file_local_loc": f"{workdir}/fuelsdk-wsdl.xml",
            "baseapiurl": server.base,
            "authenticationurl": server.base,
            "useOAuth2Authentication": "True",
            "accountId": str(server.mid),
        }
    )

    def send_row(task_id: str) -> Any:
        got = api.get_objects(
            ObjectType.SEND, simple_filter("ID", Operator.EQUALS, task_id), SEND_PROPERTIES
        )
        return got.results[0] if got.results else None

    start = system_now() + timedelta(seconds=4)
    result["start"] = start.isoformat()
    status, reply = api.send_email("Definition_Key", start)
    first = reply.Results.Result[0]
    result["schedule"] = {"status": status, "reply": plain(reply)}
    task_id = str(first.Task.ID)
    result["task_id"] = task_id
    result["at_once"] = plain(send_row(task_id))
    result["smtp_at_once"] = len(server.extra["smtp"].messages)

    def complete() -> Any:
        row = send_row(task_id)
        return row if row is not None and row.Status in ("Complete", "Error", "Canceled") else None

    row = harness.wait_for(complete, timeout=40)
    result["done"] = plain(row)
    result["completed_system_time"] = system_now().isoformat()
    time.sleep(0.5)
    result["smtp"] = [
        {"rcpt_to": m.rcpt_to, "mail_from": m.mail_from, **harness.summarise(m.message)}
        for m in server.extra["smtp"].messages
    ]

    later = system_now() + timedelta(hours=1)
    _, second = api.send_email("Definition_Key", later)
    second_id = str(second.Results.Result[0].Task.ID)
    result["second_id"] = second_id
    send = api.parse_object("Send", {"ID": int(second_id)})
    cancelled = api.perform_action("cancel", [send])
    result["cancel"] = {
        "code": cancelled.code,
        "status": cancelled.status,
        "message": cancelled.message,
        "results": plain(cancelled.results),
    }
    result["second"] = plain(send_row(second_id))


if __name__ == "__main__":
    harness.run(recipe, smtp=True)
