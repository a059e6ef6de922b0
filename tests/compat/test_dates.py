"""zeep reads and writes dates as a Marketing Cloud client would: system time over SOAP.

One run of ``clients/zeep_dates.py`` in a network namespace with only loopback. Marketing Cloud
shows every date in its system time (UTC-6, no daylight saving) without an offset, so zeep
reads naive datetimes six hours behind the UTC Sendwell stores; it reads a naive date a client
sends as system time, a zoned one at its zone; and AMPscript's ``Now()`` in the delivered
messages is system time too, between the Send's SendDate and SentDate.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from .netns import ClientRun, run_client

SYSTEM = timedelta(hours=-6)
_runs: dict[str, ClientRun] = {}


@pytest.fixture
def dates_run(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _runs:
        _runs["run"] = run_client("zeep_dates.py", tmp_path_factory.mktemp("zeep-dates"))
    return _runs["run"]


def read(value: dict) -> datetime:
    assert value["tz"] is None, value  # written without an offset, so zeep gives a naive date
    return datetime.fromisoformat(value["iso"])


def test_a_sends_dates_are_what_marketing_cloud_would_show(dates_run: ClientRun) -> None:
    send, stored = dates_run["send"], dates_run["stored"]
    assert send["Status"] == "Complete"
    created = datetime.fromisoformat(stored["created_at"])
    assert read(send["SendDate"]) == created + SYSTEM
    assert read(send["CreatedDate"]) == created + SYSTEM
    assert read(send["ModifiedDate"]) == datetime.fromisoformat(stored["modified_at"]) + SYSTEM
    assert read(send["SentDate"]) == datetime.fromisoformat(stored["completed_at"]) + SYSTEM


def test_dates_written_by_zeep_are_read_as_marketing_cloud_reads_them(
    dates_run: ClientRun,
) -> None:
    assert dates_run["filters"] == {
        "naive_system_time": 1,  # a date without a zone is system time
        "utc": 1,
        "plus_two": 1,
        "naive_utc_read_as_system_time": 0,  # six hours later than the send
        "equals_read_back": 1,  # the SendDate zeep read, sent back, is the same instant
        "greater_than_read_back": 0,
    }


def test_the_echo_of_a_request_object_shows_its_date_in_system_time(
    dates_run: ClientRun,
) -> None:
    echo = dates_run["echo"]
    assert echo["StatusCode"] == "Error"  # the CustomerKey is taken; the request is echoed
    assert read(echo["CreatedDate"]) == datetime(2026, 11, 30, 8, 15, 0, 123000)


def test_ampscript_now_in_the_messages_is_system_time(dates_run: ClientRun) -> None:
    send = dates_run["send"]
    start, end = read(send["SendDate"]), read(send["SentDate"])
    texts = dates_run["texts"]
    assert len(texts) == dates_run["subscribers"]
    for body in texts:
        found = re.search(r"Now\(\) says (\S+) for", body)
        assert found, body
        now = datetime.fromisoformat(found.group(1))
        assert start - timedelta(milliseconds=1) <= now <= end, (start, now, end)


def test_the_server_logged_no_errors(dates_run: ClientRun) -> None:
    dates_run.check()
    assert "Traceback" not in dates_run.stderr, dates_run.stderr[-4000:]
