"""FuelSDKWrapper 1.3.4's triggered sends against a real Sendwell, the client unchanged.

Its ``send_trigger_email`` posts to the hard-coded ``https://www.exacttargetapis.com/messaging/v1/
messageDefinitionSends/key:{key}/send``. The run (``clients/fuelsdkwrapper_triggered.py``) gets a
network namespace with only loopback and a mount namespace whose /etc/hosts maps that name to
127.0.0.1; Sendwell itself answers there on port 443 over TLS, with a certificate for the name
signed by a CA this test makes (``tls.py``) and hands to requests as ``REQUESTS_CA_BUNDLE``, as a
user of the wrapper behind a TLS-inspecting proxy would. Nothing is mocked: the same Sendwell
serves the wrapper's SOAP calls on plain HTTP, and the messages reach a real SMTP server.
"""

from __future__ import annotations

from typing import Any

import pytest

from .netns import ClientRun, run_client
from .tls import make_server_certificate

HOST = "www.exacttargetapis.com"
_runs: dict[str, ClientRun] = {}


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _runs:
        workdir = tmp_path_factory.mktemp("fsw-tsd")
        cert = make_server_certificate(workdir / "tls", HOST)
        _runs["run"] = run_client(
            "fuelsdkwrapper_triggered.py",
            workdir,
            hosts={HOST: "127.0.0.1"},
            env={
                "REQUESTS_CA_BUNDLE": str(cert.ca),
                "SENDWELL_TEST_TLS_CERT": str(cert.cert),
                "SENDWELL_TEST_TLS_KEY": str(cert.key),
            },
        )
    return _runs["run"]


def only(call: dict[str, Any]) -> dict[str, Any]:
    assert call["status"] is True and len(call["results"]) == 1, call
    return call["results"][0]


def test_send_trigger_email_reaches_sendwell_under_the_marketing_cloud_name(run: ClientRun) -> None:
    tls = run["tls_requests"]
    assert {r["host"] for r in tls} == {HOST}
    sends = [r["line"] for r in tls if r["line"].startswith("POST ")]
    assert sends == [
        *["POST /messaging/v1/messageDefinitionSends/key:password-reset/send -> 202"] * 4,
        "POST /messaging/v1/messageDefinitionSends/key:no-such-definition/send -> 404",
    ]
    urls = {s["url"] for s in run["sends"]}
    assert urls == {f"https://{HOST}/messaging/v1/messageDefinitionSends/key:password-reset/send"}
    # The wrapper's SOAP calls went to the plain server its params name, never over TLS.
    assert not [r for r in tls if "asmx" in r["line"].lower()]


def test_a_definition_made_with_the_wrapper_takes_sends_once_started(run: ClientRun) -> None:
    created = only(run["create"])
    assert created["StatusMessage"] == "TriggeredSendDefinition created"
    assert only(run["get_new"])["TriggeredSendStatus"] == "New"
    refused = run["send_new"]
    assert refused["status"] == 202
    (response,) = refused["body"]["responses"]
    assert response["hasErrors"] is True and response["recipientSendId"] == ""
    assert response["messageErrors"][0]["messageErrorCode"] == 18001
    assert only(run["start"])["Object"]["TriggeredSendStatus"] == "Active"
    assert only(run["get_active"])["TriggeredSendStatus"] == "Active"


def test_each_send_is_queued_delivered_personalised_and_recorded(run: ClientRun) -> None:
    ann, gone, nobody = run["sends"]
    for sent in (ann, gone):
        assert sent["status"] == 202
        (response,) = sent["body"]["responses"]
        assert response == {
            "recipientSendId": sent["body"]["requestId"],
            "hasErrors": False,
            "messages": ["Queued"],
        }
    assert nobody["body"] == {
        "recipientSendId": "",
        "hasErrors": True,
        "messages": ["InvalidOrMissingToAddress"],
    }
    delivered = {m["rcpt_to"][0]: m for m in run["delivered"]}
    assert sorted(delivered) == ["ann@example.test", "gone@example.test"]
    # AMPscript and personalisation strings from the SubscriberAttributes.
    assert delivered["ann@example.test"]["subject"] == "Your reset code, Ann"
    assert delivered["ann@example.test"]["text"] == "Hello Ann, your code is ab12."
    # Transactional classification: the unsubscribed subscriber still gets the reset code.
    assert delivered["gone@example.test"]["text"] == "Hello Gus, your code is cd34."
    records = run["delivery_records"]
    assert len(records) == 2
    for send_id, record in records.items():
        assert record["status"] == 200
        body = record["body"]
        assert (body["messageId"], body["status"]) == (send_id, "Sent")
        assert body["id"] == only(run["get_active"])["ObjectID"]
        assert body["deliveryTime"]
    assert {r["body"]["to"]["key"] for r in records.values()} == {"k-ann", "k-gone"}


def test_an_unknown_definition_is_a_rest_error(run: ClientRun) -> None:
    unknown = run["send_unknown"]
    assert unknown["status"] == 404
    assert unknown["body"]["errorcode"] == 30003 and unknown["body"]["message"]


def test_soap_reads_of_the_definition_its_summary_and_events(run: ClientRun) -> None:
    object_id = only(run["get_active"])["ObjectID"]
    summary = only(run["summary"])
    assert (summary["CustomerKey"], summary["Sent"], summary["Queued"]) == ("password-reset", 2, 0)
    events = run["sent_events"]["results"]
    assert sorted(e["SubscriberKey"] for e in events) == ["k-ann", "k-gone"]
    assert {e["TriggeredSendDefinitionObjectID"] for e in events} == {object_id}
    described = only(run["get_all"])  # no property list: Describe, then every property
    assert described["CustomerKey"] == "password-reset"
    assert described["SendClassification"]["CustomerKey"] == "Default Transactional"


def test_the_wrapper_recognises_a_duplicate_key_and_a_missing_definition(run: ClientRun) -> None:
    """``check_response`` turns a StatusMessage with "already in use" into ObjectAlreadyExists,
    as it does against Marketing Cloud; a second Delete is an error (17015)."""
    assert run["create_again"]["raised"] == "ObjectAlreadyExists", run["create_again"]
    assert only(run["delete"])["StatusMessage"] == "TriggeredSendDefinition deleted"
    again = run["delete_again"]
    assert again["raised"] == "ETApiError"
    assert again["message"].startswith("Error: Triggered Send Definition Not Found")


def test_the_server_logged_no_errors(run: ClientRun) -> None:
    run.check()
    assert "Traceback" not in run.stderr, run.stderr[-4000:]
    assert all(not r.endswith("-> 500") for r in run.requests()), run.requests()
