"""Filter trees: operands read as their property's type, and evaluation never raises."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from sendwell.domain.errors import Invalid
from sendwell.domain.filters import evaluate, parse_filter

TYPES = {"ID": "int", "Big": "long", "Amount": "double", "When": "dateTime", "Name": "string"}


def simple(prop: str, op: str, *values: object) -> dict:
    return {"__type__": "SimpleFilterPart", "Property": prop, "SimpleOperator": op, "Value": values}


def typed(part: dict):  # type: ignore[no-untyped-def]
    return parse_filter(part, TYPES.get)


@pytest.mark.parametrize(
    "part",
    [
        simple("ID", "between", "a", "b"),
        simple("ID", "greaterThan", "NaN"),
        simple("ID", "equals", str(2**31)),
        simple("ID", "equals", "99999999999999999999"),
        simple("ID", "IN", "1", "2.5"),
        simple("Big", "equals", str(2**63)),
        simple("Amount", "greaterThan", "NaN"),
        simple("Amount", "lessThan", "Infinity"),
        simple("Amount", "equals", "1e400"),
        simple("When", "between", "yesterday", "today"),
        simple("When", "greaterThan", "NaN"),
    ],
)
def test_an_operand_that_is_not_of_its_property_type_is_refused(part) -> None:
    with pytest.raises(Invalid) as caught:
        typed(part)
    assert part["Property"] in caught.value.message


def test_operands_of_the_right_type_are_taken() -> None:
    assert typed(simple("ID", "between", "1", str(2**31 - 1)))
    assert typed(simple("Big", "equals", str(2**63 - 1)))
    assert typed(simple("Amount", "greaterThan", "-1.5e3"))
    assert typed(simple("When", "greaterThan", "2026-01-01T00:00:00Z"))
    assert typed(simple("Name", "between", "a", "m"))  # text orders too
    assert typed(simple("Name", "equals", "NaN"))  # "NaN" is a fine name
    assert typed(simple("ID", "like", "NaN%"))  # text operators are not typed
    nested = {
        "__type__": "ComplexFilterPart",
        "LogicalOperator": "AND",
        "LeftOperand": simple("Name", "equals", "x"),
        "RightOperand": simple("ID", "greaterThan", "NaN"),
    }
    with pytest.raises(Invalid):
        typed(nested)


@pytest.mark.parametrize(
    ("actual", "op", "values"),
    [
        (5, "between", ("a", "b")),
        (5, "greaterThan", ("NaN",)),
        (Decimal("1.5"), "lessThanOrEqual", ("sNaN",)),
        (5, "between", ("NaN", "9")),
        (datetime(2026, 1, 1), "between", ("a", "b")),
        (datetime(2026, 1, 1), "greaterThan", (5,)),
    ],
)
def test_evaluation_of_mismatched_types_matches_nothing(actual, op, values) -> None:
    tree = parse_filter(simple("P", op, *values))  # no types known: not refused up front
    assert evaluate(tree, lambda _: actual) is False


def test_evaluation_still_compares_numbers_and_dates() -> None:
    between = parse_filter(simple("P", "between", "2", "9"))
    assert evaluate(between, lambda _: 5) and not evaluate(between, lambda _: 10)
    later = parse_filter(simple("P", "greaterThan", "2026-01-01"))
    assert evaluate(later, lambda _: datetime(2026, 2, 1))
