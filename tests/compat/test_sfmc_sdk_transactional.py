"""sfmc-sdk 2.1.2 (npm) driving the Transactional Messaging API of a real Sendwell.

sfmc-sdk is the most used maintained Node SDK for Marketing Cloud; its REST helper (``sdk.rest``:
``get``, ``post``, ``patch``, ``delete``, and ``getBulk``, which knows this API's
``definitions`` paging) is how its users call the Transactional Messaging API, and no registry
client wraps that API any closer (searched: PyPI and npm have none; Salesforce's generated
Java/C# SDKs are not on a registry reachable here). Installed as in ``test_sfmc_sdk.py``.

In a network namespace with only loopback, ``node_recipe`` starts Sendwell (SMTP recorder), makes
a triggered send data extension, and runs ``clients/sfmc_sdk_transactional.mjs`` twice: the send
phase (a Content Builder email, a list and subscribers, definitions, single and batch sends,
statuses by messageKey, pause and queue, the not-sent feed), then, after the recipe opened and
clicked a delivered message over HTTP, the events phase (SOAP events, delete).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from .netns import CLIENTS, ClientRun, run_argv
from .test_sfmc_sdk import NODE_MARKER, install_sfmc_sdk

BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); import harness; "
    "from tests.compat.test_sfmc_sdk_transactional import node_recipe; "
    "harness.run(node_recipe, smtp=True)"
)
DE_KEY = "OrderSends"
_cache: dict[str, ClientRun] = {}


def _node(server: Any, phase: str, **extra: str) -> dict[str, Any]:
    """One phase of the node script against ``server``; its JSON (an error raises)."""
    env = {
        **os.environ,
        "SENDWELL_BASE": server.base,
        "SFMC_CLIENT_ID": server.client_id,
        "SFMC_CLIENT_SECRET": server.client_secret,
        "SFMC_ACCOUNT_ID": str(server.mid),
        "SFMC_SDK_DIR": sys.argv[2],
        "PHASE": phase,
        **extra,
    }
    proc = subprocess.run(
        ["node", str(CLIENTS / "sfmc_sdk_transactional.mjs")],
        cwd=sys.argv[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(NODE_MARKER)]
    if not lines:
        raise RuntimeError(f"node printed no result (exit {proc.returncode}):\n{proc.stderr}")
    out = json.loads(lines[-1][len(NODE_MARKER) :])
    if "error" in out:
        raise RuntimeError(f"the sfmc-sdk {phase} phase failed: {out['error']}")
    return out


def node_recipe(server: Any, result: dict[str, Any]) -> None:
    """Runs inside the namespace (``harness.run``)."""
    import harness
    import requests
    from sqlalchemy import select

    from sendwell.services.registry import KINDS
    from sendwell.store.tables import de_rows, objects

    fields = [
        {"Name": "SubscriberKey", "FieldType": "Text", "MaxLength": 254},
        {"Name": "EmailAddress", "FieldType": "EmailAddress"},
        {"Name": "FirstName", "FieldType": "Text"},
        {"Name": "OrderNo", "FieldType": "Text"},
    ]
    with server.engine.begin() as conn:  # a triggered send data extension: no primary key
        KINDS["DataExtension"].create(
            conn, server.mid, {"CustomerKey": DE_KEY, "Name": DE_KEY, "Fields": {"Field": fields}}
        )
    smtp = server.extra["smtp"]
    result["send"] = sent = _node(server, "send")
    # Delivered: ann, bob, gone (transactional: the unsubscribed too), cy, and dee after the
    # pause; not held, nobody, eve (queue dropped).
    harness.wait_for(lambda: len(smtp.messages) >= 5, timeout=20)
    result["smtp"] = [
        {
            "mail_from": m.mail_from,
            "rcpt_to": m.rcpt_to,
            "list_unsubscribe": m.message.get("List-Unsubscribe"),
            **harness.summarise(m.message),
            "html": m.message.get_body(("html",)).get_content(),
        }
        for m in smtp.messages
    ]
    ann = next(m["html"] for m in result["smtp"] if m["rcpt_to"] == ["ann@example.test"])
    pixel = re.search(r'src="https?://[^/"]+(/t/o/[^"]+)"', ann)
    link = re.search(r'href="https?://[^/"]+(/t/c/[^"]+)"', ann)
    assert pixel and link, ann
    result["open_http"] = requests.get(server.base + pixel[1], timeout=10).status_code
    click = requests.get(server.base + link[1], allow_redirects=False, timeout=10)
    result["click_http"] = [click.status_code, click.headers.get("location")]
    result["events"] = _node(server, "events", DEFINITION_ID=sent["created"]["definitionId"])
    with server.engine.connect() as conn:
        de_id = conn.execute(
            select(objects.c.id).where(objects.c.customer_key == DE_KEY)
        ).scalar_one()
        result["de_rows"] = [
            dict(r.data)
            for r in conn.execute(
                select(de_rows.c.data).where(de_rows.c.de_id == de_id).order_by(de_rows.c.id)
            )
        ]


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _cache:
        sdk_dir = install_sfmc_sdk(tmp_path_factory)
        workdir = tmp_path_factory.mktemp("sfmc-sdk-tm")
        argv = [sys.executable, "-c", BOOT, str(CLIENTS), str(workdir), str(sdk_dir)]
        _cache["run"] = run_argv(argv, workdir, "the sfmc-sdk run", timeout=180)
    return _cache["run"]


@pytest.fixture
def send(run: ClientRun) -> dict[str, Any]:
    return run["send"]


def delivered(run: ClientRun) -> dict[str, dict[str, Any]]:
    return {m["rcpt_to"][0]: m for m in run["smtp"]}


def test_definitions_are_created_read_listed_and_refused_twice(send: dict[str, Any]) -> None:
    created = send["created"]
    assert created["definitionKey"] == "order-confirmation" and created["status"] == "Active"
    assert re.fullmatch(r"[0-9a-f-]{36}", created["definitionId"])
    assert created["subscriptions"] == {
        "list": "tx-list",
        "dataExtension": DE_KEY,
        "autoAddSubscriber": True,
        "updateSubscriber": True,
    }
    assert created["options"] == {"trackLinks": True}
    got = send["got"]
    assert {k: got[k] for k in created if k != "requestId"} == {
        k: v for k, v in created.items() if k != "requestId"
    }
    duplicate = send["duplicate"]
    assert (duplicate["threw"], duplicate["status"], duplicate["code"]) == ("RestError", 409, 30004)
    active = {d["definitionKey"]: d for d in send["listed_active"]["definitions"]}
    assert "order-confirmation" in active and "shipping-notice" not in active  # Inactive
    assert {d["status"] for d in active.values()} == {"Active"}
    assert "definitionId" not in active["order-confirmation"]
    # The demo's definition is there too; by name, a page of one at a time gives the same order.
    every = send["listed_all"]["definitions"]
    names = [d["name"] for d in every]
    assert names == sorted(names) and {"Order confirmation", "Shipping notice"} <= set(names)
    pages = send["listed_pages"]
    assert [d["definitionKey"] for p in pages for d in p["definitions"]] == [
        d["definitionKey"] for d in every
    ]
    assert [(p["page"], p["pageSize"]) for p in pages] == [(n, 1) for n in range(1, len(pages) + 1)]
    assert pages[-1]["definitions"] == []  # past the last one


def test_get_bulk_stops_after_the_first_page_of_definitions(send: dict[str, Any]) -> None:
    """A defect of the client, not of Sendwell: for this API getBulk compares ``count`` with the
    reply's ``$pageSize``, a field no reply has (it is ``pageSize``), so it never asks page 2."""
    every = send["listed_all"]["definitions"]
    assert len(every) >= 3 and send["bulk"]["count"] == len(every)
    assert len(send["bulk"]["definitions"]) == 1  # page 1 of size 1, and no more asked


