"""Filter trees: the partner API's SimpleFilterPart / ComplexFilterPart as plain values.

The same tree filters Retrieve results (``evaluate`` over property dicts) and audiences
(translated to SQL in ``store.filter_sql``). Operators follow the ``SimpleOperators`` enum.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sendwell.domain.errors import Invalid, shown
from sendwell.domain.limits import parse_id

# Operators that compare a value with an order (numbers, dates, text); the rest match text.
COMPARISONS = frozenset(
    {
        "equals",
        "notEquals",
        "IN",
        "greaterThan",
        "lessThan",
        "greaterThanOrEqual",
        "lessThanOrEqual",
        "between",
    }
)
SUPPORTED_OPERATORS = frozenset(
    {
        "equals",
        "notEquals",
        "greaterThan",
        "lessThan",
        "greaterThanOrEqual",
        "lessThanOrEqual",
        "isNull",
        "isNotNull",
        "between",
        "IN",
        "like",
        "beginsWith",
        "endsWith",
        "contains",
        "notContains",
        "existsInString",
        "notExistsInString",
    }
)


@dataclass(frozen=True)
class Simple:
    property: str
    operator: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Complex:
    operator: str  # "AND" | "OR"
    operands: tuple[Filter, ...]


Filter = Simple | Complex
# The type of a filtered property, by name: a partner WSDL type ("int", "dateTime", "string")
# or a data extension field type ("Number", "Date", "Text"); None when unknown (no checks).
TypeOf = Callable[[str], str | None]

# Whole-number types and their ranges (xsd); a value outside cannot match and is refused.
_INTEGER_RANGES = {"byte": 2**7, "short": 2**15, "int": 2**31, "long": 2**63}
_NUMBER_TYPES = frozenset({"double", "float", "decimal", "Number", "Decimal"})
_DATE_TYPES = frozenset({"dateTime", "date", "Date"})
# Numbers are compared as NUMERIC(38, 10) in SQL: larger magnitudes cannot be compared there.
_MAX_NUMBER = Decimal(10) ** 28


def parse_filter(part: Mapping[str, Any] | None, type_of: TypeOf | None = None) -> Filter | None:
    """Turn a decoded FilterPart dict (``__type__`` set by the codec) into a tree.

    With ``type_of``, the values of ordered comparisons must read as their property's type:
    a whole number in range, a finite number, a date.
    """
    if part is None:
        return None
    kind = part.get("__type__", "SimpleFilterPart")
    if kind == "SimpleFilterPart":
        return _simple(part, type_of)
    if kind == "ComplexFilterPart":
        op = (part.get("LogicalOperator") or "").upper()
        if op not in ("AND", "OR"):
            raise Invalid("ComplexFilterPart needs LogicalOperator AND or OR.")
        operands = [part.get("LeftOperand"), part.get("RightOperand")]
        extra = part.get("AdditionalOperands") or {}
        operands += list(extra.get("Operand") or []) if isinstance(extra, Mapping) else list(extra)
        parsed = tuple(p for p in (parse_filter(o, type_of) for o in operands if o) if p)
        if len(parsed) < 2:
            raise Invalid("ComplexFilterPart needs a LeftOperand and a RightOperand.")
        return Complex(op, parsed)
    raise Invalid(f"Filter type {shown(kind)} is not supported.")


def _simple(part: Mapping[str, Any], type_of: TypeOf | None) -> Simple:
    prop = part.get("Property")
    op = part.get("SimpleOperator")
    if not prop or not op:
        raise Invalid("SimpleFilterPart needs Property and SimpleOperator.")
    if op not in SUPPORTED_OPERATORS:
        raise Invalid(f"SimpleOperator {shown(op)} is not supported.")
    values = tuple(part.get("Value") or ()) + tuple(part.get("DateValue") or ())
    if op not in ("isNull", "isNotNull") and not values:
        raise Invalid(f"SimpleFilterPart on {shown(prop)} with {op} needs a Value.")
    if op == "between" and len(values) != 2:
        raise Invalid("The between operator needs exactly two values.")
    if op in COMPARISONS and type_of is not None:
        field_type = type_of(prop)
        for value in values:
            _check_value(prop, field_type, value)
    return Simple(prop, op, values)


def _check_value(prop: str, field_type: str | None, value: Any) -> None:
    """Refuse a comparison value that cannot be read as its property's type."""
    if field_type in _INTEGER_RANGES:
        bound = _INTEGER_RANGES[field_type]
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,20}", text) or not -bound <= int(text) < bound:
            raise Invalid(
                f"The value {shown(value)} for {shown(prop)} is not a whole number "
                f"of type {field_type} (from {-bound} to {bound - 1})."
            )
    elif field_type in _NUMBER_TYPES:
        if finite_number(value) is None:
            raise Invalid(f"The value {shown(value)} for {shown(prop)} is not a finite number.")
    elif field_type in _DATE_TYPES and _as_datetime(value) is None:
        raise Invalid(f"The value {shown(value)} for {shown(prop)} is not a date.")


