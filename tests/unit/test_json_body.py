"""The one JSON reader of REST bodies: what it refuses, and that it says why."""

from __future__ import annotations

import pytest

from sendwell.api.rest.json_body import MalformedJson, parse_json


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 50_000 + b"]" * 50_000, "nested"),
        (b'{"a":' * 100 + b"1" + b"}" * 100, "nested"),
        (b'{"client_id": "\\ud800"}', "surrogate"),
        (b'{"\\udfff": 1}', "surrogate"),
        (b'["ok", ["\\ud83d"]]', "surrogate"),
        (b'{"page": NaN}', "NaN"),
        (b"[Infinity]", "Infinity"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"1" * 5000, "not valid JSON"),  # past Python's int digit limit
    ],
)
def test_refused_bodies_say_why(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedJson) as caught:
        parse_json(raw)
    assert reason in str(caught.value)


def test_good_bodies_are_read() -> None:
    assert parse_json(b"") == {}
    assert parse_json(b'{"emoji": "\\ud83d\\ude00", "n": [1, 2.5]}') == {
        "emoji": "😀",
        "n": [1, 2.5],
    }
    assert parse_json(b'{"a":' * 60 + b"1" + b"}" * 60) is not None
