"""Bounds on callers' values: IDs, field lengths, echoes and messages."""

from __future__ import annotations

import pytest

from sendwell.domain.errors import (
    ESD_CUSTOMER_KEY_INVALID,
    MESSAGE_LIMIT,
    Invalid,
    NotFound,
    clipped,
    shown,
)
from sendwell.domain.limits import MAX_ID, bounded_echo, check_lengths, parse_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("42", 42),
        (" 42 ", 42),
        (MAX_ID, MAX_ID),
        (MAX_ID + 1, None),
        (str(2**63), None),
        ("99999999999999999999", None),
        ("9" * 5000, None),
        (0, None),
        (-3, None),
        ("-3", None),
        ("4.0", None),
        ("٤٢", None),  # Arabic-Indic digits: int() reads them, an ID is ASCII
        (True, None),
        (None, None),
        ("abc", None),
    ],
)
def test_parse_id_names_only_ids_an_object_can_have(value, expected) -> None:
    assert parse_id(value) == expected


def test_over_long_keys_and_names_are_refused_with_the_limit() -> None:
    check_lengths("Email", {"CustomerKey": "k" * 36, "Name": "n" * 128, "HTMLBody": "x" * 10**6})
    with pytest.raises(Invalid) as caught:
        check_lengths("Email", {"CustomerKey": "k" * 9_000_000})
    assert "36" in caught.value.message and len(caught.value.message) < 200
    with pytest.raises(Invalid) as caught:
        check_lengths("EmailSendDefinition", {"CustomerKey": "k" * 37})
    assert caught.value.code == ESD_CUSTOMER_KEY_INVALID
    check_lengths("DataExtension", {"CustomerKey": "k" * 100})  # longer keys for data extensions
    with pytest.raises(Invalid):
        check_lengths("Subscriber", {"SubscriberKey": "s" * 255})


def test_an_echo_cuts_every_string_to_its_limit() -> None:
    given = {
        "__type__": "Email",
        "CustomerKey": "k" * 9_000_000,
        "HTMLBody": "<p>" * 1_000_000,
        "Nested": {"Name": "n" * 1000, "List": ["x" * 5000]},
        "ID": 7,
    }
    echo = bounded_echo(given)
    assert len(echo["CustomerKey"]) == 36 and echo["CustomerKey"].endswith("…")
    assert len(echo["HTMLBody"]) <= 1024 and len(echo["Nested"]["Name"]) == 128
    assert len(echo["Nested"]["List"][0]) <= 1024 and echo["ID"] == 7
    assert len(given["CustomerKey"]) == 9_000_000  # the caller's object is not changed


def test_messages_quote_values_briefly() -> None:
    huge = "x" * 9_000_000
    assert len(shown(huge)) < 120 and "9,000,000 characters" in shown(huge)
    assert shown("ab") == "'ab'" and clipped(42) == "42"
    assert len(NotFound(f"Email {huge} was not found.").message) <= MESSAGE_LIMIT + 1
