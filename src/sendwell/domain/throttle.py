"""Send throttling: a daily delivery window and at most ``limit`` messages per period.

Pure functions over naive UTC datetimes. The window is given as times of day in the account's
system time (Marketing Cloud's is UTC−6), passed in as a UTC offset in minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta


@dataclass(frozen=True)
class Throttle:
    limit: int | None  # messages per period; None = no limit
    period_seconds: int
    opens: time | None  # window start, local system time; None = always open
    closes: time | None
    utc_offset_minutes: int

    def chunk_size(self, default: int) -> int:
        return min(default, self.limit) if self.limit else default


def in_window(now: datetime, throttle: Throttle) -> bool:
    """True when ``now`` (UTC) falls inside the daily window."""
    if throttle.opens is None or throttle.closes is None:
        return True
    local = (now + timedelta(minutes=throttle.utc_offset_minutes)).time()
    if throttle.opens <= throttle.closes:
        return throttle.opens <= local < throttle.closes
    return local >= throttle.opens or local < throttle.closes  # window across midnight


def next_opening(now: datetime, throttle: Throttle) -> datetime:
    """The next moment (UTC) the window opens; ``now`` if it is open."""
    if in_window(now, throttle):
        return now
    assert throttle.opens is not None
    offset = timedelta(minutes=throttle.utc_offset_minutes)
    local_now = now + offset
    candidate = datetime.combine(local_now.date(), throttle.opens)
    if candidate <= local_now:
        candidate += timedelta(days=1)
    return candidate - offset


@dataclass(frozen=True)
class PeriodState:
    period_start: datetime | None
    period_sent: int


def after_delivery(
    now: datetime, state: PeriodState, delivered: int, throttle: Throttle
) -> tuple[PeriodState, datetime | None]:
    """Account for ``delivered`` messages; returns the new state and when to send next."""
    period = timedelta(seconds=throttle.period_seconds)
    start, sent = state.period_start, state.period_sent
    if start is None or now >= start + period:
        start, sent = now, 0
    sent += delivered
    next_at: datetime | None = None
    if throttle.limit and sent >= throttle.limit:
        next_at = start + period
    candidate = next_at or now
    if not in_window(candidate, throttle):
        next_at = next_opening(candidate, throttle)
    return PeriodState(start, sent), next_at
