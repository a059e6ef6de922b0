"""Recurrence rules of a SOAP Schedule, in Marketing Cloud system time (UTC−6, no DST)."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice
from typing import Any

import pytest

from sendwell.domain.errors import Invalid
from sendwell.domain.recurrence import (
    Occurrence,
    Schedule,
    first_occurrence,
    next_occurrence,
    occurrences,
    parse_schedule,
)

CST = -360  # minutes: system time is UTC−6
UTC6 = timedelta(hours=6)


def definition(recurrence: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A decoded ScheduleDefinition; StartDateTime in naive system time, given as UTC."""
    start = fields.pop("start", datetime(2026, 12, 2, 9, 30))  # a Wednesday, system time
    base: dict[str, Any] = {
        "__type__": "ScheduleDefinition",
        "Recurrence": recurrence,
        "StartDateTime": start + UTC6,
        "RecurrenceRangeType": "EndAfter",
        "Occurrences": 10,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def first(recurrence: dict[str, Any], n: int = 5, **fields: Any) -> list[str]:
    schedule = parse_schedule(definition(recurrence, **fields), CST)
    return [at.strftime("%a %Y-%m-%d %H:%M") for at in islice(occurrences(schedule), n)]


DAILY = {"__type__": "DailyRecurrence", "DailyRecurrencePatternType": "Interval", "DayInterval": 1}


@pytest.mark.parametrize(
    ("recurrence", "start", "expected"),
    [
        (
            {"__type__": "MinutelyRecurrence", "MinuteInterval": 25},
            datetime(2026, 12, 2, 23, 30),
            ["Wed 2026-12-02 23:30", "Wed 2026-12-02 23:55", "Thu 2026-12-03 00:20"],
        ),
        (
            {"__type__": "HourlyRecurrence", "HourInterval": 5},
            datetime(2026, 12, 31, 17, 0),
            ["Thu 2026-12-31 17:00", "Thu 2026-12-31 22:00", "Fri 2027-01-01 03:00"],
        ),
        (
            {**DAILY, "DayInterval": 2},
            datetime(2026, 2, 27, 9, 30),  # across the end of February
            ["Fri 2026-02-27 09:30", "Sun 2026-03-01 09:30", "Tue 2026-03-03 09:30"],
        ),
        (
            {"__type__": "DailyRecurrence", "DailyRecurrencePatternType": "EveryWeekDay"},
            datetime(2026, 12, 4, 9, 30),  # a Friday: the weekend is skipped
            ["Fri 2026-12-04 09:30", "Mon 2026-12-07 09:30", "Tue 2026-12-08 09:30"],
        ),
    ],
)
def test_interval_patterns(recurrence: dict, start: datetime, expected: list[str]) -> None:
    assert first(recurrence, 3, start=start) == expected


def test_days_begin_at_midnight_system_time_not_utc() -> None:
    # 23:30 system time is 05:30 UTC the next day: the weekday counted is the system one.
    weekly = {
        "__type__": "WeeklyRecurrence",
        "WeeklyRecurrencePatternType": "ByDay",
        "WeekInterval": 1,
        "Wednesday": True,
    }
    assert first(weekly, 2, start=datetime(2026, 12, 2, 23, 30)) == [
        "Wed 2026-12-02 23:30",
        "Wed 2026-12-09 23:30",
    ]


def test_weekly_by_day_with_several_days_every_second_week() -> None:
    weekly = {
        "__type__": "WeeklyRecurrence",
        "WeeklyRecurrencePatternType": "ByDay",
        "WeekInterval": 2,
        "Monday": True,
        "Thursday": True,
        "Saturday": True,
        "Sunday": False,
    }
    # Start on a Wednesday: that week's Monday has passed; Thursday and Saturday follow; the
    # week after is skipped; weeks begin on Sunday (13 December starts the third week).
    assert first(weekly, 5) == [
        "Thu 2026-12-03 09:30",
        "Sat 2026-12-05 09:30",
        "Mon 2026-12-14 09:30",
        "Thu 2026-12-17 09:30",
        "Sat 2026-12-19 09:30",
    ]


def test_weekly_sunday_belongs_to_the_week_it_starts() -> None:
    weekly = {
        "__type__": "WeeklyRecurrence",
        "WeeklyRecurrencePatternType": "ByDay",
        "WeekInterval": 2,
        "Sunday": True,
        "Saturday": True,
    }
    assert first(weekly, 4, start=datetime(2026, 12, 6, 8, 0)) == [  # a Sunday
        "Sun 2026-12-06 08:00",
        "Sat 2026-12-12 08:00",
        "Sun 2026-12-20 08:00",
        "Sat 2026-12-26 08:00",
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (  # day 31 of every month: the last day of shorter months
            {"MonthlyRecurrencePatternType": "ByDay", "MonthlyInterval": 1, "ScheduledDay": 31},
            ["Thu 2026-12-31", "Sun 2027-01-31", "Sun 2027-02-28", "Wed 2027-03-31"],
        ),
        (  # every third month, day 2: the start day itself counts
            {"MonthlyRecurrencePatternType": "ByDay", "MonthlyInterval": 3, "ScheduledDay": 2},
            ["Wed 2026-12-02", "Tue 2027-03-02", "Wed 2027-06-02", "Thu 2027-09-02"],
        ),
        (  # the first Tuesday: December's (the 1st) has passed by the start, the 2nd
            {
                "MonthlyRecurrencePatternType": "ByWeek",
                "MonthlyInterval": 1,
                "ScheduledWeek": "first",
                "ScheduledDayOfWeek": "Tuesday",
            },
            ["Tue 2027-01-05", "Tue 2027-02-02", "Tue 2027-03-02", "Tue 2027-04-06"],
        ),
        (
            {
                "MonthlyRecurrencePatternType": "ByWeek",
                "MonthlyInterval": 2,
                "ScheduledWeek": "last",
                "ScheduledDayOfWeek": "Friday",
            },
            ["Fri 2026-12-25", "Fri 2027-02-26", "Fri 2027-04-30", "Fri 2027-06-25"],
        ),
        (
            {
                "MonthlyRecurrencePatternType": "ByWeek",
                "MonthlyInterval": 1,
                "ScheduledWeek": "fourth",
                "ScheduledDayOfWeek": "Sunday",
            },
            ["Sun 2026-12-27", "Sun 2027-01-24", "Sun 2027-02-28", "Sun 2027-03-28"],
        ),
    ],
)
def test_monthly_patterns(fields: dict, expected: list[str]) -> None:
    got = first({"__type__": "MonthlyRecurrence", **fields}, 4)
    assert [g[:14] for g in got] == expected
    assert {g[-5:] for g in got} == {"09:30"}


