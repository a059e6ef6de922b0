"""The one clock, and Marketing Cloud's system time.

Sendwell stores naive UTC datetimes. Marketing Cloud shows and reads dates in its *system time*:
a fixed offset from UTC (UTC−6 all year, no daylight saving; the setting
``system_utc_offset_minutes``). The protocol edges (the SOAP codec, the REST Send API, AMPscript's
``Now()``) convert with the functions below, so they all name the same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Marketing Cloud's system time: UTC−6, without daylight saving ("Incoming Date Normalization";
# stack 4 would be UTC−7). The default of Settings.system_utc_offset_minutes.
SYSTEM_UTC_OFFSET_MINUTES = -360


def utcnow() -> datetime:
    """Now in UTC, without tzinfo (the store keeps naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def system_now(offset_minutes: int = SYSTEM_UTC_OFFSET_MINUTES) -> datetime:
    """Now in system time, without tzinfo."""
    return utcnow() + timedelta(minutes=offset_minutes)


def to_system_time(moment: datetime, offset_minutes: int) -> datetime:
    """A stored moment (naive UTC, or aware) as naive system time."""
    return _shift(_naive_utc(moment), offset_minutes)


def from_incoming(moment: datetime, offset_minutes: int) -> datetime:
    """An incoming date as naive UTC: an aware one keeps its offset, a naive one is system time."""
    if moment.tzinfo is not None:
        return _naive_utc(moment)
    return _shift(moment, -offset_minutes)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return datetime.min if moment.year == 1 else datetime.max


def _shift(moment: datetime, minutes: int) -> datetime:
    # Within hours of year 1 or 9999 the shift leaves the calendar: keep the edge, and keep an
    # edge where it is, as .NET's DateTime.MinValue and MaxValue stay put between zones.
    if moment in (datetime.min, datetime.max):
        return moment
    try:
        return moment + timedelta(minutes=minutes)
    except OverflowError:
        return datetime.min if minutes < 0 else datetime.max
