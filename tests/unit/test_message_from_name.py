"""The From name is personalised per recipient like the subject, and stays one header line."""

from __future__ import annotations

import re

import pytest
from tests.unit.test_message import display_name, header_block, make_spec, parse, render

from sendwell.domain.message import compile_message


def test_a_personalised_from_name_is_filled_per_recipient() -> None:
    message = compile_message(make_spec(from_name="%%FromN%% at Acme"))
    assert "fromn" in message.fields

    ann = parse(render(message, {"fromn": "Ann's adviser", "firstname": "Ann"}).data)
    bob = parse(render(message, {"fromn": "Bob's adviser", "firstname": "Bob"}).data)
    assert ann["From"].addresses[0].display_name == "Ann's adviser at Acme"
    assert bob["From"].addresses[0].display_name == "Bob's adviser at Acme"
    assert {ann["From"].addresses[0].addr_spec, bob["From"].addresses[0].addr_spec} == {
        "news@acme.test"
    }


def test_an_empty_value_leaves_the_rest_of_the_name_or_a_bare_address() -> None:
    assert parse(render(compile_message(make_spec(from_name="%%FromN%%")), {}).data)["From"] == (
        "news@acme.test"
    )
    named = compile_message(make_spec(from_name="%%FromN%% Acme"))
    assert parse(render(named, {}).data)["From"] == "Acme <news@acme.test>"


def test_ampscript_in_the_from_name_runs_per_recipient() -> None:
    message = compile_message(make_spec(from_name="%%=ProperCase(FirstName)=%% from Acme"))
    rendered = render(message, {"firstname": "zoë", "city": "Lyon"})
    assert display_name(rendered.data, "From") == "Zoë from Acme"


@pytest.mark.parametrize(
    "value",
    [
        "x\r\nBcc: victim@example.test",
        "x\nBcc: victim@example.test",
        "x\r\n\r\nBcc: victim@example.test",
        '"x" <victim@example.test>, y',
        "日本\r\nBcc: victim@example.test",
    ],
)
def test_a_filled_from_name_never_adds_a_header_or_an_address(value: str) -> None:
    rendered = render(compile_message(make_spec(from_name="%%FromN%%")), {"fromn": value})
    parsed = parse(rendered.data)
    assert "Bcc" not in parsed
    assert not re.search(rb"^bcc:", header_block(rendered.data), re.IGNORECASE | re.MULTILINE)
    assert [a.addr_spec for a in parsed["From"].addresses] == ["news@acme.test"]
    assert "victim@example.test" in display_name(rendered.data, "From")  # filled, but as a name
    assert parsed["Subject"] == "Hello"