def test_yearly_patterns() -> None:
    leap = {
        "__type__": "YearlyRecurrence",
        "YearlyRecurrencePatternType": "ByDay",
        "ScheduledMonth": "February",
        "ScheduledDay": 29,
    }
    assert [g[:14] for g in first(leap, 3)] == [
        "Sun 2027-02-28",
        "Tue 2028-02-29",
        "Wed 2029-02-28",
    ]
    thanksgiving = {
        "__type__": "YearlyRecurrence",
        "YearlyRecurrencePatternType": "ByWeek",
        "ScheduledWeek": "fourth",
        "ScheduledDayOfWeek": "Thursday",
        "ScheduledMonth": "November",
    }
    assert [g[:14] for g in first(thanksgiving, 2)] == ["Thu 2027-11-25", "Thu 2028-11-23"]


def test_start_and_end_are_read_as_utc_and_kept_in_system_time() -> None:
    schedule = parse_schedule(
        definition(
            DAILY,
            RecurrenceRangeType="EndOn",
            Occurrences=None,
            EndDateTime=datetime(2026, 12, 4, 15, 30),  # UTC: 09:30 system time
        ),
        CST,
    )
    assert schedule.start == datetime(2026, 12, 2, 9, 30)
    assert list(occurrences(schedule))[:4] == [
        datetime(2026, 12, 2, 9, 30),
        datetime(2026, 12, 3, 9, 30),
        datetime(2026, 12, 4, 9, 30),
        datetime(2026, 12, 5, 9, 30),
    ]
    one = Occurrence(datetime(2026, 12, 3, 9, 30), 2)
    third = next_occurrence(schedule, one, datetime(2026, 12, 3, 10, 0))
    assert third == Occurrence(datetime(2026, 12, 4, 9, 30), 3)  # the end is inclusive
    assert next_occurrence(schedule, third, third.at) is None


def test_the_range_counts_occurrences_and_skips_missed_ones() -> None:
    schedule = parse_schedule(definition(DAILY, Occurrences=4), CST)
    first_one = first_occurrence(schedule)
    assert first_one == Occurrence(datetime(2026, 12, 2, 9, 30), 1)
    # No worker ran for two days: the 2nd and 3rd passed and count; the 4th is the last.
    late = next_occurrence(schedule, first_one, datetime(2026, 12, 4, 12, 0))
    assert late == Occurrence(datetime(2026, 12, 5, 9, 30), 4)
    assert next_occurrence(schedule, late, late.at) is None
    once = parse_schedule(definition(DAILY, Occurrences=1), CST)
    assert next_occurrence(once, first_occurrence(once), datetime(2026, 12, 2)) is None


