"""When a scheduled send goes: Marketing Cloud's ``ScheduleDefinition`` as pure rules.

A SOAP ``Schedule`` names a start, a recurrence pattern (``MinutelyRecurrence`` …
``YearlyRecurrence``) and a range (``EndAfter`` so many occurrences, or ``EndOn`` a date). Every
rule here works in Marketing Cloud's system time (UTC−6 all year, no daylight saving): a day
starts at midnight system time, a week on Sunday (the WSDL's day order), and each occurrence
keeps the start's time of day. The sources document the fields and the error codes (140–194),
not how the patterns count, so the counting below is inferred from what the field names say:

- Minutely, Hourly and Daily ``Interval``: the start, then every N minutes, hours or days.
- Daily ``EveryWeekDay``: every Monday to Friday from the start on.
- Weekly ``ByDay``: the chosen days of every N-th week, weeks counted from the start's week.
- Monthly ``ByDay``: day D of every N-th month from the start's month (the month's last day when
  it is shorter); ``ByWeek``: its first … fourth or last given weekday.
- Yearly ``ByDay`` / ``ByMonth``: day D of the given month every year; ``ByWeek``: the first …
  last given weekday of that month.

Only occurrences at or after the start count. The range counts every occurrence from the
first, including ones that passed while no worker ran (those are skipped, not sent late).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sendwell.domain import errors as e
from sendwell.domain.clock import to_system_time
from sendwell.domain.errors import Invalid, shown

UNITS = ("Minutely", "Hourly", "Daily", "Weekly", "Monthly", "Yearly")
# Python's weekday numbers (Monday is 0) by the names the WSDL uses.
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKS = ("first", "second", "third", "fourth", "last")
MONTHS = tuple(calendar.month_name[1:])
MAX_INTERVAL = 999  # Sendwell's bound (none is published): beyond it dates leave the calendar


@dataclass(frozen=True)
class Recurrence:
    """A recurrence pattern; which fields matter depends on ``unit``."""

    unit: str  # one of UNITS
    interval: int = 1  # minutes, hours, days, weeks or months between occurrences
    weekdays_only: bool = False  # Daily EveryWeekDay
    days: tuple[int, ...] = ()  # Weekly: weekday numbers (Monday 0)
    day: int | None = None  # Monthly/Yearly by day: the day of the month
    week: str | None = None  # Monthly/Yearly by week: first … fourth, last
    day_of_week: int | None = None  # … of this weekday (Monday 0)
    month: int | None = None  # Yearly: 1-12


@dataclass(frozen=True)
class Schedule:
    """A pattern from a start (system time, naive) within a range."""

    recurrence: Recurrence
    start: datetime
    occurrences: int | None = None  # EndAfter
    end: datetime | None = None  # EndOn, inclusive, system time

    def within(self, at: datetime, number: int) -> bool:
        """Whether the ``number``-th occurrence, at ``at``, is inside the range."""
        if self.occurrences is not None and number > self.occurrences:
            return False
        return self.end is None or at <= self.end

    def to_json(self) -> dict[str, Any]:
        """The schedule as stored with a job."""
        return {
            "recurrence": {**asdict(self.recurrence), "days": list(self.recurrence.days)},
            "start": self.start.isoformat(),
            "occurrences": self.occurrences,
            "end": self.end.isoformat() if self.end else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Schedule:
        """A stored schedule."""
        rule = dict(data["recurrence"])
        rule["days"] = tuple(rule.get("days") or ())
        return cls(
            Recurrence(**rule),
            datetime.fromisoformat(data["start"]),
            data.get("occurrences"),
            datetime.fromisoformat(data["end"]) if data.get("end") else None,
        )


@dataclass(frozen=True)
class Occurrence:
    """One send of a schedule: when (system time) and which (1 for the first)."""

    at: datetime
    number: int


# ---- Reading a ScheduleDefinition -----------------------------------------------------------


def _invalid(code: int, name: str, detail: str = "") -> Invalid:
    return Invalid(f"Schedule_{name}" + (f": {detail}" if detail else ""), code)


def _validation(detail: str) -> Invalid:
    return _invalid(e.SCHEDULE_INVALID, "Validation Error", detail)


def parse_schedule(definition: Mapping[str, Any], offset_minutes: int) -> Schedule:
    """A decoded ``ScheduleDefinition`` (dates in naive UTC, as the codec gives them) as a
    ``Schedule`` in system time; Invalid with Marketing Cloud's code for what is wrong."""
    if definition.get("StartDateTime") is None:
        raise _invalid(e.SCHEDULE_START_MISSING, "Recurrence_Start DateTime Not Specified")
    start = to_system_time(definition["StartDateTime"], offset_minutes)
    occurrences, end = _range(definition, offset_minutes)
    if end is not None and end < start:
        raise _validation("the EndDateTime is before the StartDateTime.")
    return Schedule(_recurrence(definition), start, occurrences, end)


