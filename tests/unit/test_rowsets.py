"""The rowset query language (``$filter``, ``$orderBy``) and how row values read back."""

from __future__ import annotations

import pytest

from sendwell.domain.errors import Invalid
from sendwell.domain.filters import Complex, Simple
from sendwell.domain.rowsets import parse_order_by, parse_rowset_filter, shown_value


def test_fuelsdkwrapper_filters_become_filter_trees() -> None:
    # What search_filter_for_rest_call emits, URL-decoded.
    assert parse_rowset_filter("Email eq 'a@example.com'") == Simple(
        "Email", "equals", ("a@example.com",)
    )
    assert parse_rowset_filter("Phone IS NOT NULL") == Simple("Phone", "isNotNull", ())
    assert parse_rowset_filter("Phone is null") == Simple("Phone", "isNull", ())
    assert parse_rowset_filter("City in ('Paris','Lyon')") == Simple(
        "City", "IN", ("Paris", "Lyon")
    )
    assert parse_rowset_filter("((Age gte '3' AND Name like 'A%') OR Vip neq 'True')") == Complex(
        "OR",
        (
            Complex(
                "AND",
                (Simple("Age", "greaterThanOrEqual", ("3",)), Simple("Name", "like", ("A%",))),
            ),
            Simple("Vip", "notEquals", ("True",)),
        ),
    )


def test_and_binds_before_or_and_quotes_are_doubled() -> None:
    tree = parse_rowset_filter("A eq 1 or B eq 2 and C lt '3'")
    assert tree == Complex(
        "OR",
        (
            Simple("A", "equals", ("1",)),
            Complex("AND", (Simple("B", "equals", ("2",)), Simple("C", "lessThan", ("3",)))),
        ),
    )
    assert parse_rowset_filter("Name eq 'O''Brien'") == Simple("Name", "equals", ("O'Brien",))
    assert parse_rowset_filter("  ") is None


@pytest.mark.parametrize(
    "text",
    [
        "Name",
        "Name eq",
        "Name eq 'open",
        "(Name eq 'a'",
        "Name eq 'a')",
        "Name between 'a'",
        "Name in 'a'",
        "Name in ('a' 'b')",
        "Name IS 'a'",
        "Name eq 'a' AND",
        "eq eq eq eq",
        "(" * 40 + "A eq 1" + ")" * 40,
    ],
)
def test_malformed_filters_are_refused_with_10000(text: str) -> None:
    with pytest.raises(Invalid) as raised:
        parse_rowset_filter(text)
    assert raised.value.code == 10000
    assert raised.value.message.startswith("The $filter is not valid")


def test_order_by() -> None:
    assert parse_order_by("Email ASC,Age DESC, Name") == [
        ("Email", False),
        ("Age", True),
        ("Name", False),
    ]
    assert parse_order_by(None) == []
    with pytest.raises(Invalid):
        parse_order_by("Email UP")


def test_values_read_back_as_marketing_cloud_shows_them() -> None:
    assert shown_value("Boolean", "true") == "True"
    assert shown_value("Boolean", "false") == "False"
    assert shown_value("Date", "2010-05-22 00:00:00") == "5/22/2010 12:00:00 AM"
    assert shown_value("Date", "2021-07-01 13:05:09") == "7/1/2021 1:05:09 PM"
    assert shown_value("Number", "42") == "42"
    assert shown_value("Text", None) == ""
