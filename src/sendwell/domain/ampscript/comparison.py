"""How AMPscript compares two values: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``.

A comparison never fails. The rules, in the order they apply, are Marketing Cloud's as
SalesforceLabs/ampscript-core implements them (``SageValue.CompareTo``) and as the comparison
corpus it captured from Marketing Cloud shows (``Corpus/Comparisons``):

1. **Null is unordered.** When either side is null (a ``VAR`` never set), ``<``, ``>`` and
   ``!=`` are true and ``==``, ``<=``, ``>=`` false; two nulls are the same (``==`` true).
2. **Booleans**: when either side is a boolean, both are read as booleans (``1`` and ``"1"``
   are true, ``"true"``/``"false"`` in any case, anything else false) and, like nulls, are
   either the same (``==``, ``<=``, ``>=`` true) or not (``<``, ``>``, ``!=`` true): two
   different booleans are unordered.
3. **Dates**: when either side is a date, the other is read as a date; what is not one is the
   earliest date there is (.NET's ``DateTimeOffset.MinValue``).
4. **Numbers**: when either side is a number or a string .NET reads as a decimal
   (``"1,000"``, ``" 5 "``), both are compared as numbers; a side that is not one counts as 0.
5. **Text** otherwise: equality ignores case with simple case mapping (``ß`` is not ``ss``);
   order follows the culture's collation, ignoring case and accents (inferred: an approximation
   of the en-US ``CompareOptions.IgnoreNonSpace`` collation ampscript-core uses: spaces and
   punctuation, then symbols, then digits, then letters).

A data null (``DB_NULL``) compares as an empty string, as .NET's ``DBNull`` does.
"""

from __future__ import annotations

import operator
import unicodedata
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sendwell.domain.ampscript.dates import parse_date
from sendwell.domain.ampscript.values import DB_NULL, Row, Rowset, Value, boolean, decimal_or_none

INCLUSIVE = frozenset({"==", "<=", ">="})  # true when both sides are the same
ZERO = Decimal(0)
_EARLIEST = datetime.min


def compare(operator: str, left: Value, right: Value) -> bool:
    """``left operator right`` by Marketing Cloud's rules (see the module's docstring)."""
    if left is None or right is None:
        same = left is None and right is None
        return same if operator in INCLUSIVE else not same
    if left.__class__ is bool or right.__class__ is bool:
        same = boolean(left) == boolean(right)
        return same if operator in INCLUSIVE else not same
    if isinstance(left, datetime) or isinstance(right, datetime):
        return ordered(operator, as_date(left), as_date(right))
    a, b = as_decimal(left), as_decimal(right)
    if a is not None or b is not None:
        return ordered(operator, ZERO if a is None else a, ZERO if b is None else b)
    return compare_text(operator, comparable_text(left), comparable_text(right))


def ordered(operator: str, a: object, b: object) -> bool:
    """``a operator b`` for two values of one ordered type."""
    if operator == "==":
        return a == b
    if operator == "!=":
        return a != b
    if operator == "<":
        return a < b  # type: ignore[operator]
    if operator == ">":
        return a > b  # type: ignore[operator]
    if operator == "<=":
        return a <= b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


def compare_text(operator: str, a: str, b: str) -> bool:
    """Two strings: equality without regard to case, order by collation."""
    if operator == "==":
        return a.lower() == b.lower()
    if operator == "!=":
        return a.lower() != b.lower()
    return ordered(operator, collation_key(a), collation_key(b))


def _may_be_number(value: str) -> bool:
    """Whether text may read as a decimal; text starting with a letter never does (the common
    case, decided without the parser)."""
    return not value[:1].isalpha() and decimal_or_none(value) is not None


def as_decimal(value: Value) -> Decimal | None:
    """The value as a comparison reads a number, or None when it is not number-like."""
    if value.__class__ is Decimal:
        return value  # type: ignore[no-any-return]
    if value.__class__ is str:
        return decimal_or_none(value)
    return None


def as_date(value: Value) -> datetime:
    """The value as a comparison reads a date: what is not one is the earliest date."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return parse_date(value) or _EARLIEST
    return _EARLIEST


def comparable_text(value: Value) -> str:
    """The text a comparison compares: .NET's ToString of values that are not text."""
    if value.__class__ is str:
        return value  # type: ignore[no-any-return]
    if value is DB_NULL:
        return ""
    if isinstance(value, Rowset):
        return "System.Data.DataTable"
    if isinstance(value, Row):
        return "System.Data.DataRow"
    shown = getattr(value, "shown", None)
    return shown() if shown is not None else str(value)


_GROUPS = {"Z": 0, "C": 0, "P": 1, "S": 2, "N": 3, "L": 4, "M": 4}
_SPAN = 0x110000


@lru_cache(maxsize=8192)
def collation_key(value: str) -> tuple[int, ...]:
    """A sort key that ignores case and accents (ß sorts as ss) and puts spaces and
    punctuation before symbols, digits and letters, as the en-US collation does."""
    key = []
    for char in unicodedata.normalize("NFKD", value.casefold()):
        category = unicodedata.category(char)
        if category == "Mn":  # a combining accent: IgnoreNonSpace
            continue
        key.append(_GROUPS.get(category[0], 5) * _SPAN + ord(char))
    return tuple(key)


# --- Compiled comparisons ----------------------------------------------------------------

Evaluate = Callable[[Any], Value]
_OPERATORS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def compiled_comparison(symbol: str, left: Evaluate, right: Evaluate, literal: Value) -> Evaluate:
    """A comparison's evaluator. Against a literal (``literal``, the right side's value, else
    None) that side is read once, at compile time, and the common cases (text against text,
    a number against a number) skip the general rules."""
    test = _OPERATORS[symbol]
    if isinstance(literal, str) and as_decimal(literal) is None:
        if symbol in ("==", "!="):
            lowered, equal = literal.lower(), symbol == "=="

            def against_text(ctx: Any) -> Value:
                value = left(ctx)
                if value.__class__ is str and not _may_be_number(value):
                    return (value.lower() == lowered) is equal
                return compare(symbol, value, literal)

            return against_text
        key = collation_key(literal)

        def against_text_order(ctx: Any) -> Value:
            value = left(ctx)
            if value.__class__ is str and not _may_be_number(value):
                return test(collation_key(value), key)
            return compare(symbol, value, literal)

        return against_text_order
    amount = as_decimal(literal) if literal.__class__ is not bool else None
    if amount is not None:

        def against_number(ctx: Any) -> Value:
            value = left(ctx)
            if value.__class__ is str:
                found = decimal_or_none(value)
                return test(ZERO if found is None else found, amount)
            if value.__class__ is Decimal:
                return test(value, amount)
            return compare(symbol, value, literal)

        return against_number
    return lambda ctx: compare(symbol, left(ctx), right(ctx))
