"""Salesforce ids: the 15 → 18 character checksum, case-insensitive 18-character ids, validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sendwell.domain.salesforce_ids import object_type, same_id, to18

# Published pairs, not computed here:
# - salesforce.stackexchange.com question 27686 ("How can I convert a 15 char Id value into an 18
#   char Id value?"), as quoted by several public test suites: the first three;
# - gammone.com, "How to convert Salesforce ID from 15 to 18 chars" (worked by hand): a0D3…;
# - theblogreaders.com, "difference between a 15 digit and a 18 digit Salesforce ID": 0019…;
# - a public pytest suite of 15 → 18 conversions: the four 0012… pairs.
PUBLISHED = [
    ("001A0000006Vm9r", "001A0000006Vm9rIAC"),
    ("003A0000005QB3A", "003A0000005QB3AIAW"),
    ("003A0000008qb1s", "003A0000008qb1sIAA"),
    ("a0D30000001n7Pi", "a0D30000001n7PiEAI"),
    ("0019000000B98de", "0019000000B98deAAB"),
    ("0012A00001aaAaa", "0012A00001aaAaaQAE"),
    ("0012000001A10aA", "0012000001A10aAAAR"),
    ("0012000001A1AA0", "0012000001A1AA0AAN"),
    ("0012000001AAaa1", "0012000001AAaa1AAD"),
]

id15 = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
    min_size=15,
    max_size=15,
)


@pytest.mark.parametrize(("short", "long"), PUBLISHED)
def test_published_15_character_ids_get_their_published_suffix(short: str, long: str) -> None:
    assert to18(short) == long


@pytest.mark.parametrize(("short", "long"), PUBLISHED)
def test_an_18_character_id_is_returned_as_is(short: str, long: str) -> None:
    assert to18(long) == long


@pytest.mark.parametrize(("short", "long"), PUBLISHED)
def test_18_character_ids_are_case_insensitive(short: str, long: str) -> None:
    assert to18(long.lower()) == long
    assert to18(long.upper()) == long
    assert same_id(long.swapcase(), short)


def test_15_character_ids_are_case_sensitive() -> None:
    assert not same_id("001A0000006Vm9r", "001a0000006vm9r")
    assert to18("001a0000006vm9r") == "001a0000006vm9rAAA"


def test_same_id_matches_the_two_forms_and_tells_records_apart() -> None:
    assert same_id("001A0000006Vm9r", "001A0000006Vm9rIAC")
    assert same_id("001A0000006Vm9rIAC", "001A0000006Vm9r")
    assert not same_id("001A0000006Vm9r", "003A0000005QB3A")
    assert not same_id("001A0000006Vm9r", "not an id")


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("", "15 or 18 characters long, not 0"),
        ("001A0000006Vm9", "15 or 18 characters long, not 14"),
        ("001A0000006Vm9rIA", "15 or 18 characters long, not 17"),
        ("001A0000006Vm9-", "only letters"),
        ("001A0000006Vm9rIA!", "only letters"),
        ("001A0000006Vm9é", "only letters"),
        ("001A0000006Vm9rIA9", "checksum of this 18-character id .* does not match"),
        # "000" sets bits on digit positions: no real id can carry it.
        ("000000000000000000", "checksum of this 18-character id .* does not match"),
    ],
)
def test_bad_ids_raise_value_error_naming_the_problem(bad: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        to18(bad)


def test_a_mistyped_18_character_id_is_told_its_checksum_does_not_match() -> None:
    # The published 003A0000005QB3AIAW with its last character mistyped (W -> X).
    with pytest.raises(ValueError) as raised:
        to18("003A0000005QB3AIAX")
    message = str(raised.value)
    assert "the checksum of this 18-character id ('IAX', its last three characters)" in message
    assert "does not match its first 15 characters" in message
    assert "is not a letter" not in message


def test_a_non_string_is_rejected() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        to18(1234)  # type: ignore[arg-type]


@given(id15)
def test_the_suffix_round_trips_through_any_casing(short: str) -> None:
    long = to18(short)

    assert long[:15] == short
    assert to18(long.upper()) == long
    assert to18(long.lower()) == long
    assert same_id(short, long.swapcase())


def test_object_type_reads_the_standard_key_prefixes() -> None:
    assert object_type(to18("003A0000005QB3A")) == "Contact"
    assert object_type("00Q000000000001AAA") == "Lead"
    assert object_type("701000000000001AAA") == "Campaign"
    assert object_type("00O000000000001AAA") == "Report"
    assert object_type("001A0000006Vm9rIAC") is None
