"""SOAP ``Schedule`` on an EmailSendDefinition: a Scheduled Send that goes at its time over SMTP.

Real SMTP server, real workers, SQLite and PostgreSQL. Times are real: a schedule starts a
couple of seconds ahead, and where a test needs a later occurrence to be due now it moves that
job's ``scheduled_at`` in the database (the clock of the code under test is never touched).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select, update
from tests.conftest import make_world
from tests.integration.delivery_support import make_definition
from tests.integration.send_api_support import bearer
from tests.support import (
    NS,
    PARTNER,
    SmtpServer,
    retrieve,
    shared_file,
    simple_filter,
    soap,
    text,
    texts,
    wait_for,
)

from sendwell.app import create_app
from sendwell.store.tables import send_jobs

EMAILS = ["ann@example.test", "bob@example.test", "cid@example.test"]
SYSTEM = timedelta(hours=-6)
DAILY_ONCE = (
    '<Recurrence xsi:type="DailyRecurrence"><DailyRecurrencePatternType>Interval'
    "</DailyRecurrencePatternType><DayInterval>1</DayInterval></Recurrence>"
    "<RecurrenceType>Daily</RecurrenceType><RecurrenceRangeType>EndAfter</RecurrenceRangeType>"
)
SEND_FIELDS = ["ID", "Status", "SendDate", "Subject", "FromAddress", "NumberSent"]


@pytest.fixture
def world(database_url: str):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        # Several workers: a due schedule must still start exactly once.
        for w in make_world(database_url, transport=server.url, workers=3):
            w.smtp = server.recorder  # type: ignore[attr-defined]
            make_definition(w.engine, w.mid, EMAILS, key="sched")
            yield w


def system_time(seconds_ahead: float) -> datetime:
    """Marketing Cloud system time (UTC−6), naive, this many seconds from now."""
    now = datetime.now(UTC).replace(tzinfo=None) + SYSTEM
    return (now + timedelta(seconds=seconds_ahead)).replace(microsecond=0)


def schedule_body(
    start: datetime | None,
    rule: str = DAILY_ONCE,
    tail: str = "<Occurrences>1</Occurrences>",
    interactions: str = '<Interaction xsi:type="EmailSendDefinition"><CustomerKey>sched</CustomerKey></Interaction>',
    action: str = "start",
) -> str:
    when = "" if start is None else f"<StartDateTime>{start.isoformat()}</StartDateTime>"
    return (
        f'<ScheduleRequestMsg xmlns="{PARTNER}"><Action>{action}</Action><Schedule>{rule}{when}'
        f"{tail}</Schedule><Interactions>{interactions}</Interactions></ScheduleRequestMsg>"
    )


def schedule(client, user, body: str):  # type: ignore[no-untyped-def]
    status, reply = soap(client, "Schedule", body, user=user)
    assert status == 200, reply
    return reply


def send_of(client, user, job_id: str, fields: list[str] = SEND_FIELDS) -> dict:  # type: ignore[no-untyped-def]
    _, reply = soap(
        client,
        "Retrieve",
        retrieve("Send", fields, simple_filter("ID", "equals", job_id)),
        user=user,
    )
    return {f: text(reply, f"p:Results/p:{f}") for f in fields}


def jobs_of(world) -> list:  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        return list(conn.execute(select(send_jobs).order_by(send_jobs.c.id)))


def test_a_one_time_schedule_sends_at_its_time_with_the_definition_as_it_is_then(world) -> None:
    start = system_time(3)
    reply = schedule(
        world.client,
        world.user,
        schedule_body(
            start,
            interactions='<Interaction xsi:type="EmailSendDefinition"><CustomerKey>sched</CustomerKey>'
            "<SenderProfile><FromName>Night Desk</FromName><FromAddress>night@example.test</FromAddress>"
            "</SenderProfile></Interaction>",
        ),
    )
    assert text(reply, "p:OverallStatus") == "OK"
    assert text(reply, "p:Results/p:Result/p:StatusMessage") == "EmailSendDefinition scheduled"
    assert text(reply, "p:Results/p:Result/p:Task/p:StatusCode") == "OK"
    job_id = text(reply, "p:Results/p:Result/p:Task/p:ID")
    assert job_id.isdigit()
    echo = reply.find("p:Results/p:Result/p:Object", {"p": PARTNER})
    assert datetime.fromisoformat(text(echo, "p:StartDateTime")) == start  # system time echo
    assert text(echo, "p:Occurrences") == "1"

    # Listed as a Scheduled Send, its SendDate the time it goes; nothing sent yet.
    _, listed = soap(
        world.client,
        "Retrieve",
        retrieve("Send", ["ID", "Status"], simple_filter("Status", "equals", "Scheduled")),
        user=world.user,
    )
    assert texts(listed, "p:Results/p:ID") == [job_id]
    scheduled = send_of(world.client, world.user, job_id)
    assert scheduled["Status"] == "Scheduled"
    assert datetime.fromisoformat(scheduled["SendDate"]) == start

    # The email changes after scheduling: the send uses it as it is when it starts.
    with world.engine.connect() as conn:
        email = conn.execute(select(send_jobs.c.spec)).scalar_one()["email"]
    update_email = (
        f'<UpdateRequest xmlns="{PARTNER}"><Options/><Objects xsi:type="Email"><ID>{email["ID"]}</ID>'
        "<Subject>Changed %%Name%%</Subject></Objects></UpdateRequest>"
    )
    _, updated = soap(world.client, "Update", update_email, user=world.user)
    assert text(updated, "p:OverallStatus") == "OK", texts(updated, ".//p:StatusMessage")

    time.sleep(1)
    assert world.smtp.messages == []
    done = wait_for(
        lambda: (s := send_of(world.client, world.user, job_id))["Status"] == "Complete" and s
    )
    sent_at = datetime.now(UTC).replace(tzinfo=None) + SYSTEM
    assert sent_at >= start
    assert sorted(world.smtp.recipients()) == sorted(EMAILS)
    assert done["NumberSent"] == "3"
    assert {m.message["Subject"] for m in world.smtp.messages} == {
        "Changed ann",
        "Changed bob",
        "Changed cid",
    }
    assert {m.message["From"] for m in world.smtp.messages} == {"Night Desk <night@example.test>"}
    assert len(jobs_of(world)) == 1  # one occurrence: nothing scheduled after it


def test_a_recurrence_creates_the_next_job_until_its_range_ends(world) -> None:
    start = system_time(2)
    minutely = (
        '<Recurrence xsi:type="MinutelyRecurrence"><MinutelyRecurrencePatternType>Interval'
        "</MinutelyRecurrencePatternType><MinuteInterval>10</MinuteInterval></Recurrence>"
        "<RecurrenceType>Minutely</RecurrenceType><RecurrenceRangeType>EndAfter</RecurrenceRangeType>"
    )
    reply = schedule(
        world.client, world.user, schedule_body(start, minutely, "<Occurrences>3</Occurrences>")
    )
    first_id = int(text(reply, "p:Results/p:Result/p:Task/p:ID"))
    assert [j.id for j in jobs_of(world)] == [first_id]  # the next one is made when this starts

    def two_jobs():  # type: ignore[no-untyped-def]
        found = jobs_of(world)
        return len(found) == 2 and found[0].status == "Complete" and found

    first, second = wait_for(two_jobs)
    assert second.status == "Scheduled"
    assert second.scheduled_at - first.scheduled_at == timedelta(minutes=10)
    assert len(world.smtp.messages) == 3  # several workers, one start
    listed = send_of(world.client, world.user, str(second.id))
    assert listed["Status"] == "Scheduled"
    assert datetime.fromisoformat(listed["SendDate"]) == start + timedelta(minutes=10)

    # Make the second occurrence due now: it sends, and schedules the third (and last).
    with world.engine.begin() as conn:
        conn.execute(
            update(send_jobs)
            .where(send_jobs.c.id == second.id)
            .values(scheduled_at=datetime.now(UTC).replace(tzinfo=None))
        )
    wait_for(lambda: len(world.smtp.messages) == 6 and len(jobs_of(world)) == 3)
    third = jobs_of(world)[2]
    assert (third.status, third.scheduled_at) == (
        "Scheduled",
        first.scheduled_at + timedelta(minutes=20),
    )
    with world.engine.begin() as conn:
        conn.execute(
            update(send_jobs)
            .where(send_jobs.c.id == third.id)
            .values(scheduled_at=datetime.now(UTC).replace(tzinfo=None))
        )
    wait_for(lambda: len(world.smtp.messages) == 9)
    wait_for(lambda: all(j.status == "Complete" for j in jobs_of(world)))
    time.sleep(0.5)
    assert len(jobs_of(world)) == 3  # the range ended after three occurrences


def test_cancel_a_scheduled_send_by_its_id(world) -> None:
    reply = schedule(world.client, world.user, schedule_body(system_time(2)))
    job_id = text(reply, "p:Results/p:Result/p:Task/p:ID")
    cancel = (
        f'<PerformRequestMsg xmlns="{PARTNER}"><Action>cancel</Action><Definitions>'
        f'<Definition xsi:type="Send"><ID>{job_id}</ID></Definition></Definitions></PerformRequestMsg>'
    )
    _, performed = soap(world.client, "Perform", cancel, user=world.user)
    assert text(performed, "p:OverallStatus") == "OK", texts(performed, ".//p:StatusMessage")
    assert text(performed, "p:Results/p:Result/p:Task/p:ID") == job_id
    assert text(performed, "p:Results/p:Result/p:Task/p:StatusMessage") == "Canceled"
    time.sleep(3.5)
    assert world.smtp.messages == []
    assert send_of(world.client, world.user, job_id)["Status"] == "Canceled"
    assert len(jobs_of(world)) == 1
    _, again = soap(world.client, "Perform", cancel, user=world.user)
    assert text(again, "p:Results/p:Result/p:StatusCode") == "Error"
    assert "cannot be canceled" in text(again, "p:Results/p:Result/p:StatusMessage")
    _, unknown = soap(world.client, "Perform", cancel.replace(job_id, "999999"), user=world.user)
    assert text(unknown, "p:Results/p:Result/p:ErrorCode") == "3"


def test_a_schedule_survives_a_restart(world) -> None:
    reply = schedule(world.client, world.user, schedule_body(system_time(2)))
    job_id = text(reply, "p:Results/p:Result/p:Task/p:ID")
    world.client.__exit__(None, None, None)  # Sendwell stops, its workers with it
    app = create_app(world.settings)  # a new Sendwell on the same database
    with TestClient(app) as client:
        wait_for(lambda: send_of(client, world.user, job_id)["Status"] == "Complete")
        time.sleep(1)  # would it go twice?
        assert sorted(world.smtp.recipients()) == sorted(EMAILS)
    world.client.__enter__()


def error_of(world, body: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    reply = schedule(world.client, world.user, body)
    assert text(reply, "p:OverallStatus") == "Error"
    result = "p:Results/p:Result/"
    assert text(reply, result + "p:Task/p:StatusCode") == "Error"
    return text(reply, result + "p:ErrorCode"), text(reply, result + "p:StatusMessage")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            schedule_body(system_time(3600)).replace("<CustomerKey>sched<", "<CustomerKey>nope<"),
            "42002",
        ),
        (schedule_body(system_time(-60)), "140"),
        (schedule_body(None), "151"),
        (
            schedule_body(
                system_time(3600),
                DAILY_ONCE.replace("<RecurrenceRangeType>EndAfter</RecurrenceRangeType>", ""),
            ),
            "150",
        ),
        (schedule_body(system_time(3600), tail=""), "153"),
        (schedule_body(system_time(3600), DAILY_ONCE.replace("EndAfter", "EndOn")), "152"),
        (
            schedule_body(
                system_time(3600), DAILY_ONCE.replace("<DayInterval>1</DayInterval>", "")
            ),
            "161",
        ),
        (
            schedule_body(
                system_time(3600),
                DAILY_ONCE.replace("<RecurrenceType>Daily<", "<RecurrenceType>Weekly<"),
            ),
            "140",
        ),
        (schedule_body(system_time(3600), action="stop"), "42000"),
        (
            schedule_body(
                system_time(3600),
                interactions='<Interaction xsi:type="Email"><CustomerKey>sched</CustomerKey></Interaction>',
            ),
            "5",
        ),
        (schedule_body(system_time(3600), interactions=""), "6"),
    ],
)
def test_errors_are_per_result_with_marketing_cloud_codes(world, body: str, code: str) -> None:
    got, message = error_of(world, body)
    assert got == code, message
    assert jobs_of(world) == []


def test_one_bad_interaction_of_two_has_errors(world) -> None:
    both = (
        '<Interaction xsi:type="EmailSendDefinition"><CustomerKey>sched</CustomerKey></Interaction>'
        '<Interaction xsi:type="EmailSendDefinition"><CustomerKey>missing</CustomerKey></Interaction>'
    )
    reply = schedule(world.client, world.user, schedule_body(system_time(3600), interactions=both))
    assert text(reply, "p:OverallStatus") == "Has Errors"
    assert texts(reply, "p:Results/p:Result/p:StatusCode") == ["OK", "Error"]
    assert [j.status for j in jobs_of(world)] == ["Scheduled"]


def delete_the_email(world) -> None:  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        email_id = conn.execute(select(send_jobs.c.spec)).scalars().first()["email"]["ID"]
    body = (
        f'<DeleteRequest xmlns="{PARTNER}"><Options/><Objects xsi:type="Email"><ID>{email_id}</ID>'
        "</Objects></DeleteRequest>"
    )
    _, deleted = soap(world.client, "Delete", body, user=world.user)
    assert text(deleted, "p:OverallStatus") == "OK", texts(deleted, ".//p:StatusMessage")


def test_the_definition_is_checked_now_and_again_when_the_send_starts(world) -> None:
    reply = schedule(world.client, world.user, schedule_body(system_time(2)))
    job_id = text(reply, "p:Results/p:Result/p:Task/p:ID")
    delete_the_email(world)  # after scheduling: this occurrence fails when it starts
    code, message = error_of(world, schedule_body(system_time(3600)))
    assert code == "42004", message  # checked at schedule time as Perform start checks it
    wait_for(lambda: send_of(world.client, world.user, job_id)["Status"] == "Error")
    assert world.smtp.messages == []
    with world.engine.connect() as conn:
        error = conn.execute(select(send_jobs.c.error).where(send_jobs.c.id == int(job_id)))
        assert "Email no longer exists" in error.scalar_one()


def test_fuelsdkwrapper_captured_schedule_request_byte_for_byte(world) -> None:
    """The envelope FuelSDKWrapper 1.3.4 sent (shared/api/captures), only its token, key and
    start date replaced: fueloauth header, ns0/ns1 prefixes, naive StartDateTime, no Options."""
    capture = shared_file("api/captures/fuelsdkwrapper-requests.txt").read_text()
    envelope = next(line for line in capture.splitlines() if "<ns0:ScheduleRequestMsg>" in line)
    start = system_time(2)
    token = bearer(world)["Authorization"].removeprefix("Bearer ")
    body = (
        envelope.replace("2030-01-02T03:04:05", start.isoformat())
        .replace(">TOKEN<", f">{token}<")
        .replace("UI_SEND_KEY", "sched")
    )
    response = world.client.post(
        "/service.asmx",  # as FuelSDK spells it
        content=body.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "Soapaction": '"Schedule"'},
    )
    assert response.status_code == 200, response.text
    reply = etree.fromstring(response.content).find("soap:Body", NS)[0]
    assert text(reply, "p:OverallStatus") == "OK", texts(reply, ".//p:StatusMessage")
    job_id = text(reply, "p:Results/p:Result/p:Task/p:ID")
    wait_for(lambda: send_of(world.client, world.user, job_id)["Status"] == "Complete")
    assert sorted(world.smtp.recipients()) == sorted(EMAILS)


def test_schedule_needs_the_send_scope_and_cancel_too(world) -> None:
    token = bearer(world, scope="email_read email_write")["Authorization"].removeprefix("Bearer ")
    status, reply = soap(world.client, "Schedule", schedule_body(system_time(3600)), token=token)
    assert status == 200
    assert text(reply, "p:Results/p:Result/p:ErrorCode") == "11"
    message = text(reply, "p:Results/p:Result/p:StatusMessage")
    assert "Schedule on EmailSendDefinition" in message and "email_send" in message
    assert jobs_of(world) == []
    sender = bearer(world, scope="email_send")["Authorization"].removeprefix("Bearer ")
    _, made = soap(world.client, "Schedule", schedule_body(system_time(3600)), token=sender)
    job_id = text(made, "p:Results/p:Result/p:Task/p:ID")
    cancel = (
        f'<PerformRequestMsg xmlns="{PARTNER}"><Action>cancel</Action><Definitions>'
        f'<Definition xsi:type="Send"><ID>{job_id}</ID></Definition></Definitions></PerformRequestMsg>'
    )
    _, refused = soap(world.client, "Perform", cancel, token=token)
    assert text(refused, "p:Results/p:Result/p:ErrorCode") == "11"
    assert [j.status for j in jobs_of(world)] == ["Scheduled"]
