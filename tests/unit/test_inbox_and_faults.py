"""The inbox's search language and index fields, the simulator's answers, fault rules."""

from __future__ import annotations

import pytest

from sendwell.domain.errors import Invalid
from sendwell.domain.faults import fault_spec, matches, picked
from sendwell.domain.inbox import InboxQuery, index_fields, parse_query
from sendwell.domain.simulator import answer, behaviour, is_simulated


def test_parse_query_reads_fields_quotes_and_pasted_addresses() -> None:
    assert parse_query('to:Ada@Example.com subject:"your points" send:42 offer') == InboxQuery(
        "ada@example.com", 42, ("your points",), ("offer",)
    )
    assert parse_query("bob@example.test").to == "bob@example.test"
    assert parse_query("job:7").send == 7
    assert parse_query("send:x").words == ("send:x",)  # not a JobID: a word
    assert parse_query('"unbalanced').words == ('"unbalanced',)
    assert parse_query("").empty


def test_index_fields_decode_the_subject_and_read_the_text_part() -> None:
    data = (
        b"Subject: =?utf-8?b?w4lsw6hvbm9yZQ==?= news\r\nContent-Type: multipart/alternative;"
        b' boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nYour caf=C3=A9 offer\r\n--b--\r\n"
    )
    fields = index_fields("Ada@Example.test", "shop@example.test", data)
    assert fields["subject"] == "Élèonore news"
    assert fields["rcpt_to"] == "ada@example.test"
    assert "your café offer" in fields["haystack"]  # type: ignore[operator]
    html = b"Subject: x\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>there</b></p>"
    assert "hello there" in index_fields("a@b.c", "d@e.f", html)["haystack"]  # type: ignore[operator]


def test_simulator_answers_by_name() -> None:
    assert is_simulated("bounce@Simulator.Sendwell.Test") and not is_simulated("a@example.test")
    assert answer("bounce+3@simulator.sendwell.test", 1).code == 550
    assert answer("softbounce@simulator.sendwell.test", 5).code == 451
    assert answer("soft-then-delivered@simulator.sendwell.test", 1).code == 451
    assert answer("soft-then-delivered@simulator.sendwell.test", 2).code == 250
    assert answer("complaint@simulator.sendwell.test", 1).unsubscribe
    assert behaviour("whatever@simulator.sendwell.test") == "delivered"


def test_fault_specs_are_checked_and_filled() -> None:
    assert fault_spec("transport", "smtp_reply").code == 451
    assert fault_spec("soap", "object_error").code == 2
    assert fault_spec("rest", "rate_limit").retry_after == 30
    for bad in (
        {"target": "rest", "kind": "object_error"},
        {"target": "soap", "kind": "smtp_reply"},
        {"target": "nowhere", "kind": "delay"},
        {"target": "rest", "kind": "delay", "share": 1.5},
        {"target": "transport", "kind": "smtp_reply", "code": 250},
    ):
        with pytest.raises(Invalid):
            fault_spec(**bad)  # type: ignore[arg-type]


def test_matching_and_shares() -> None:
    assert matches("soap", "retrieve", "Retrieve") and not matches("soap", "Create", "Retrieve")
    assert matches("rest", "/messaging/", "/messaging/v1/email") and matches("rest", None, "/x")
    picks = [picked(0.3, 1, job, seq) for job in range(2) for seq in range(500)]
    assert 250 <= sum(picks) <= 350
    assert picks == [picked(0.3, 1, job, seq) for job in range(2) for seq in range(500)]
