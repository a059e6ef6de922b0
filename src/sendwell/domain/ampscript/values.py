"""AMPscript values and the conversions between them.

A value is ``None`` (null: an unset variable, a data extension field without a value), a
string, a boolean, a number (``Decimal``, in .NET ``decimal`` range), a date (a naive
``datetime`` in Marketing Cloud system time), a ``Rowset`` or a ``Row``. Strings convert to
numbers and dates where a function needs one; every failed conversion is a ``FunctionError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from sendwell.domain.ampscript.errors import FunctionError

MAX_DECIMAL = Decimal("79228162514264337593543950335")  # .NET decimal.MaxValue
MAX_TEXT = 1_000_000  # characters: no string a function builds may grow beyond this

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August")
MONTHS += ("September", "October", "November", "December")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Row:
    """One data extension row; field names are case-insensitive."""

    __slots__ = ("fields",)

    def __init__(self, fields: Mapping[str, object]) -> None:
        self.fields = {str(k).lower(): v for k, v in fields.items()}

    def __repr__(self) -> str:
        return f"Row({self.fields!r})"


class Rowset:
    """Rows returned by ``LookupRows`` and friends, in order."""

    __slots__ = ("rows",)

    def __init__(self, rows: Iterable[Row]) -> None:
        self.rows = tuple(rows)

    def __repr__(self) -> str:
        return f"Rowset({len(self.rows)} rows)"


Value = None | str | bool | Decimal | datetime | Row | Rowset

_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*")


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
    raise FunctionError(f"a {type(value).__name__.lower()} cannot be used as text")


def decimal_text(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


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
        return checked(Decimal(value.strip()))
    except (InvalidOperation, FunctionError):
        return None


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


def boolean(value: Value) -> bool:
    """Truth as conditions read it: true, "true" (any case) and "1" are true; all else false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    if isinstance(value, Decimal):
        return value == 1
    return False


def is_empty(value: Value) -> bool:
    if value is None or value == "":
        return True
    return isinstance(value, Rowset) and not value.rows


def compare(operator: str, left: Value, right: Value) -> bool:
    """Compare as numbers when both are numbers, as dates when one is a date, else as text
    without regard to case (Marketing Cloud compares strings case-insensitively)."""
    a: object
    b: object
    a, b = number_or_none(left), number_or_none(right)
    if a is None or b is None:
        if isinstance(left, datetime) or isinstance(right, datetime):
            a, b = date(left), date(right)
        else:
            a, b = text(left).casefold(), text(right).casefold()
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


# --- Dates -------------------------------------------------------------------------------

_TIME = r"(?:[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*([AaPp][Mm])?)?"
_ZONE = r"\s*(Z|GMT|UTC|[+-]\d{2}:?\d{2})?"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + _ZONE, re.IGNORECASE)
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME + _ZONE, re.IGNORECASE)
_MONTH_FIRST = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})" + _TIME + _ZONE)
_DAY_FIRST = re.compile(r"(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})" + _TIME + _ZONE)


@lru_cache(maxsize=4096)
def parse_date(value: str, system_offset_minutes: int = -360) -> datetime | None:
    """A date string as system time (ISO 8601, US M/d/yyyy, "August 5, 2023", "5 Aug 2023")."""
    value = value.strip()
    try:
        if match := _ISO.fullmatch(value):
            year, month, day, *rest = match.groups()
        elif match := _US.fullmatch(value):
            month, day, year, *rest = match.groups()
        elif match := _MONTH_FIRST.fullmatch(value):
            name, day, year, *rest = match.groups()
            month = _month_number(name)
        elif match := _DAY_FIRST.fullmatch(value):
            day, name, year, *rest = match.groups()
            month = _month_number(name)
        else:
            return None
        hour, minute, second, fraction, meridiem, zone = rest
        hour_value = int(hour or 0)
        if meridiem:
            if not 1 <= hour_value <= 12:
                return None
            hour_value = hour_value % 12 + (12 if meridiem.lower() == "pm" else 0)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        parsed = datetime(
            int(year), int(month), int(day), hour_value, int(minute or 0), int(second or 0), micro
        )
    except (ValueError, TypeError):
        return None
    if zone:
        offset = 0 if zone.upper() in ("Z", "GMT", "UTC") else _offset_minutes(zone)
        parsed += timedelta(minutes=system_offset_minutes - offset)
    return parsed


def _month_number(name: str) -> int | None:
    name = name.lower()
    for number_, month in enumerate(MONTHS, 1):
        if month.lower() == name or (len(name) == 3 and month.lower().startswith(name)):
            return number_
    return None


def _offset_minutes(zone: str) -> int:
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:])
    return -minutes if zone[0] == "-" else minutes


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


def _show(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, Rowset | Row):
        return f"a {type(value).__name__.lower()}"
    shown = text(value)
    return repr(shown if len(shown) <= 40 else shown[:37] + "...")
