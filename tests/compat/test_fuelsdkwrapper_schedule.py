"""FuelSDKWrapper 1.3.4 (PyPI) against a real Sendwell: ``send_email`` through SOAP ``Schedule``.

One run of ``clients/fuelsdkwrapper_schedule.py`` in a network namespace with only loopback,
Sendwell delivering over ``smtp://`` to an aiosmtpd recorder in the same namespace. The wrapper
sends the request of ``shared/api/captures/fuelsdkwrapper-requests.txt`` (Daily, Interval 1,
EndAfter 1, a naive StartDateTime read as system time) and gets back a JobID; the Send it names
is Scheduled, then goes at its time to every subscriber; a second one is cancelled with the
wrapper's ``perform_action`` and never goes.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from .netns import ClientRun, run_client

_runs: dict[str, ClientRun] = {}


@pytest.fixture
def wrapper(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _runs:
        _runs["run"] = run_client(
            "fuelsdkwrapper_schedule.py", tmp_path_factory.mktemp("fuelsdkwrapper")
        )
    return _runs["run"]


def test_the_client_is_fuelsdkwrapper_from_pypi(wrapper: ClientRun) -> None:
    assert wrapper["wrapper_file"].endswith("site-packages/FuelSDKWrapper.py")


def test_send_email_sends_schedule_and_gets_the_job_id(wrapper: ClientRun) -> None:
    schedule = wrapper["schedule"]
    assert schedule["status"] == 200
    reply = schedule["reply"]
    assert reply["OverallStatus"] == "OK"
    (result,) = reply["Results"]["Result"]
    assert result["StatusCode"] == "OK"
    assert result["StatusMessage"] == "EmailSendDefinition scheduled"
    assert result["Task"]["StatusCode"] == "OK"
    assert str(result["Task"]["ID"]) == wrapper["task_id"]
    echo = result["Object"]
    assert echo["RecurrenceType"] == "Daily"
    assert echo["RecurrenceRangeType"] == "EndAfter"
    assert echo["Occurrences"] == 1
    # suds reads the echo's naive date back: the same system time the wrapper sent.
    assert datetime.fromisoformat(echo["StartDateTime"]) == datetime.fromisoformat(wrapper["start"])
    posts = [r for r in wrapper.requests() if "SOAPAction=" in r]
    assert 'POST /service.asmx SOAPAction="Schedule" -> 200' in posts


def test_the_scheduled_send_waits_then_delivers(wrapper: ClientRun) -> None:
    at_once = wrapper["at_once"]
    assert at_once["Status"] == "Scheduled"
    assert wrapper["smtp_at_once"] == 0
    assert datetime.fromisoformat(at_once["SendDate"]) == datetime.fromisoformat(wrapper["start"])
    done = wrapper["done"]
    assert done["Status"] == "Complete"
    assert datetime.fromisoformat(wrapper["completed_system_time"]) >= datetime.fromisoformat(
        wrapper["start"]
    )
    delivered = wrapper["smtp"]
    assert done["NumberSent"] == done["NumberTargeted"] == len(delivered) > 0
    recipients = [r for m in delivered for r in m["rcpt_to"]]
    assert len(recipients) == len(set(recipients))  # each subscriber once


def test_a_cancelled_schedule_never_goes(wrapper: ClientRun) -> None:
    cancel = wrapper["cancel"]
    assert cancel["status"] is True, cancel
    assert cancel["message"] == "OK"
    (result,) = cancel["results"]["Result"]
    assert result["Task"]["StatusMessage"] == "Canceled"
    assert wrapper["second"]["Status"] == "Canceled"
    assert int(wrapper["second_id"]) > int(wrapper["task_id"])


def test_the_server_logged_no_errors(wrapper: ClientRun) -> None:
    wrapper.check()
    assert "Traceback" not in wrapper.stderr, wrapper.stderr[-4000:]
