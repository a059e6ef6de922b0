"""zeep, strict (its default), on Sendwell's own WSDL: the strictest check of WSDL and replies.

One run of ``clients/zeep_send.py`` in a network namespace with only loopback. zeep builds its
service from ``/etframework.wsdl`` alone (``client.service`` posts to the WSDL's soap:address),
enforces element order and ``xsi:type`` on every reply, and authenticates with a real
WS-Security UsernameToken. Sendwell delivers over ``smtp://`` to an aiosmtpd recorder in the
same namespace, so the recipients asserted here are what an SMTP server received.
"""

from __future__ import annotations

import pytest

from .netns import ClientRun, run_client

_runs: dict[str, ClientRun] = {}


@pytest.fixture
def zeep_run(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _runs:
        _runs["run"] = run_client("zeep_send.py", tmp_path_factory.mktemp("zeep"))
    return _runs["run"]


def test_wsdl_builds_a_strict_client_bound_to_sendwell(zeep_run: ClientRun) -> None:
    assert zeep_run["strict"] is True
    assert zeep_run["service_address"] == zeep_run["base"] + "/Service.asmx"
    requests = zeep_run.requests()
    assert requests[:2] == ["GET /etframework.wsdl -> 200", "GET /ETFrameworkFault.xsd -> 200"]


def test_create_start_and_follow_a_send_over_smtp(zeep_run: ClientRun) -> None:
    """WS-Security UsernameToken: Create, Perform start, Retrieve Send [ID, Status, NumberSent,
    NumberTargeted, Client.ID] with a SimpleFilterPart until Complete; every subscriber of the
    data extension received exactly one personalised message over SMTP."""
    assert zeep_run["de_retrieve"] == {"OverallStatus": "OK", "count": 1}
    assert zeep_run["create"] == {
        "OverallStatus": "OK",
        "StatusCode": "OK",
        "StatusMessage": "EmailSendDefinition created",
    }
    assert zeep_run["perform"] == {
        "OverallStatus": "OK",
        "StatusCode": "OK",
        "TaskStatusCode": "OK",
    }
    task_id = str(zeep_run["task_id"])
    assert task_id.isdigit()

    send = zeep_run["send"]
    assert (send["OverallStatus"], send["count"], send["type"]) == ("OK", 1, "Send")
    assert str(send["ID"]) == task_id
    assert send["Status"] == "Complete"
    assert send["Client"]["ID"] == 100001
    subscribers = zeep_run["subscribers"]
    assert send["NumberSent"] == send["NumberTargeted"] == subscribers, send

    assert zeep_run["rows_retrieve"]["OverallStatus"] == "OK"
    rows = {r["EmailAddress"]: r for r in zeep_run["rows"]}
    assert len(rows) == subscribers
    delivered = zeep_run["smtp"]
    assert sorted(r for m in delivered for r in m["rcpt_to"]) == sorted(rows)
    assert len(delivered) == subscribers  # one message (one envelope) per recipient
    for message in delivered:
        (rcpt,) = message["rcpt_to"]
        row = rows[rcpt]
        assert message["mail_from"] == "news@sendwell.local"
        assert message["subject"] == f"{row['FirstName']}, your points in {row['City']}"
        assert f"(subscriber {row['SubscriberKey']}, job {task_id})" in message["text"]


def test_sent_events_one_per_recipient(zeep_run: ClientRun) -> None:
    events = zeep_run["sent_events"]
    assert events["OverallStatus"] == "OK"
    assert events["types"] == ["SentEvent"]  # xsi:type on every Results
    items = events["items"]
    assert len(items) == zeep_run["send"]["NumberSent"]
    assert {str(e["SendID"]) for e in items} == {str(zeep_run["task_id"])}
    assert {e["EventType"] for e in items} == {"Sent"}
    keys = [e["SubscriberKey"] for e in items]
    assert sorted(keys) == sorted(r["SubscriberKey"] for r in zeep_run["rows"])


def test_fueloauth_token_header_from_v2_token(zeep_run: ClientRun) -> None:
    """A client without WS-Security, authenticated by a ``/v2/token`` access token in a raw
    ``{http://exacttarget.com}fueloauth`` header, reads the same Send."""
    got = zeep_run["token_retrieve"]
    assert got["OverallStatus"] == "OK"
    assert len(got["items"]) == 1
    item = got["items"][0]
    assert str(item["ID"]) == str(zeep_run["task_id"])
    assert item["Status"] == "Complete"
    assert item["Client"]["ID"] == 100001
    assert "POST /v2/token -> 200" in zeep_run.requests()


@pytest.mark.parametrize("case", ["wrong_password", "unknown_user", "wrong_token"])
def test_bad_credentials_are_a_login_failed_fault(zeep_run: ClientRun, case: str) -> None:
    fault = zeep_run[case]
    assert fault["raised"] == "Fault", fault
    assert fault["message"] == "Login failed", fault


def test_the_server_logged_no_errors(zeep_run: ClientRun) -> None:
    """Sendwell logs unexpected errors (SOAP handler, workers) with a traceback on stderr."""
    zeep_run.check()
    assert "Traceback" not in zeep_run.stderr, zeep_run.stderr[-4000:]
