"""zeep, strict, sends a ScheduleRequest with a WeeklyRecurrence to a real Sendwell.

One run of ``clients/zeep_schedule.py`` in a network namespace with only loopback. zeep builds
the request from Sendwell's WSDL (the Schedule operation and the Recurrence subtypes) and parses
every reply by the schema's element order and ``xsi:type``: the Schedule reply with its echo,
the Send listings, Perform ``cancel`` on a Send, and an error result.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from .netns import ClientRun, run_client

SYSTEM = timedelta(hours=-6)
_runs: dict[str, ClientRun] = {}


@pytest.fixture
def zeep_schedule(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _runs:
        _runs["run"] = run_client("zeep_schedule.py", tmp_path_factory.mktemp("zeep-schedule"))
    return _runs["run"]


def start_in_system_time(run: ClientRun) -> datetime:
    return datetime.fromisoformat(run["start_utc"]).replace(tzinfo=None) + SYSTEM


def test_the_schedule_reply_parses_strictly_with_its_weekly_echo(zeep_schedule: ClientRun) -> None:
    assert zeep_schedule["strict"] is True
    reply = zeep_schedule["reply"]
    assert (reply["OverallStatus"], reply["StatusCode"]) == ("OK", "OK")
    assert reply["StatusMessage"] == "EmailSendDefinition scheduled"
    assert str(reply["TaskID"]).isdigit()
    assert reply["RecurrenceType"] == "WeeklyRecurrence"  # zeep read the echo's xsi:type
    assert reply["Recurrence"]["WeekInterval"] == 1
    assert reply["Recurrence"]["Monday"] is True
    # The UTC start zeep wrote comes back in system time, without an offset.
    assert datetime.fromisoformat(reply["StartDateTime"]) == start_in_system_time(zeep_schedule)


def test_the_first_occurrence_sends_and_the_next_waits_a_day(zeep_schedule: ClientRun) -> None:
    done = zeep_schedule["done"]
    assert str(done["ID"]) == str(zeep_schedule["reply"]["TaskID"])
    assert done["Status"] == "Complete"
    assert done["NumberSent"] == done["NumberTargeted"] == zeep_schedule["captured"] > 0
    (following,) = zeep_schedule["scheduled"]  # every day chosen: tomorrow is the next
    assert following["Status"] == "Scheduled"
    next_date = datetime.fromisoformat(following["SendDate"])  # zeep's naive datetime, as text
    assert next_date == start_in_system_time(zeep_schedule) + timedelta(days=1)


def test_perform_cancel_on_the_next_send(zeep_schedule: ClientRun) -> None:
    cancel = zeep_schedule["cancel"]
    assert cancel["StatusCode"] == "OK"
    assert cancel["Task"]["StatusMessage"] == "Canceled"
    (after,) = zeep_schedule["after_cancel"]
    assert after["Status"] == "Canceled"


def test_a_past_start_is_an_error_result_strict_clients_read(zeep_schedule: ClientRun) -> None:
    past = zeep_schedule["past"]
    assert (past["StatusCode"], past["ErrorCode"], past["TaskStatusCode"]) == (
        "Error",
        140,
        "Error",
    )
    assert past["StatusMessage"].startswith("Schedule_Validation Error")


def test_the_server_logged_no_errors(zeep_schedule: ClientRun) -> None:
    zeep_schedule.check()
    assert "Traceback" not in zeep_schedule.stderr, zeep_schedule.stderr[-4000:]
