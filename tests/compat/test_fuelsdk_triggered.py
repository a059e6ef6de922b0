"""FuelSDK-Python's triggered sends (``ET_TriggeredSend``) against a real Sendwell, delivering to
a real SMTP server, in a network namespace with only loopback.

One run of ``clients/fuelsdk_triggered.py`` follows the SDK's objsamples/sample_triggeredsend.py
(get all, pause, get one, start, get one, send, create, delete) on a definition it creates
itself, with a send while New (refused), a send while paused (queued, then flushed by the
start), a send with an Owner From, an unsubscribed and an invalid subscriber, tracking hit over
HTTP, the events read back with the SDK's event objects, and a Canceled then deleted definition.
"""

from __future__ import annotations

from typing import Any

import pytest

from .netns import ClientRun, run_client

_runs: dict[str, ClientRun] = {}


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _runs:
        _runs["run"] = run_client("fuelsdk_triggered.py", tmp_path_factory.mktemp("fs-tsd"))
    return _runs["run"]


def only(call: dict[str, Any]) -> dict[str, Any]:
    assert len(call["results"]) == 1, call
    return call["results"][0]


def test_the_definition_is_created_new_and_refuses_sends_until_started(run: ClientRun) -> None:
    created = only(run["tsd_post"])
    assert run["tsd_post"]["status"] is True
    assert created["StatusMessage"] == "TriggeredSendDefinition created"
    assert created["Object"]["TriggeredSendStatus"] == "New"
    assert created["NewObjectID"] == created["Object"]["ObjectID"]
    listed = {r["CustomerKey"]: r["TriggeredSendStatus"] for r in run["get_all"]["results"]}
    assert listed["order-confirmation-tsd"] == "New"  # beside the demo's definition
    refused = only(run["send_new"])
    assert run["send_new"]["status"] is False and run["send_new"]["message"] == "Error"
    assert (refused["StatusCode"], refused["ErrorCode"]) == ("Error", 18001)


def test_patch_pauses_and_starts_and_get_reads_the_status_back(run: ClientRun) -> None:
    for step, status in (("pause", "Inactive"), ("start", "Active")):
        result = only(run[step])
        assert result["StatusMessage"] == "TriggeredSendDefinition updated", result
        assert result["Object"]["TriggeredSendStatus"] == status
    assert only(run["get_paused"])["TriggeredSendStatus"] == "Inactive"
    assert only(run["get_started"])["TriggeredSendStatus"] == "Active"
    # No properties: Describe, then every retrievable one; the deleted definition is listed
    # too, renamed (Marketing Cloud's unfiltered Retrieve keeps Deleted ones: inferred).
    got = {r["CustomerKey"]: r for r in run["get_described"]["results"]}
    other = only(run["other_post"])["Object"]["CustomerKey"]
    assert other not in got
    (deleted,) = [r for k, r in got.items() if k.startswith(other)]
    assert deleted["TriggeredSendStatus"] == "Deleted"
    described = got["order-confirmation-tsd"]
    assert described["TriggeredSendStatus"] == "Active"
    assert described["CustomerKey"] == "order-confirmation-tsd"
    assert described["Email"]["ID"] == only(run["email_post"])["NewID"]
    assert described["SendClassification"]["CustomerKey"] == "Default Commercial"
    actions = run["soap_actions"]
    assert actions[-2:] == ['"Describe"', '"Retrieve"'], actions


def test_a_send_while_paused_is_queued_and_the_start_delivers_it(run: ClientRun) -> None:
    assert only(run["send_paused"])["StatusMessage"] == "Created TriggeredSend"
    assert run["delivered_while_paused"] == 0
    queued = only(run["summary_paused"])
    assert (queued["Queued"], queued["Sent"]) == (1, 0)
    first = run["delivered"][0]
    assert first["rcpt_to"] == ["ann@example.test"]
    # Personalised from the subscriber's and the send's Attributes, AMPscript included.
    assert first["subject"] == "Order 1001 for Ann"
    assert first["text"] == "Hi Ann, order 1001 ships today."
    assert "Hi ANN, " in first["html"] and "%%" not in first["html"] + first["subject"]