def _range(definition: Mapping[str, Any], offset: int) -> tuple[int | None, datetime | None]:
    kind = definition.get("RecurrenceRangeType")
    if kind is None:
        raise _invalid(
            e.SCHEDULE_RANGE_TYPE_MISSING, "Recurrence_Recurrence Range Type Not Specified"
        )
    if kind == "EndAfter":
        count = definition.get("Occurrences")
        if count is None:
            raise _invalid(e.SCHEDULE_OCCURRENCES_MISSING, "Recurrence_Occurrences Not Specified")
        if count < 1:
            raise _validation(f"Occurrences must be at least 1, not {count}.")
        return count, None
    if definition.get("EndDateTime") is None:
        raise _invalid(e.SCHEDULE_END_MISSING, "Recurrence_End DateTime Not Specified")
    return None, to_system_time(definition["EndDateTime"], offset)


def _recurrence(definition: Mapping[str, Any]) -> Recurrence:
    given = definition.get("Recurrence")
    if not given:
        raise _validation("the schedule needs a Recurrence (an xsi:type such as DailyRecurrence).")
    unit = str(given.get("__type__", "")).removesuffix("Recurrence")
    if unit not in UNITS:
        raise _validation(f"{shown(given.get('__type__'))} is not a supported recurrence.")
    stated = definition.get("RecurrenceType")
    if stated is not None and stated != unit:
        raise _validation(f"RecurrenceType {stated} does not match the {unit}Recurrence given.")
    return _READERS[unit](given)


def _interval(value: Any, what: str) -> int:
    if value < 1 or value > MAX_INTERVAL:
        raise _validation(f"{what} must be between 1 and {MAX_INTERVAL}, not {value}.")
    return int(value)


def _fixed(unit: str, field: str) -> Any:
    def read(given: Mapping[str, Any]) -> Recurrence:
        # Interval is the only pattern of these types: a missing one means it (inferred).
        if given.get(field) is None:
            raise _validation(f"{unit}Recurrence needs a {field}.")
        return Recurrence(unit, _interval(given[field], field))

    return read


def _daily(given: Mapping[str, Any]) -> Recurrence:
    pattern = given.get("DailyRecurrencePatternType")
    if pattern is None:
        raise _invalid(
            e.SCHEDULE_DAILY_PATTERN_MISSING,
            "DailyRecurrence_Daily Recurrence Pattern Type Not Specified",
        )
    if pattern == "EveryWeekDay":
        return Recurrence("Daily", weekdays_only=True)
    if given.get("DayInterval") is None:
        raise _invalid(
            e.SCHEDULE_DAILY_INTERVAL_MISSING, "DailyRecurrence_Day Interval Not Specified"
        )
    return Recurrence("Daily", _interval(given["DayInterval"], "DayInterval"))


def _weekly(given: Mapping[str, Any]) -> Recurrence:
    if given.get("WeeklyRecurrencePatternType") is None:
        raise _invalid(
            e.SCHEDULE_WEEKLY_PATTERN_MISSING,
            "WeeklyRecurrence_Weekly Recurrence Pattern Type Not Specified",
        )
    days = tuple(number for number, name in enumerate(DAY_NAMES) if given.get(name))
    if not days:
        raise _validation("a WeeklyRecurrence needs at least one day set to true.")
    weeks = given.get("WeekInterval")  # no code for a missing one: every week (inferred)
    return Recurrence("Weekly", 1 if weeks is None else _interval(weeks, "WeekInterval"), days=days)


