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

from sendwell.domain.errors import Invalid

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


def parse_filter(part: Mapping[str, Any] | None) -> Filter | None:
    """Turn a decoded FilterPart dict (``__type__`` set by the codec) into a tree."""
    if part is None:
        return None
    kind = part.get("__type__", "SimpleFilterPart")
    if kind == "SimpleFilterPart":
        prop = part.get("Property")
        op = part.get("SimpleOperator")
        if not prop or not op:
            raise Invalid("SimpleFilterPart needs Property and SimpleOperator.")
        if op not in SUPPORTED_OPERATORS:
            raise Invalid(f"SimpleOperator {op} is not supported.")
        values = tuple(part.get("Value") or ()) + tuple(part.get("DateValue") or ())
        if op not in ("isNull", "isNotNull") and not values:
            raise Invalid(f"SimpleFilterPart on {prop} with {op} needs a Value.")
        if op == "between" and len(values) != 2:
            raise Invalid("The between operator needs exactly two values.")
        return Simple(prop, op, values)
    if kind == "ComplexFilterPart":
        op = (part.get("LogicalOperator") or "").upper()
        if op not in ("AND", "OR"):
            raise Invalid("ComplexFilterPart needs LogicalOperator AND or OR.")
        operands = [part.get("LeftOperand"), part.get("RightOperand")]
        extra = part.get("AdditionalOperands") or {}
        operands += list(extra.get("Operand") or []) if isinstance(extra, Mapping) else list(extra)
        parsed = tuple(p for p in (parse_filter(o) for o in operands if o) if p)
        if len(parsed) < 2:
            raise Invalid("ComplexFilterPart needs a LeftOperand and a RightOperand.")
        return Complex(op, parsed)
    raise Invalid(f"Filter type {kind} is not supported.")


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
    if op in ("IN", "equals"):
        return any(_eq(actual, v) for v in values)
    if op == "notEquals":
        return not _eq(actual, values[0])
    if op == "between":
        lo, hi = _coerce(actual, values[0]), _coerce(actual, values[1])
        return lo <= _norm(actual) <= hi
    if op in ("greaterThan", "lessThan", "greaterThanOrEqual", "lessThanOrEqual"):
        a, b = _norm(actual), _coerce(actual, values[0])
        try:
            return {
                "greaterThan": a > b,
                "lessThan": a < b,
                "greaterThanOrEqual": a >= b,
                "lessThanOrEqual": a <= b,
            }[op]
        except TypeError:
            return False
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

    -1 (which no id has) when the condition's value is not a number.
    """
    if isinstance(tree, Simple):
        if tree.property.lower() == prop.lower() and tree.operator == "equals":
            text = str(tree.values[0]).strip()
            return int(text) if text.isdigit() and len(text) < 16 else -1
        return None
    if isinstance(tree, Complex) and tree.operator == "AND":
        for operand in tree.operands:
            found = equality_on(operand, prop)
            if found is not None:
                return found
    return None
