"""Reading dates from text as Marketing Cloud's .NET runtime does (``DateTimeOffset.TryParse``
with the en-US culture), as far as email content uses it.

Accepted: ISO 8601 (``2023-05-01``, ``2023-05-01T14:00:00.0``), ``yyyy/M/d``, US ``M/d/yyyy``
(and ``M/d/yy``), month names (``October 2, 2023``, ``Oct 2 2023``) and day-first
(``2 Oct 2023``), each with an optional weekday in front (``Mon, 2 Oct 2023``) and an optional
time (``5:00``, ``2:30PM``, ``13:41:23.567``) and zone (``Z``, ``GMT``, ``UTC``, ``-06:00``,
``+0100``, ``-1:00``). A date with a zone is converted to system time; one without is system
time already.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August")
MONTHS += ("September", "October", "November", "December")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_WEEKDAY = r"(?:[A-Za-z]{3,9}\.?,?\s+)?"
_TIME = (
    r"(?:(?:[T ]|,\s*)\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"\s*([AaPp]\.?[Mm]\.?)?)?"
)
_ZONE = r"\s*(Z|GMT|UTC|[+-]\d{1,2}(?::?\d{2})?)?"
_END = _TIME + _ZONE
_ISO = re.compile(_WEEKDAY + r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + _END, re.IGNORECASE)
_US = re.compile(_WEEKDAY + r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})" + _END, re.IGNORECASE)
_MONTH_FIRST = re.compile(
    _WEEKDAY + r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})" + _END, re.IGNORECASE
)
_DAY_FIRST = re.compile(
    _WEEKDAY + r"(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})" + _END, re.IGNORECASE
)


@lru_cache(maxsize=4096)
def parse_date(value: str, system_offset_minutes: int = -360) -> datetime | None:
    """A date string as system time, or None when it is not one of the accepted forms."""
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
        parsed = _combine(_year(year), int(month), int(day), rest)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None
    if parsed is None:
        return None
    zone = rest[-1]
    if zone:
        offset = 0 if zone.upper() in ("Z", "GMT", "UTC") else _offset_minutes(zone)
        parsed += timedelta(minutes=system_offset_minutes - offset)
    return parsed


def _combine(year: int, month: int, day: int, rest: list[str | None]) -> datetime | None:
    hour, minute, second, fraction, meridiem, _ = rest
    hour_value = int(hour or 0)
    if meridiem:
        if not 1 <= hour_value <= 12:
            return None
        pm = meridiem.lower().startswith("p")
        hour_value = hour_value % 12 + (12 if pm else 0)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(year, month, day, hour_value, int(minute or 0), int(second or 0), micro)


def _year(year: str) -> int:
    # .NET's two-digit year window ends at 2049.
    if len(year) == 2:
        short = int(year)
        return 2000 + short if short <= 49 else 1900 + short
    return int(year)


def _month_number(name: str) -> int | None:
    name = name.lower()
    for number_, month in enumerate(MONTHS, 1):
        if month.lower() == name or (len(name) >= 3 and month.lower().startswith(name)):
            return number_
    return None


def _offset_minutes(zone: str) -> int:
    body = zone[1:]
    if ":" in body:
        hours, minutes = body.split(":")
    elif len(body) <= 2:
        hours, minutes = body, "0"
    else:
        hours, minutes = body[:-2], body[-2:]
    total = int(hours) * 60 + int(minutes)
    return -total if zone[0] == "-" else total
