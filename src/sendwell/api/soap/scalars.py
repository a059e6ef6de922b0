"""Partner API scalar values: xsd text to Python and back, with ASMX-like messages.

Dates are the one place where Sendwell's naive UTC meets Marketing Cloud's system time; see
`codec` for the rule. `parse_datetime` and `format_datetime` take the system time's offset
from UTC in minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sendwell.api.soap.types import Field
from sendwell.domain.clock import from_incoming, to_system_time

_INT_RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class DecodeError(Exception):
    """A request element that does not fit the partner API schema."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---- Reading --------------------------------------------------------------------------------


def _parse_int(text: str, field: Field, owner: str) -> int:
    try:
        if "_" in text:  # Python accepts 1_000; XML Schema does not
            raise ValueError(text)
        value = int(text)
    except ValueError:
        raise DecodeError(
            f"Input string was not in a correct format: '{text}' is not a valid "
            f"{field.type} for {owner}.{field.name}."
        ) from None
    low, high = _INT_RANGES[field.type]
    if not low <= value <= high:
        raise DecodeError(f"Value '{text}' was either too large or too small for {field.type}.")
    return value


def _parse_bool(text: str, field: Field, owner: str) -> bool:
    value = _BOOLEANS.get(text.lower())
    if value is None:
        raise DecodeError(f"'{text}' is not a valid boolean for {owner}.{field.name}.")
    return value


def _parse_double(text: str, field: Field, owner: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise DecodeError(f"'{text}' is not a valid double for {owner}.{field.name}.") from None


def _parse_decimal(text: str, field: Field, owner: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise DecodeError(f"'{text}' is not a valid decimal for {owner}.{field.name}.") from None


def parse_datetime(text: str, field: Field, owner: str, offset: int) -> datetime:
    """xsd:dateTime to a naive UTC datetime; a value without a zone is system time."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise DecodeError(
            f"The string '{text}' is not a valid AllXsd value ({owner}.{field.name})."
        ) from None
    return from_incoming(value, offset)


def incoming_date(text: str, offset: int) -> datetime | None:
    """``text`` read as an incoming xsd:dateTime (naive UTC), or None when it is not one."""
    try:
        return from_incoming(datetime.fromisoformat(text.strip()), offset)
    except ValueError:
        return None


def _parse_time(text: str, field: Field, owner: str) -> time:
    """xsd:time to a naive time; an offset, if any, is dropped."""
    try:
        return time.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise DecodeError(
            f"The string '{text}' is not a valid time value ({owner}.{field.name})."
        ) from None


SCALAR_DECODERS: dict[str, Callable[[str, Field, str], Any]] = {
    "int": _parse_int,
    "long": _parse_int,
    "short": _parse_int,
    "byte": _parse_int,
    "boolean": _parse_bool,
    "double": _parse_double,
    "decimal": _parse_decimal,
    "time": _parse_time,
}


# ---- Writing --------------------------------------------------------------------------------


def _format_string(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, int) and not isinstance(item, bool):
        return str(item)
    raise TypeError(f"expected a string, got {type(item).__name__}")


def _format_int(item: Any) -> str:
    if isinstance(item, int) and not isinstance(item, bool):
        return str(item)
    raise TypeError(f"expected an int, got {type(item).__name__}")


def _format_bool(item: Any) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    raise TypeError(f"expected a bool, got {type(item).__name__}")


def _format_number(item: Any) -> str:
    if isinstance(item, int | float | Decimal) and not isinstance(item, bool):
        return str(item)
    raise TypeError(f"expected a number, got {type(item).__name__}")


def format_datetime(item: Any, offset: int) -> str:
    """A stored moment as Marketing Cloud writes dates: system time, no offset, the fraction of
    a second without trailing zeros (`2022-11-14T12:27:29.963`, `2018-06-25T05:58:00`).

    `item` is a datetime (naive means UTC) or the ISO text of one, as objects stored as JSON
    keep their dates.
    """
    if isinstance(item, str):
        try:
            item = datetime.fromisoformat(item)
        except ValueError:
            raise TypeError(f"expected a datetime, got the string {item[:40]!r}") from None
    if not isinstance(item, datetime):
        raise TypeError(f"expected a datetime, got {type(item).__name__}")
    # .NET writes DateTime with "FFFFFFF": trailing zeros trimmed. Sendwell keeps microseconds
    # (Marketing Cloud's SQL Server keeps milliseconds); writing them all means a date read back
    # in a filter ("ModifiedDate greaterThan" the last one seen) names the very same instant.
    text = to_system_time(item, offset).isoformat(timespec="microseconds")
    return text.rstrip("0").rstrip(".")


def _format_time(item: Any) -> str:
    if not isinstance(item, time):
        raise TypeError(f"expected a time, got {type(item).__name__}")
    precision = "milliseconds" if item.microsecond else "seconds"
    return item.replace(tzinfo=None).isoformat(timespec=precision)


SCALAR_ENCODERS: dict[str, Callable[[Any], str]] = {
    "string": _format_string,
    "int": _format_int,
    "long": _format_int,
    "short": _format_int,
    "byte": _format_int,
    "boolean": _format_bool,
    "double": _format_number,
    "decimal": _format_number,
    "time": _format_time,
}
