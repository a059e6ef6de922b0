"""Marketing Cloud's system time in the domain: the clock helpers, AMPscript's Now() and the
date functions at the offset the caller passes, and SOAP filters' date strings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sendwell.api.soap.retrieve import read_filter_dates
from sendwell.api.soap.scalars import incoming_date
from sendwell.domain.ampscript import RenderEnvironment
from sendwell.domain.clock import from_incoming, system_now, to_system_time, utcnow
from sendwell.domain.content import render_parts


def render(text: str, env: RenderEnvironment) -> str:
    return render_parts({"TextBody": text}, {}, env)["TextBody"]


def test_clock_helpers_convert_both_ways() -> None:
    stored = datetime(2026, 11, 30, 14, 15)
    assert to_system_time(stored, -360) == datetime(2026, 11, 30, 8, 15)
    assert from_incoming(datetime(2026, 11, 30, 8, 15), -360) == stored
    aware = datetime(2026, 11, 30, 16, 15, tzinfo=timezone(timedelta(hours=2)))
    assert from_incoming(aware, -360) == stored  # an offset wins over system time
    assert to_system_time(aware, -420) == datetime(2026, 11, 30, 7, 15)
    assert abs(system_now(-420) - (utcnow() - timedelta(hours=7))) < timedelta(seconds=1)


@pytest.mark.parametrize("offset", [-360, -420, 60])
def test_now_is_system_time_at_the_environment_offset(offset: int) -> None:
    before = datetime.now(UTC)
    shown = render('%%=Format(Now(), "o")=%%', RenderEnvironment(utc_offset_minutes=offset))
    after = datetime.now(UTC)
    now = datetime.fromisoformat(shown)
    assert now.utcoffset() == timedelta(minutes=offset)
    assert before - timedelta(milliseconds=1) <= now <= after


def test_date_functions_use_the_environment_offset() -> None:
    fixed = RenderEnvironment(utc_offset_minutes=-420, clock=lambda: datetime(2026, 7, 1, 5, 0))
    assert render('%%=FormatDate(Now(), "iso")=%%', fixed) == "2026-07-01T05:00:00.0000000-07:00"
    assert render('%%=Format(Now(), "U")=%%', fixed) == "Wednesday, July 1, 2026 12:00:00 PM"
    assert render('%%=DateParse("2026-07-01 05:00", true)=%%', fixed) == "7/1/2026 12:00:00 PM"
    assert render('%%=FormatDate(Now(), "s")=%%', RenderEnvironment()) == render(
        "%%xtshortdate%%", RenderEnvironment()
    )


def test_filter_values_on_date_properties_are_read_as_incoming_dates() -> None:
    def part(prop: str, *values: str) -> dict:
        return {
            "__type__": "SimpleFilterPart",
            "Property": prop,
            "SimpleOperator": "between",
            "Value": list(values),
        }

    tree = {
        "__type__": "ComplexFilterPart",
        "LeftOperand": part("SendDate", "2026-11-30T08:00:00", "2026-11-30T15:00:00Z"),
        "LogicalOperator": "AND",
        "RightOperand": part("EmailName", "2026-11-30T08:00:00", "b"),
        "AdditionalOperands": {"Operand": [part("sentdate", "tomorrow", "2026-11-30")]},
    }
    read = read_filter_dates("Send", tree, lambda text: incoming_date(text, -360))
    assert read is not None
    assert read["LeftOperand"]["Value"] == [
        datetime(2026, 11, 30, 14, 0),
        datetime(2026, 11, 30, 15, 0),
    ]
    assert read["RightOperand"]["Value"] == ["2026-11-30T08:00:00", "b"]  # a string property
    assert read["AdditionalOperands"]["Operand"][0]["Value"] == [
        "tomorrow",  # not a date: compared as text, as before
        datetime(2026, 11, 30, 6, 0),
    ]