def finite_number(value: Any) -> Decimal | None:
    """``value`` as a finite decimal of a comparable magnitude, or None."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or abs(number) >= _MAX_NUMBER:
        return None
    return number


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")).replace(
            tzinfo=None
        )
    except ValueError:
        return None


def properties_of(tree: Filter | None) -> set[str]:
    """Every property name a filter refers to."""
    if tree is None:
        return set()
    if isinstance(tree, Simple):
        return {tree.property}
    out: set[str] = set()
    for operand in tree.operands:
        out |= properties_of(operand)
    return out


def evaluate(tree: Filter | None, get: Callable[[str], Any]) -> bool:
    """True when the object whose property values ``get`` returns satisfies the filter."""
    if tree is None:
        return True
    if isinstance(tree, Complex):
        results = (evaluate(o, get) for o in tree.operands)
        return all(results) if tree.operator == "AND" else any(results)
    return _compare(get(tree.property), tree.operator, tree.values)


def _compare(actual: Any, op: str, values: tuple[Any, ...]) -> bool:
    if op == "isNull":
        return actual is None or actual == ""
    if op == "isNotNull":
        return not (actual is None or actual == "")
    if actual is None:
        return op in ("notEquals", "notContains", "notExistsInString")
    if op in COMPARISONS:
        try:
            return _ordered(actual, op, values)
        except (TypeError, ArithmeticError):
            # A value of another type (text against a number, NaN) matches nothing; filters
            # whose property types are known were refused at parse time instead.
            return op == "notEquals"
    text, needle = str(actual).lower(), str(values[0]).lower()
    if op == "like":
        return _like_regex(needle).fullmatch(text) is not None
    if op == "beginsWith":
        return text.startswith(needle)
    if op == "endsWith":
        return text.endswith(needle)
    if op in ("contains", "existsInString"):
        return needle in text
    if op in ("notContains", "notExistsInString"):
        return needle not in text
    raise Invalid(f"SimpleOperator {op} is not supported.")


def _ordered(actual: Any, op: str, values: tuple[Any, ...]) -> bool:
    if op in ("IN", "equals"):
        return any(_eq(actual, v) for v in values)
    if op == "notEquals":
        return not _eq(actual, values[0])
    a = _norm(actual)
    if op == "between":
        return _coerce(actual, values[0]) <= a <= _coerce(actual, values[1])
    b = _coerce(actual, values[0])
    return {
        "greaterThan": a > b,
        "lessThan": a < b,
        "greaterThanOrEqual": a >= b,
        "lessThanOrEqual": a <= b,
    }[op]


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, datetime | date):
        return value
    return str(value).lower()


def _coerce(actual: Any, given: Any) -> Any:
    """Read a filter value in the type of the property it is compared with."""
    if isinstance(actual, bool):
        return str(given).strip().lower() in ("true", "1")
    if isinstance(actual, int | float | Decimal):
        try:
            return Decimal(str(given).strip())
        except InvalidOperation:
            return str(given).lower()
    if isinstance(actual, datetime):
        if isinstance(given, datetime):
            return given.replace(tzinfo=None)
        try:
            return datetime.fromisoformat(str(given).replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            return str(given)
    return str(given).lower()


def _eq(actual: Any, given: Any) -> bool:
    return _norm(actual) == _coerce(actual, given)


def _like_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    )


def equality_on(tree: Filter | None, prop: str) -> int | None:
    """An ``prop equals N`` condition that every match must satisfy, to narrow a query.

    -1 (which no id has) when the value is not an id any object can have.
    """
    if isinstance(tree, Simple):
        if tree.property.lower() == prop.lower() and tree.operator == "equals":
            return parse_id(tree.values[0]) or -1
        return None
    if isinstance(tree, Complex) and tree.operator == "AND":
        for operand in tree.operands:
            found = equality_on(operand, prop)
            if found is not None:
                return found
    return None