def test_a_single_send_is_delivered_personalised_and_followed(run: ClientRun) -> None:
    send = run["send"]
    assert send["single"]["errorcode"] == 0
    assert send["single"]["responses"] == [{"messageKey": "msg-ann"}]
    status = send["single_status"]
    assert status["eventCategoryType"] == "TransactionalSendEvents.EmailSent", status
    assert status["info"] == {
        "messageKey": "msg-ann",
        "contactKey": "c-ann",
        "to": "ann@example.test",
    }
    ann = delivered(run)["ann@example.test"]
    assert ann["subject"] == "Order 1001 for ann"
    assert ann["text"] == "Hello ann, order 1001 ships today."
    assert "Hello Ann, " in ann["html"]  # AMPscript: Propercase(AttributeValue("FirstName"))
    assert "/t/c/" in ann["html"] and "/t/o/" in ann["html"]  # trackLinks, open pixel
    assert not ann["list_unsubscribe"]  # a transactional classification
    reused = send["reused"]
    assert (reused["threw"], reused["status"], reused["code"]) == ("RestError", 400, 109110)


def test_a_batch_answers_each_recipient_and_sends_to_the_unsubscribed(run: ClientRun) -> None:
    send = run["send"]
    batch = send["batch"]
    assert batch["errorcode"] == 109001
    assert batch["message"].startswith("MCMS_UTM_ResponsesHasErrors: 1 subscribers failed")
    responses = batch["responses"]
    assert [r["messageKey"] for r in responses[:4]] == [
        "msg-bob",
        "msg-gone",
        "msg-held",
        "msg-none",
    ]
    assert responses[3]["errorcode"] == 109106  # no "to"
    assert [r.get("errorcode") for r in responses if r["messageKey"] != "msg-none"] == [None] * 4
    generated = responses[4]["messageKey"]
    assert generated and generated not in {"msg-bob", "msg-gone", "msg-held", "msg-none"}
    statuses = {k: v["eventCategoryType"].split(".")[1] for k, v in send["batch_status"].items()}
    assert statuses == {"msg-bob": "EmailSent", "msg-gone": "EmailSent", "msg-held": "EmailNotSent"}
    held = send["batch_status"]["msg-held"]["info"]
    assert (held["statusCode"], held["statusMessage"]) == (2, "Held")
    assert send["none_status"]["status"] == 404  # never queued
    mail = delivered(run)
    assert mail["bob@example.test"]["subject"] == "Order 2000 for bob"  # shared attribute
    assert mail["cy@example.test"]["subject"] == "Order 2001 for cy"  # its own wins
    assert mail["gone@example.test"]["text"] == "Hello gus, order 2000 ships today."
    assert "held@example.test" not in mail