def _monthly(given: Mapping[str, Any]) -> Recurrence:
    pattern = given.get("MonthlyRecurrencePatternType")
    if pattern is None:
        raise _invalid(
            e.SCHEDULE_MONTHLY_PATTERN_MISSING,
            "MonthlyRecurrence_Monthly Recurrence Pattern Type Not Specified",
        )
    if given.get("MonthlyInterval") is None:
        raise _invalid(
            e.SCHEDULE_MONTHLY_INTERVAL_MISSING, "MonthlyRecurrence_Monthly Interval Not Specified"
        )
    interval = _interval(given["MonthlyInterval"], "MonthlyInterval")
    if pattern == "ByDay":
        day = _day(given, e.SCHEDULE_MONTHLY_DAY_MISSING, "MonthlyRecurrence", 31)
        return Recurrence("Monthly", interval, day=day)
    week, weekday = _week(
        given,
        e.SCHEDULE_MONTHLY_WEEK_MISSING,
        e.SCHEDULE_MONTHLY_DAY_OF_WEEK_MISSING,
        "MonthlyRecurrence",
    )
    return Recurrence("Monthly", interval, week=week, day_of_week=weekday)


def _yearly(given: Mapping[str, Any]) -> Recurrence:
    pattern = given.get("YearlyRecurrencePatternType")
    if pattern is None:
        raise _invalid(
            e.SCHEDULE_YEARLY_PATTERN_MISSING,
            "YearlyRecurrence_Yearly Recurrence Pattern Type Not Specified",
        )
    if pattern == "ByWeek":
        week, weekday = _week(
            given,
            e.SCHEDULE_YEARLY_WEEK_MISSING,
            e.SCHEDULE_YEARLY_DAY_OF_WEEK_MISSING,
            "YearlyRecurrence",
        )
        return Recurrence("Yearly", week=week, day_of_week=weekday, month=_month(given))
    month = _month(given)
    longest = calendar.monthrange(2000, month)[1]  # a leap year: 29 February is allowed
    day = _day(given, e.SCHEDULE_YEARLY_DAY_MISSING, "YearlyRecurrence", longest)
    return Recurrence("Yearly", day=day, month=month)


def _day(given: Mapping[str, Any], code: int, owner: str, longest: int) -> int:
    day = given.get("ScheduledDay")
    if day is None:
        raise _invalid(code, f"{owner}_Scheduled Day Not Specified")
    if not 1 <= day <= longest:
        raise _validation(f"ScheduledDay must be between 1 and {longest}, not {day}.")
    return int(day)


def _week(
    given: Mapping[str, Any], week_code: int, weekday_code: int, owner: str
) -> tuple[str, int]:
    if given.get("ScheduledWeek") is None:
        raise _invalid(week_code, f"{owner}_Scheduled Week Not Specified")
    if given.get("ScheduledDayOfWeek") is None:
        raise _invalid(weekday_code, f"{owner}_Scheduled Day Of Week Not Specified")
    return given["ScheduledWeek"], DAY_NAMES.index(given["ScheduledDayOfWeek"])


def _month(given: Mapping[str, Any]) -> int:
    if given.get("ScheduledMonth") is None:
        raise _invalid(
            e.SCHEDULE_YEARLY_MONTH_MISSING, "YearlyRecurrence_Scheduled Month Not Specified"
        )
    return MONTHS.index(given["ScheduledMonth"]) + 1


_READERS = {
    "Minutely": _fixed("Minutely", "MinuteInterval"),
    "Hourly": _fixed("Hourly", "HourInterval"),
    "Daily": _daily,
    "Weekly": _weekly,
    "Monthly": _monthly,
    "Yearly": _yearly,
}


