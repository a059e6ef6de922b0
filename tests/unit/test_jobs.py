"""The send job's contract: JobSpec to and from JSON, and the status machine."""

from __future__ import annotations

from datetime import time

import pytest

from sendwell.domain.errors import WrongState
from sendwell.domain.jobs import (
    DataExtensionSource,
    DefinitionRef,
    EmailContent,
    JobSpec,
    JobStatus,
    ListSource,
    SeedList,
    SyncSource,
    addresses,
    transition,
)
from sendwell.domain.throttle import Throttle

SPEC = JobSpec(
    definition=DefinitionRef(id=7, customer_key="Definition_Key", name="Def", object_id="g-1"),
    email=EmailContent(id=3, name="Welcome", html="<p>Hi %%Name%%</p>", text=None),
    subject="Hello %%Name%%",
    from_name="Shop",
    from_address="shop@example.test",
    reply_to="help@example.test",
    classification="Operational",
    sources=(
        DataExtensionSource(11, {"Email": "EmailAddress", "Name": "Text"}, {"Property": "Name"}),
        ListSource(5),
    ),
    exclusions=(SyncSource(9, "exclusion"),),
    dedupe_by_email=True,
    send_logging=False,
    tracking=False,
    cc=("cc@example.test",),
    bcc=("audit@example.test",),
    seeds=SeedList(10, ("seed@example.test",)),
    throttle=Throttle(500, 3600, time(8, 0), time(17, 30), -360),
    message_token="abc123",
)


def test_a_spec_survives_json() -> None:
    assert JobSpec.from_json(SPEC.to_json()) == SPEC


def test_a_spec_stored_before_the_type_existed_is_read() -> None:
    """Jobs of an existing database keep their dict specs (SOAP BccEmail was one text)."""
    old = {
        "message_token": "0f0f",
        "definition": {"ID": 1, "ObjectID": "o", "CustomerKey": "k", "Name": "n"},
        "email": {"ID": 2, "Name": "E", "HTMLBody": None, "TextBody": "Hi"},
        "subject": "S",
        "from_name": "F",
        "from_address": "f@example.test",
        "reply_to": None,
        "classification": "Marketing",
        "sources": [{"kind": "de", "de_id": 4, "fields": {"Email": "EmailAddress"}}],
        "exclusions": [],
        "dedupe_by_email": False,
        "send_logging": True,
        "bcc": "a@example.test;b@example.test",
        "tracking": True,
    }
    spec = JobSpec.from_json(old)
    assert spec.bcc == ("a@example.test", "b@example.test")
    assert spec.sources == (DataExtensionSource(4, {"Email": "EmailAddress"}),)
    assert spec.commercial and spec.tracking and spec.cc == () and spec.throttle is None
    assert spec.row_fields == {"email"}


def test_addresses_split_on_commas_and_semicolons() -> None:
    assert addresses(" a@x.test ; b@x.test,,c@x.test ") == ("a@x.test", "b@x.test", "c@x.test")
    assert addresses(["a@x.test", " "]) == ("a@x.test",)
    assert addresses(None) == ()


@pytest.mark.parametrize(
    ("status", "action", "target"),
    [
        ("Sending", "pause", JobStatus.PAUSED),
        ("Paused", "resume", JobStatus.SENDING),
        ("Paused", "cancel", JobStatus.CANCELED),
        ("Sending", "cancel", JobStatus.CANCELED),
        ("Sending", "complete", JobStatus.COMPLETE),
    ],
)
def test_allowed_moves(status: str, action: str, target: JobStatus) -> None:
    assert transition(1, status, action).target == target


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("Complete", "cancel", "Send 4 is Complete; it cannot be canceled."),
        ("Sending", "resume", "Send 4 is Sending; it cannot be resumed."),
        ("Canceled", "pause", "Send 4 is Canceled; it cannot be paused."),
        ("Sending", "explode", "Unknown action 'explode'; use pause, resume or cancel."),
    ],
)
def test_refused_moves_say_why(status: str, action: str, message: str) -> None:
    with pytest.raises(WrongState) as caught:
        transition(4, status, action)
    assert caught.value.message == message
