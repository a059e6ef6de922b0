"""AMPscript values and the conversions between them.

A value is one of:

* ``None``: null as the language has it, a variable declared with ``VAR`` (or never set);
* ``DB_NULL``: null as data has it, a data extension field or attribute without a value, or a
  ``Lookup`` that found no row. Only this one is null for ``IsNull`` (as Marketing Cloud's own
  engine, SalesforceLabs/ampscript-core, has it: ``IsNull`` tests for ``DBNull``); it shows and
  compares as an empty string;
* a string, a boolean, a number (``Decimal``), a date (a naive ``datetime`` in Marketing Cloud
  system time), a ``Rowset`` or ``Row``, or an API object (``api_objects.ApiObject``).

Strings convert to numbers and dates where a function needs one; a failed conversion is a
``FunctionError``. Comparisons never fail: their rules are in ``comparison``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from sendwell.domain.ampscript.dates import DAYS, MONTHS, parse_date  # noqa: F401 (re-exported)
from sendwell.domain.ampscript.errors import FunctionError

MAX_DECIMAL = Decimal("79228162514264337593543950335")  # .NET decimal.MaxValue
MAX_DOUBLE = Decimal("1.7976931348623157E+308")  # .NET double.MaxValue
INT64 = (-(2**63), 2**63 - 1)
MAX_TEXT = 1_000_000  # characters: no string a function builds may grow beyond this


class DataNull:
    """The null of data (.NET ``DBNull``): one instance, ``DB_NULL``."""

    __slots__ = ()
    _instance: DataNull | None = None

    def __new__(cls) -> DataNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DB_NULL"

    def __bool__(self) -> bool:
        return False


DB_NULL = DataNull()


class Row:
    """One data extension row; field names are case-insensitive, and keep their order (for
    ``Field(row, n)``)."""

    __slots__ = ("fields",)

    def __init__(self, fields: Mapping[str, object]) -> None:
        self.fields = {str(k).lower(): v for k, v in fields.items()}

    def at(self, position: int) -> object:
        """The value of the ``position``-th field (1-based); IndexError when there is none."""
        if position < 1:
            raise IndexError(position)
        return list(self.fields.values())[position - 1]

    def __repr__(self) -> str:
        return f"Row({self.fields!r})"


class Rowset:
    """Rows returned by ``LookupRows`` and friends, in order."""

    __slots__ = ("rows",)

    def __init__(self, rows: Iterable[Row]) -> None:
        self.rows = tuple(rows)

    def __repr__(self) -> str:
        return f"Rowset({len(self.rows)} rows)"


Value = Any  # None | DataNull | str | bool | Decimal | datetime | Row | Rowset | ApiObject

# What arithmetic reads as a number (.NET double.Parse with the en-US culture: thousands
# separators and an exponent are allowed).
_NUMBER = re.compile(r"\s*[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
# What a comparison takes for a number (.NET decimal.TryParse, NumberStyles.Number): no
# exponent, a sign before or after.
_DECIMAL = re.compile(r"\s*([+-])?\s*(\d[\d,]*(?:\.\d*)?|\.\d+)\s*([+-])?\s*")


def text(value: Value) -> str:
    """The value as content shows it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime):
        return default_date_text(value)
    if value is DB_NULL:
        return ""
    shown = getattr(value, "shown", None)  # API objects show as their type's name
    if shown is not None:
        return shown()  # type: ignore[no-any-return]
    raise FunctionError(f"a {type(value).__name__.lower()} cannot be used as text")


def decimal_text(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def literal_number(token: str) -> Decimal:
    """A number written in content: beyond a 64-bit integer (whole) or a double (with a
    point) it is 0, as in Marketing Cloud (ampscript-core's corpus, captured from it)."""
    value = Decimal(token)
    if "." not in token:
        return value if INT64[0] <= value <= INT64[1] else Decimal(0)
    return value if abs(value) <= MAX_DOUBLE else Decimal(0)


def checked(value: Decimal) -> Decimal:
    """``value`` if it is inside .NET decimal range, else a FunctionError."""
    if not value.is_finite() or abs(value) > MAX_DECIMAL:
        raise FunctionError("the number is out of range")
    return value


def number_or_none(value: Value) -> Decimal | None:
    """The value as a number if it is one or a string that spells one, else None."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        return _spelled_number(value)
    return None


@lru_cache(maxsize=4096)  # the same attribute values come back recipient after recipient
def _spelled_number(value: str) -> Decimal | None:
    if not _NUMBER.fullmatch(value):
        return None
    try:
        return checked(Decimal(value.strip().replace(",", "")))
    except (InvalidOperation, FunctionError):
        return None


@lru_cache(maxsize=4096)
def decimal_or_none(value: str) -> Decimal | None:
    """``value`` read as .NET's ``decimal.TryParse`` reads it (en-US), else None."""
    match = _DECIMAL.fullmatch(value)
    if match is None or (match.group(1) and match.group(3)):
        return None
    sign = "-" if "-" in (match.group(1) or "", match.group(3) or "") else ""
    digits = match.group(2).replace(",", "")
    try:
        found = Decimal(sign + digits)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return None
    return found if abs(found) <= MAX_DECIMAL else None


def number(value: Value, what: str = "value") -> Decimal:
    found = number_or_none(value)
    if found is None:
        raise FunctionError(f"{what} must be a number, not {_show(value)}")
    return found


def integer(value: Value, what: str = "value") -> int:
    found = number(value, what)
    if found != found.to_integral_value():
        raise FunctionError(f"{what} must be a whole number, not {_show(value)}")
    return int(found)


_INT32 = (-(2**31), 2**31 - 1)
_WHOLE = re.compile(r"\s*[+-]?\d+\s*")


def boolean(value: Value) -> bool:
    """Truth as Marketing Cloud reads it (.NET ``TryToBoolean`` in ampscript-core): a boolean
    is itself; a whole number (or a string of one) is true when it is 1; "true"/"false" in any
    case; anything else (null, other text, dates) is false."""
    if value is True or value is False:
        return value  # type: ignore[return-value]
    if isinstance(value, Decimal):
        return value == 1
    if isinstance(value, str):
        return _text_truth(value)
    return False


@lru_cache(maxsize=1024)
def _text_truth(value: str) -> bool:
    if _WHOLE.fullmatch(value):
        whole = int(value)
        return whole == 1 and _INT32[0] <= whole <= _INT32[1]
    return value.strip().lower() == "true"


def is_empty(value: Value) -> bool:
    if value is None or value is DB_NULL or value == "":
        return True
    return isinstance(value, Rowset) and not value.rows


# --- Dates -------------------------------------------------------------------------------


def date(value: Value, what: str = "value") -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        parsed = parse_date(value)
        if parsed is not None:
            return parsed
    raise FunctionError(f"{what} must be a date, not {_show(value)}")


def default_date_text(value: datetime) -> str:
    """How a date shows on its own: ``8/5/2023 1:41:23 PM``."""
    hour = value.hour % 12 or 12
    meridiem = "PM" if value.hour >= 12 else "AM"
    return (
        f"{value.month}/{value.day}/{value.year} "
        f"{hour}:{value.minute:02d}:{value.second:02d} {meridiem}"
    )


def show(value: Value) -> str:
    """A value as an error message names it."""
    return _show(value)


def _show(value: Value) -> str:
    if value is None or value is DB_NULL:
        return "null"
    if isinstance(value, Rowset | Row):
        return f"a {type(value).__name__.lower()}"
    try:
        shown = text(value)
    except FunctionError:
        return f"a {type(value).__name__.lower()}"
    return repr(shown if len(shown) <= 40 else shown[:37] + "...")