# ---- Counting occurrences -------------------------------------------------------------------


def occurrences(schedule: Schedule, after: datetime | None = None) -> Iterator[datetime]:
    """The pattern's times from the start on, ascending (only those after ``after`` when
    given), ignoring the range; it ends only where the calendar does."""
    start = schedule.start
    floor = start if after is None or after < start else after
    for at in _pattern(schedule.recurrence, start, floor):
        if at >= start and (after is None or at > after):
            yield at


def first_occurrence(schedule: Schedule) -> Occurrence | None:
    """The schedule's first occurrence, or None when its range holds none."""
    for at in occurrences(schedule):
        return Occurrence(at, 1) if schedule.within(at, 1) else None
    return None


def next_occurrence(schedule: Schedule, previous: Occurrence, now: datetime) -> Occurrence | None:
    """The occurrence after ``previous`` still to come at ``now`` (system time), or None when the
    range has ended. Occurrences that passed meanwhile count toward the range."""
    number = previous.number
    for at in occurrences(schedule, previous.at):
        number += 1
        if not schedule.within(at, number):
            return None
        if at > now:
            return Occurrence(at, number)
    return None


def _pattern(rule: Recurrence, start: datetime, floor: datetime) -> Iterator[datetime]:
    """Candidate times in ascending order, starting at or a little before ``floor``."""
    try:
        if rule.unit in ("Minutely", "Hourly") or (rule.unit == "Daily" and not rule.weekdays_only):
            yield from _steps(rule, start, floor)
        elif rule.unit in ("Daily", "Weekly"):
            yield from _days(rule, start, floor)
        elif rule.unit == "Monthly":
            yield from _months(rule, start, floor)
        else:
            yield from _years(rule, start, floor)
    except (OverflowError, ValueError):  # past year 9999: no more occurrences
        return


def _steps(rule: Recurrence, start: datetime, floor: datetime) -> Iterator[datetime]:
    unit = {"Minutely": "minutes", "Hourly": "hours", "Daily": "days"}[rule.unit]
    step = timedelta(**{unit: rule.interval})
    k = (floor - start) // step
    while True:
        yield start + k * step
        k += 1


def _days(rule: Recurrence, start: datetime, floor: datetime) -> Iterator[datetime]:
    # Weeks start on Sunday: the first week is the one holding the start.
    first_sunday = start.date() - timedelta(days=(start.weekday() + 1) % 7)
    day = floor.date()
    while True:
        if rule.weekdays_only:
            chosen = day.weekday() < 5
        else:
            week = (day - first_sunday).days // 7
            chosen = day.weekday() in rule.days and week % rule.interval == 0
        if chosen:
            yield datetime.combine(day, start.time())
        day += timedelta(days=1)


def _months(rule: Recurrence, start: datetime, floor: datetime) -> Iterator[datetime]:
    first = start.year * 12 + start.month - 1
    passed = floor.year * 12 + floor.month - 1 - first
    k = max(0, passed // rule.interval - 1)
    while True:
        year, month = divmod(first + k * rule.interval, 12)
        yield datetime.combine(_day_of(rule, year, month + 1), start.time())
        k += 1


def _years(rule: Recurrence, start: datetime, floor: datetime) -> Iterator[datetime]:
    assert rule.month is not None
    year = max(start.year, floor.year - 1)
    while True:
        yield datetime.combine(_day_of(rule, year, rule.month), start.time())
        year += 1


def _day_of(rule: Recurrence, year: int, month: int) -> date:
    """The day of ``month`` the rule names: day D (the last day when the month is shorter), or
    the first … fourth or last given weekday."""
    length = calendar.monthrange(year, month)[1]
    if rule.week is None:
        assert rule.day is not None
        return date(year, month, min(rule.day, length))
    assert rule.day_of_week is not None
    if rule.week == "last":
        last = date(year, month, length)
        return last - timedelta(days=(last.weekday() - rule.day_of_week) % 7)
    first = date(year, month, 1)
    offset = (rule.day_of_week - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * WEEKS.index(rule.week))