def test_subscribers_are_checked_one_by_one_and_the_owner_overrides_from(run: ClientRun) -> None:
    result = only(run["send_active"])
    assert (result["StatusCode"], result["StatusMessage"]) == ("OK", "Created TriggeredSend")
    failures = {f["Subscriber"]["SubscriberKey"]: f for f in result["SubscriberFailures"]}
    assert sorted(failures) == ["k-bad", "k-gone"]
    assert failures["k-gone"]["Ordinal"] == 1 and failures["k-bad"]["Ordinal"] == 2
    assert failures["k-gone"]["ErrorDescription"].startswith("Error Code: 1 - ")  # unsubscribed
    assert failures["k-bad"]["ErrorDescription"].startswith("Error Code: 5 - ")  # invalid
    assert {f["ErrorCode"] for f in failures.values()} == {"TriggeredSendSubscriberProcessingError"}
    assert [m["rcpt_to"] for m in run["delivered"]] == [["ann@example.test"], ["bob@example.test"]]
    bob = run["delivered"][1]
    assert (bob["mail_from"], bob["from"]) == ("ops@example.test", "Ops Desk <ops@example.test>")
    assert bob["subject"] == "Order 1002 for Bob"
    assert run["delivered"][0]["from"] == "Sendwell Demo <news@sendwell.local>"
    assert all(m["list_unsubscribe"] for m in run["delivered"])  # commercial


def test_tracking_events_are_tied_to_the_definition(run: ClientRun) -> None:
    object_id = only(run["get_started"])["ObjectID"]
    assert run["opens_http"] == [200, 200]
    assert run["click_http"] == {"status": 302, "location": "https://shop.example.test/orders"}
    assert run["unsubscribe_http"] == 200

    def events(name: str) -> list[tuple[str, str]]:
        call = run[name]
        assert call["status"] is True, call
        assert {e["TriggeredSendDefinitionObjectID"] for e in call["results"]} <= {object_id}
        return sorted((e["SubscriberKey"], e["EventType"]) for e in call["results"])

    assert events("sent_events") == [("k-ann", "Sent"), ("k-bob", "Sent")]
    assert [e["BatchID"] for e in run["sent_events"]["results"]] == [1, 2]  # one per send()
    assert len({e["SendID"] for e in run["sent_events"]["results"]}) == 1  # the definition's job
    assert events("open_events") == [("k-ann", "Open")] * 2
    assert events("click_events") == [("k-ann", "Click")]
    assert run["click_events"]["results"][0]["URL"] == "https://shop.example.test/orders"
    assert events("unsub_events") == [("k-bob", "Unsubscribe")]
    assert [e["SubscriberKey"] for e in run["not_sent_events"]["results"]] == ["k-gone"]
    summary = only(run["summary"])
    assert {k: summary[k] for k in ("Sent", "Queued", "Opens", "UniqueOpens", "Clicks")} == {
        "Sent": 2,
        "Queued": 0,
        "Opens": 2,
        "UniqueOpens": 1,
        "Clicks": 1,
    }
    assert (summary["OptOuts"], summary["NotSentDueToOptOut"]) == (1, 1)


def test_the_unsubscribe_is_honoured_by_the_next_send(run: ClientRun) -> None:
    refused = only(run["send_unsubscribed_bob"])
    assert (refused["StatusCode"], refused["ErrorCode"]) == ("Error", 180008)
    (failure,) = refused["SubscriberFailures"]
    assert failure["ErrorDescription"].startswith("Error Code: 1 - ")


def test_canceled_is_final_and_delete_frees_the_key(run: ClientRun) -> None:
    assert only(run["other_post"])["Object"]["TriggeredSendStatus"] == "New"
    assert only(run["other_start"])["Object"]["TriggeredSendStatus"] == "Active"
    assert only(run["other_cancel"])["Object"]["TriggeredSendStatus"] == "Canceled"
    assert only(run["other_restart"])["ErrorCode"] == 17000
    canceled = only(run["other_send_canceled"])
    assert canceled["ErrorCode"] == 18002 and "Active or Inactive" in canceled["StatusMessage"]
    assert only(run["other_delete"])["StatusMessage"] == "TriggeredSendDefinition deleted"
    assert run["other_after_delete"]["results"] == []
    assert only(run["other_delete_again"])["ErrorCode"] == 17015
    assert only(run["other_send_deleted"])["ErrorCode"] == 18002
    assert run["delivered_at_end"] == 2  # nothing reached the SMTP server after the batch


def test_the_server_logged_no_errors(run: ClientRun) -> None:
    run.check()
    assert "Traceback" not in run.stderr, run.stderr[-4000:]
    assert all(not r.endswith("-> 500") for r in run.requests()), run.requests()
