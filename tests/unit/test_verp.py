"""VERP return paths: what goes out decodes back to the job and recipient; forgeries do not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sendwell.domain import verp

SECRET = "s3cret"


def test_encode_names_job_and_recipient_at_the_bounce_domain() -> None:
    address = verp.encode(42, 7, SECRET, "bounces.example.test")
    local, _, domain = address.partition("@")
    assert domain == "bounces.example.test"
    assert local.startswith("bounce+42.7.")
    assert verp.decode(address, SECRET) == (42, 7)


@given(st.integers(1, 10**9), st.integers(0, 10**9))
def test_round_trip(job_id: int, seq: int) -> None:
    assert verp.decode(verp.encode(job_id, seq, SECRET, "b.example.test"), SECRET) == (job_id, seq)


def test_relays_that_change_case_or_add_brackets_still_decode() -> None:
    address = verp.encode(3, 9, SECRET, "b.example.test")
    assert verp.decode(address.upper(), SECRET) == (3, 9)
    assert verp.decode(f"<{address}>", SECRET) == (3, 9)


def test_forged_addresses_do_not_decode() -> None:
    address = verp.encode(3, 9, SECRET, "b.example.test")
    mac = address.split("@")[0].rsplit(".", 1)[1]
    assert verp.decode(address.replace("bounce+3.9.", "bounce+3.10."), SECRET) is None
    assert verp.decode(f"bounce+3.9.{'a' * len(mac)}@b.example.test", SECRET) is None
    assert verp.decode(address, "another secret") is None
    assert verp.decode(address, "") is None
    for other in ("bounce@b.example.test", "news@example.test", "bounce+3.9@b.example.test", ""):
        assert verp.decode(other, SECRET) is None


def test_a_secret_is_required() -> None:
    with pytest.raises(ValueError):
        verp.encode(1, 1, "", "b.example.test")
    with pytest.raises(ValueError, match="secret key"):
        verp.ReturnPath(1, "", "b.example.test")
    path = verp.ReturnPath(5, SECRET, "b.example.test")
    assert path(2) == verp.encode(5, 2, SECRET, "b.example.test")
