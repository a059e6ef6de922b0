"""zeep (strict) against Sendwell: the dates a Marketing Cloud client writes and reads.

Usage: ``python zeep_dates.py WORKDIR``, inside a network namespace with only loopback.

Recipe: Create an Email whose text part prints AMPscript's ``Now()``, an EmailSendDefinition to
the demo data extension, Perform start and Retrieve the Send's dates until Complete (zeep reads
them into naive datetimes, as Marketing Cloud writes them without an offset); Retrieve the Send
again with ``DateValue`` filters written as zeep writes them (a naive datetime, one in UTC, one
at +02:00, and the SendDate just read, back as it came); Create an Email whose CustomerKey is
taken, with a CreatedDate in UTC, to see the date in the echo of the request. The stored UTC
moments and the captured messages are read from the database for the pytest side to compare.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import harness
from sqlalchemy import select
from zeep import Client
from zeep.wsse.username import UsernameToken

from sendwell.store.tables import send_jobs

DATES = ["ID", "Status", "CreatedDate", "ModifiedDate", "SendDate", "SentDate"]
NOW_TEXT = 'Now() says %%=Format(Now(), "yyyy-MM-ddTHH:mm:ss.fff")=%% for %%FirstName%%'
ECHOED_UTC = datetime(2026, 11, 30, 14, 15, 0, 123000, tzinfo=UTC)


def iso(value: Any) -> Any:
    """A datetime as ISO text, with ``tz`` saying whether zeep gave it a zone."""
    if isinstance(value, datetime):
        return {"iso": value.isoformat(), "tz": None if value.tzinfo is None else str(value.tzinfo)}
    return value


def recipe(server: harness.Server, result: dict[str, Any]) -> None:
    client = Client(
        server.base + "/etframework.wsdl", wsse=UsernameToken(server.username, server.password)
    )
    service = client.service
    SimpleFilterPart = client.get_type("ns0:SimpleFilterPart")
    EmailSendDefinition = client.get_type("ns0:EmailSendDefinition")
    Email = client.get_type("ns0:Email")

    def by(prop: str, value: str) -> Any:
        return SimpleFilterPart(Property=prop, SimpleOperator="equals", Value=[value])

    de = service.Retrieve(
        RetrieveRequest={
            "ObjectType": "DataExtension",
            "Properties": ["ObjectID"],
            "Filter": by("CustomerKey", "DemoSubscribers"),
        }
    )
    created = service.Create(
        Options={},
        Objects=[
            Email(
                CustomerKey="compat-clock",
                Name="What time is it",
                Subject="Clock",
                TextBody=NOW_TEXT,
            )
        ],
    )
    email_id = created.Results[0].NewID
    service.Create(
        Options={},
        Objects=[
            EmailSendDefinition(
                CustomerKey="compat-dates",
                Name="zeep dates",
                Email={"ID": email_id},
                SendClassification={"CustomerKey": "Default Commercial"},
                SendDefinitionList=[
                    {
                        "SendDefinitionListType": "SourceList",
                        "CustomObjectID": de.Results[0].ObjectID,
                        "DataSourceTypeID": "CustomObject",
                    }
                ],
            )
        ],
    )
    performed = service.Perform(
        Options={},
        Action="start",
        Definitions={"Definition": [EmailSendDefinition(CustomerKey="compat-dates")]},
    )
    job_id = performed.Results.Result[0].Task.ID
    result["job_id"] = job_id

    def retrieve_send(filter_part: Any) -> Any:
        return service.Retrieve(
            RetrieveRequest={"ObjectType": "Send", "Properties": DATES, "Filter": filter_part}
        )

    def complete() -> Any:
        got = retrieve_send(by("ID", str(job_id)))
        done = got.Results and got.Results[0].Status in ("Complete", "Error", "Canceled")
        return got.Results[0] if done else None

    send = harness.wait_for(complete, timeout=30)
    result["send"] = {name: iso(getattr(send, name)) for name in DATES}

    def count(*values: datetime, op: str = "between") -> int:
        """Whether this send matches the date filter (1 or 0): the demo's own continuous
        jobs (triggered, transactional) may have been made in the same second."""
        part = SimpleFilterPart(Property="SendDate", SimpleOperator=op, DateValue=list(values))
        return sum(1 for r in retrieve_send(part).Results if str(r.ID) == str(job_id))

    second = timedelta(seconds=1)
    shown = send.SendDate  # naive: system time, as Marketing Cloud shows it
    as_utc = shown.replace(tzinfo=timezone(timedelta(hours=-6))).astimezone(UTC)
    plus_two = timezone(timedelta(hours=2))
    result["filters"] = {
        "naive_system_time": count(shown - second, shown + second),
        "utc": count(as_utc - second, as_utc + second),
        "plus_two": count(
            (as_utc - second).astimezone(plus_two), (as_utc + second).astimezone(plus_two)
        ),
        "naive_utc_read_as_system_time": count(
            as_utc.replace(tzinfo=None) - second, as_utc.replace(tzinfo=None) + second
        ),
        "equals_read_back": count(shown, op="equals"),
        "greater_than_read_back": count(shown, op="greaterThan"),
    }

    echo = service.Create(
        Options={},
        Objects=[Email(CustomerKey="compat-clock", Name="again", CreatedDate=ECHOED_UTC)],
    )
    result["echo"] = {
        "StatusCode": echo.Results[0].StatusCode,
        "CreatedDate": iso(echo.Results[0].Object.CreatedDate),
    }

    with server.engine.connect() as conn:
        job = conn.execute(select(send_jobs).where(send_jobs.c.id == int(job_id))).one()
    result["stored"] = {
        "created_at": job.created_at.isoformat(),
        "modified_at": job.modified_at.isoformat(),
        "completed_at": job.completed_at.isoformat(),
    }
    result["texts"] = [m["text"] for m in server.captured(int(job_id))]


if __name__ == "__main__":
    harness.run(recipe)