def test_request_level_errors_are_the_documented_codes(send: dict[str, Any]) -> None:
    too_many = send["too_many"]
    assert (too_many["status"], too_many["code"]) == (400, 109101)
    assert too_many["message"].startswith("MCMS_UTM_Validation_TooManySubscribers")
    unknown = send["unknown_definition"]
    assert (unknown["status"], unknown["code"]) == (400, 109111)


def test_a_paused_definition_queues_and_its_queue_can_be_dropped(run: ClientRun) -> None:
    send = run["send"]
    assert send["pause"]["status"] == "Inactive"
    assert send["queued_status"]["eventCategoryType"] == "TransactionalSendEvents.EmailQueued"
    assert send["queue_paused"]["count"] == 1
    assert send["resume"]["status"] == "Active"
    assert send["queued_then"]["eventCategoryType"] == "TransactionalSendEvents.EmailSent"
    assert send["queue_after"]["count"] == 0
    assert delivered(run)["dee@example.test"]["subject"] == "Order 3001 for dee"
    assert send["queue_deleted"]["message"] == "Queued"  # (sic) Marketing Cloud's word
    dropped = send["dropped_status"]
    assert dropped["eventCategoryType"] == "TransactionalSendEvents.EmailNotSent"
    assert (dropped["info"]["statusCode"], dropped["info"]["statusMessage"]) == (
        37,
        "QueuedTransactionDeleted",
    )
    assert "eve@example.test" not in delivered(run)
    refused = send["queue_delete_active_refused"]
    assert (refused["status"], refused["code"]) == (400, 30001)


def test_the_not_sent_feed_lists_the_held_and_the_dropped(send: dict[str, Any]) -> None:
    feed = send["not_sent"]
    assert [(m["info"]["messageKey"], m["statusCode"]) for m in feed["messages"]] == [
        ("msg-held", 2),
        ("msg-dropped", 37),
    ]
    assert {m["definitionKey"] for m in feed["messages"]} == {"order-confirmation"}
    assert feed["count"] == 2 and feed["lastEventID"] == feed["messages"][-1]["eventID"]
    after = send["not_sent_after_first"]
    assert [m["info"]["messageKey"] for m in after["messages"]] == ["msg-dropped"]
    page = send["not_sent_page"]
    assert [m["info"]["messageKey"] for m in page["messages"]] == ["msg-held"]


def test_subscribers_and_the_data_extension_are_kept_per_send(run: ClientRun) -> None:
    rows = run["de_rows"]
    # One row per accepted message (held and dropped included: they were accepted), in order.
    assert [r["SubscriberKey"] for r in rows][:2] == ["c-ann", "c-bob"]
    ann = rows[0]
    assert ann == {
        "SubscriberKey": "c-ann",
        "EmailAddress": "ann@example.test",
        "FirstName": "ann",
        "OrderNo": "1001",
    }


def test_tracking_events_are_retrievable_by_the_definition(run: ClientRun) -> None:
    events = run["events"]
    assert run["open_http"] == 200
    assert run["click_http"] == [302, "https://shop.example.test/orders"]

    def keys(name: str) -> list[str]:
        got = events[name]
        assert got["threw"] is None, got
        return sorted(r["SubscriberKey"] for r in got["returned"]["Results"] or [])

    assert keys("sent_events") == ["c-ann", "c-bob", "c-cy", "c-dee", "c-gone"]
    assert keys("open_events") == ["c-ann"]
    assert keys("click_events") == ["c-ann"]
    assert keys("not_sent_events") == ["c-eve", "c-held"]


def test_a_deleted_definition_is_gone_and_takes_no_sends(run: ClientRun) -> None:
    events = run["events"]
    assert events["deleted"]["message"] == "Success" and events["deleted"]["deletedDefinitionKey"]
    assert (events["after_delete"]["status"], events["after_delete"]["code"]) == (404, 30003)
    assert (events["send_deleted"]["status"], events["send_deleted"]["code"]) == (400, 109111)
    keys = [d["definitionKey"] for d in events["listed_after_delete"]["definitions"]]
    assert "order-confirmation" not in keys and "shipping-notice" in keys


def test_the_server_logged_no_errors(run: ClientRun) -> None:
    run.check()
    assert "Traceback" not in run.stderr, run.stderr[-4000:]
    assert all(not r.endswith("-> 500") for r in run.requests()), run.requests()
