"""Dates at the edges are Marketing Cloud system time, and SOAP, REST and AMPscript agree.

Sendwell stores naive UTC. Over SOAP every date is written in system time without an offset,
and an incoming date without a zone is read as system time ("Incoming Date Normalization");
the REST Send API reads a naive start time the same way, and AMPscript's ``Now()`` is system
time. One setting drives all three: with ``system_utc_offset_minutes=-420`` (stack 4) a start
time written to REST, the ``Send``'s dates read back over SOAP and the ``Now()`` in the
delivered message are in the same frame and can be compared as they are.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select
from tests.conftest import make_world
from tests.integration.send_api_support import BASE, bearer, definition, setup_account
from tests.integration.test_send_flow import build_graph, ok
from tests.support import PARTNER, create, perform_start, retrieve, soap, text, texts, wait_for

from sendwell.store.tables import captured_messages, send_jobs

DATES = ["ID", "Status", "CreatedDate", "ModifiedDate", "SendDate", "SentDate"]
NOW_TEXT = 'Sent at %%=Format(Now(), "o")=%% (%%xtshortdate%%)'


def shown(moment: datetime) -> str:
    """A date as Marketing Cloud writes it: no offset, no trailing zeros in the fraction."""
    return moment.isoformat(timespec="microseconds").rstrip("0").rstrip(".")


def date_filter(prop: str, op: str, *values: str, element: str = "DateValue") -> str:
    given = "".join(f"<{element}>{v}</{element}>" for v in values)
    return (
        f'<Filter xsi:type="SimpleFilterPart"><Property>{prop}</Property>'
        f"<SimpleOperator>{op}</SimpleOperator>{given}</Filter>"
    )


def sends_matching(world, filter_xml: str) -> list[str]:  # type: ignore[no-untyped-def]
    _, response = soap(
        world.client, "Retrieve", retrieve("Send", ["ID"], filter_xml), user=world.user
    )
    assert text(response, "p:OverallStatus") == "OK", text(response, "p:OverallStatus")
    return texts(response, "p:Results/p:ID")


def finished(world, job_id: str):  # type: ignore[no-untyped-def]
    def check():  # type: ignore[no-untyped-def]
        _, response = soap(
            world.client,
            "Retrieve",
            retrieve("Send", DATES, date_filter("ID", "equals", job_id, element="Value")),
            user=world.user,
        )
        done = text(response, "p:Results/p:Status") in ("Complete", "Error")
        return response.find("p:Results", {"p": PARTNER}) if done else None

    return wait_for(check)


def stored_job(world, job_id: str):  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        return conn.execute(select(send_jobs).where(send_jobs.c.id == int(job_id))).one()


def test_soap_writes_and_reads_dates_in_system_time(world) -> None:
    build_graph(world)
    response = ok(world.client, "Perform", perform_start("CustomerKey"), world.user)
    job_id = text(response, "p:Results/p:Result/p:Task/p:ID")
    send = finished(world, job_id)
    job = stored_job(world, job_id)
    system = timedelta(minutes=-360)

    # Read back: every date is the stored UTC moment six hours earlier, with no offset.
    assert text(send, "p:SendDate") == shown(job.created_at + system)
    assert text(send, "p:CreatedDate") == shown(job.created_at + system)
    assert text(send, "p:ModifiedDate") == shown(job.modified_at + system)
    assert text(send, "p:SentDate") == shown(job.completed_at + system)
    assert not re.search(r"(Z|[+-]\d\d:\d\d)$", text(send, "p:SendDate") or "")

    # Written in: a naive DateValue is system time, "Z" is UTC, an offset is that offset.
    moment = job.created_at
    second = timedelta(seconds=1)
    as_system = [shown(moment + system - second), shown(moment + system + second)]
    as_utc = [(moment - second).isoformat() + "Z", (moment + second).isoformat() + "Z"]
    plus_two = timezone(timedelta(hours=2))
    as_offset = [
        m.replace(tzinfo=UTC).astimezone(plus_two).isoformat()
        for m in (moment - second, moment + second)
    ]
    for between in (as_system, as_utc, as_offset):
        assert sends_matching(world, date_filter("SendDate", "between", *between)) == [job_id]
    naive_utc = [(moment - second).isoformat(), (moment + second).isoformat()]
    assert sends_matching(world, date_filter("SendDate", "between", *naive_utc)) == []

    # A date read back names the same instant when it is sent again, as DateValue or as text.
    again = text(send, "p:SendDate") or ""
    for element in ("DateValue", "Value"):
        equal = date_filter("SendDate", "equals", again, element=element)
        later = date_filter("SendDate", "greaterThan", again, element=element)
        assert sends_matching(world, equal) == [job_id], element
        assert sends_matching(world, later) == [], element


@pytest.fixture
def stack4(sqlite_url, tmp_path):  # type: ignore[no-untyped-def]
    """An installation on stack 4 (UTC-7): the setting every edge must follow."""
    for world in make_world(sqlite_url, system_utc_offset_minutes=-420):
        world.ids = setup_account(world, tmp_path)  # type: ignore[attr-defined]
        world.auth = bearer(world)  # type: ignore[attr-defined]
        yield world


def email_with_now(world) -> int:  # type: ignore[no-untyped-def]
    body = create(
        "Email",
        "<CustomerKey>clock</CustomerKey><Name>Clock</Name><Subject>What time is it</Subject>"
        f"<TextBody>{escape(NOW_TEXT)}</TextBody>",
    )
    created = ok(world.client, "Create", body, world.user)
    return int(text(created, "p:Results/p:NewID") or 0)


def test_rest_soap_and_ampscript_now_agree_on_system_time(stack4) -> None:
    world = stack4
    email_id = email_with_now(world)
    reply = world.client.post(
        BASE,
        json={"EmailDefinition": definition(world.ids, EmailId=email_id)},
        headers=world.auth,
    )
    assert reply.status_code == 201, reply.text
    definition_id = reply.json()["DefinitionId"]

    # REST: a naive start time one second ahead, written in system time (UTC-7).
    utc_start = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1)
    start = (utc_start - timedelta(hours=7)).replace(microsecond=0) + timedelta(seconds=1)
    scheduled = world.client.post(
        f"{BASE}/{definition_id}/schedule",
        json={"Schedule": {"AllRecipientsOptedIn": True, "StartDateTime": start.isoformat()}},
        headers=world.auth,
    ).json()
    assert scheduled["IsError"] is False, scheduled
    instance = world.client.get(f"{BASE}/instance/{scheduled['InstanceId']}", headers=world.auth)
    assert datetime.fromisoformat(instance.json()["ScheduledDate"]) == (
        start + timedelta(hours=7)
    ).replace(tzinfo=UTC)

    def job_of_instance():  # type: ignore[no-untyped-def]
        got = world.client.get(f"{BASE}/instance/{scheduled['InstanceId']}", headers=world.auth)
        return got.json()["Status"] == "Complete" and str(got.json()["JobId"])

    job_id = wait_for(job_of_instance)

    # SOAP: the Send's dates, read back in the same frame as the start time written to REST.
    send = finished(world, job_id)
    send_date = datetime.fromisoformat(text(send, "p:SendDate") or "")
    sent_date = datetime.fromisoformat(text(send, "p:SentDate") or "")
    assert start <= send_date <= sent_date
    job = stored_job(world, job_id)
    assert send_date == job.created_at - timedelta(hours=7)

    # AMPscript: Now() in every delivered message lies between the two, and says UTC-7.
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(captured_messages.c.data).where(captured_messages.c.job_id == int(job_id))
        ).all()
    assert rows
    for row in rows:
        body = message_from_bytes(row.data, policy=policy.default).get_body(("plain",))
        found = re.search(r"Sent at (\S+) \((\S+)\)", body.get_content())
        assert found, body.get_content()
        now = datetime.fromisoformat(found.group(1))
        assert now.utcoffset() == timedelta(hours=-7)
        millisecond = timedelta(milliseconds=1)
        assert send_date - millisecond <= now.replace(tzinfo=None) <= sent_date + millisecond
        assert found.group(2) == f"{now.month}/{now.day}/{now.year}"


def test_preview_now_is_system_time_at_the_configured_offset(stack4) -> None:
    world = stack4
    email_id = email_with_now(world)
    before = datetime.now(UTC)
    reply = world.client.post(
        "/sendwell/v1/preview", json={"emailId": email_id}, headers=world.auth
    )
    after = datetime.now(UTC)
    assert reply.status_code == 200, reply.text
    found = re.search(r"Sent at (\S+)", reply.json()["text"])
    assert found, reply.json()
    now = datetime.fromisoformat(found.group(1))
    assert now.utcoffset() == timedelta(hours=-7)
    assert before - timedelta(milliseconds=1) <= now <= after