def test_a_range_ending_before_the_first_match_holds_none() -> None:
    weekly = {
        "__type__": "WeeklyRecurrence",
        "WeeklyRecurrencePatternType": "ByDay",
        "Monday": True,
    }
    schedule = parse_schedule(
        definition(
            weekly,
            RecurrenceRangeType="EndOn",
            Occurrences=None,
            EndDateTime=datetime(2026, 12, 5) + UTC6,
        ),
        CST,
    )
    assert first_occurrence(schedule) is None


def test_stored_schedule_reads_back_the_same() -> None:
    monthly = {
        "__type__": "MonthlyRecurrence",
        "MonthlyRecurrencePatternType": "ByWeek",
        "MonthlyInterval": 1,
        "ScheduledWeek": "last",
        "ScheduledDayOfWeek": "Friday",
    }
    schedule = parse_schedule(definition(monthly), CST)
    assert Schedule.from_json(schedule.to_json()) == schedule


def test_occurrences_stop_at_the_end_of_the_calendar() -> None:
    yearly = {
        "__type__": "YearlyRecurrence",
        "YearlyRecurrencePatternType": "ByMonth",
        "ScheduledMonth": "December",
        "ScheduledDay": 31,
    }
    schedule = parse_schedule(definition(yearly, start=datetime(9998, 1, 1)), CST)
    assert len(list(occurrences(schedule))) == 2


WEEKLY = {"__type__": "WeeklyRecurrence", "WeeklyRecurrencePatternType": "ByDay", "Monday": True}
MONTHLY = {"__type__": "MonthlyRecurrence", "MonthlyRecurrencePatternType": "ByWeek"}
YEARLY = {"__type__": "YearlyRecurrence", "YearlyRecurrencePatternType": "ByWeek"}


@pytest.mark.parametrize(
    ("recurrence", "fields", "code"),
    [
        (DAILY, {"StartDateTime": None}, 151),
        (DAILY, {"RecurrenceRangeType": None}, 150),
        (DAILY, {"RecurrenceRangeType": "EndOn"}, 152),
        (DAILY, {"Occurrences": None}, 153),
        (DAILY, {"Occurrences": 0}, 140),
        (DAILY, {"RecurrenceType": "Weekly"}, 140),
        (None, {}, 140),
        ({"__type__": "DailyRecurrence", "DayInterval": 1}, {}, 160),
        ({"__type__": "DailyRecurrence", "DailyRecurrencePatternType": "Interval"}, {}, 161),
        ({**DAILY, "DayInterval": 0}, {}, 140),
        ({"__type__": "MinutelyRecurrence"}, {}, 140),
        ({"__type__": "WeeklyRecurrence", "Monday": True}, {}, 170),
        ({**WEEKLY, "Monday": False}, {}, 140),
        ({"__type__": "MonthlyRecurrence", "MonthlyInterval": 1}, {}, 180),
        (MONTHLY, {}, 181),
        ({**MONTHLY, "MonthlyRecurrencePatternType": "ByDay", "MonthlyInterval": 1}, {}, 182),
        ({**MONTHLY, "MonthlyInterval": 1}, {}, 183),
        ({**MONTHLY, "MonthlyInterval": 1, "ScheduledWeek": "last"}, {}, 184),
        (
            {
                **MONTHLY,
                "MonthlyRecurrencePatternType": "ByDay",
                "MonthlyInterval": 1,
                "ScheduledDay": 32,
            },
            {},
            140,
        ),
        ({"__type__": "YearlyRecurrence"}, {}, 190),
        ({**YEARLY, "YearlyRecurrencePatternType": "ByDay", "ScheduledMonth": "May"}, {}, 191),
        ({**YEARLY, "ScheduledWeek": "first", "ScheduledMonth": "May"}, {}, 192),
        ({**YEARLY, "ScheduledDayOfWeek": "Monday"}, {}, 193),
        ({**YEARLY, "ScheduledWeek": "first", "ScheduledDayOfWeek": "Monday"}, {}, 194),
        (
            {
                **YEARLY,
                "YearlyRecurrencePatternType": "ByDay",
                "ScheduledMonth": "April",
                "ScheduledDay": 31,
            },
            {},
            140,
        ),
    ],
)
def test_errors_carry_marketing_cloud_codes(recurrence: Any, fields: dict, code: int) -> None:
    given = definition(recurrence or {}, **fields)
    if recurrence is None:
        given.pop("Recurrence")
    for key, value in fields.items():
        if value is None:
            given.pop(key, None)
    with pytest.raises(Invalid) as caught:
        parse_schedule(given, CST)
    assert caught.value.code == code, caught.value.message
    assert caught.value.message.startswith("Schedule_")
