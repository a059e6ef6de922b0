"""The function table: every AMPscript function Sendwell runs, with its arity.

Names are case-insensitive. The compiler checks that a called function exists and gets a
number of arguments it accepts; the function itself checks the values it is given and raises
``FunctionError``, which the compiler reports at the call's line and column. Functions that
would reach the network or change data are refused when the content is compiled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, DivisionByZero, InvalidOperation

from sendwell.domain.ampscript import formatting
from sendwell.domain.ampscript.errors import FunctionError, RecipientSkipped
from sendwell.domain.ampscript.registry import function
from sendwell.domain.ampscript.runtime import Context
from sendwell.domain.ampscript.values import (
    DAYS,
    DB_NULL,
    MAX_TEXT,
    MONTHS,
    Value,
    boolean,
    checked,
    date,
    integer,
    is_empty,
    number,
    number_or_none,
    parse_date,
    text,
)


def limited(value: str) -> str:
    if len(value) > MAX_TEXT:
        raise FunctionError(f"the text grew beyond {MAX_TEXT} characters")
    return value


# --- Output and values -------------------------------------------------------------------


@function("V", 1)
def _v(ctx: Context, args: Sequence[Value]) -> Value:
    return args[0]


@function("Output", 0, None)
def _output(ctx: Context, args: Sequence[Value]) -> Value:
    for arg in args:
        ctx.out.write(text(arg))
    return None


@function("OutputLine", 0, None)
def _output_line(ctx: Context, args: Sequence[Value]) -> Value:
    _output(ctx, args)
    ctx.out.write("\r\n")
    return None


@function("AttributeValue", 1)
def _attribute_value(ctx: Context, args: Sequence[Value]) -> Value:
    name = text(args[0]).strip().lower()
    if not name:
        raise FunctionError("the attribute name is empty")
    # "returns null if no data is found" (Marketing Cloud's AttributeValue reference)
    return ctx.attribute(name)


@function("Empty", 1)
def _empty(ctx: Context, args: Sequence[Value]) -> Value:
    return is_empty(args[0])


@function("IsNull", 1)
def _is_null(ctx: Context, args: Sequence[Value]) -> Value:
    # Only data's null is null here: a VAR never set is not (ampscript-core tests DBNull;
    # its corpus, captured from Marketing Cloud, has IsNull of such a variable False).
    return args[0] is DB_NULL


@function("IIf", 3, lazy=True)
def _iif(ctx: Context, args: Sequence[Callable[[Context], Value]]) -> Value:
    return args[1](ctx) if boolean(args[0](ctx)) else args[2](ctx)


@function("RaiseError", 1, 5)
def _raise_error(ctx: Context, args: Sequence[Value]) -> Value:
    # Marketing Cloud stops the whole job unless the second argument is true; the engine
    # skips only this recipient either way, and records the message.
    raise RecipientSkipped(text(args[0]))


@function("RedirectTo", 1)
def _redirect_to(ctx: Context, args: Sequence[Value]) -> Value:
    return text(args[0])


@function("Domain", 1)
def _domain(ctx: Context, args: Sequence[Value]) -> Value:
    return text(args[0]).partition("@")[2]


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@function("IsEmailAddress", 1)
def _is_email_address(ctx: Context, args: Sequence[Value]) -> Value:
    return bool(_EMAIL.fullmatch(text(args[0])))


# --- Strings -----------------------------------------------------------------------------


@function("Concat", 1, None)
def _concat(ctx: Context, args: Sequence[Value]) -> Value:
    return limited("".join(text(arg) for arg in args))


@function("Uppercase", 1)
def _uppercase(ctx: Context, args: Sequence[Value]) -> Value:
    return upper(text(args[0]))


def upper(value: str) -> str:
    """Upper case one character at a time, as .NET does: "ß" stays (Python writes "SS")."""
    if value.isascii():
        return value.upper()
    return "".join(c if len(u := c.upper()) != 1 else u for c in value)


@function("Lowercase", 1)
def _lowercase(ctx: Context, args: Sequence[Value]) -> Value:
    return text(args[0]).lower()


@function("ProperCase", 1)
def _proper_case(ctx: Context, args: Sequence[Value]) -> Value:
    # Only white space starts a word: "BA1R.B O'NEIL-SMITH" is "Ba1r.b O'neil-smith"
    # (ampscript-core's PROPERCASE and its corpus, Function/propercase.txt).
    value = text(args[0])
    if value.isascii():
        pieces = _SPACES.split(value.lower())
        return "".join(p[:1].upper() + p[1:] for p in pieces)
    out, start = [], True
    for char in value:
        out.append(upper(char) if start else char.lower())
        start = char.isspace()
    return "".join(out)


_SPACES = re.compile(r"(\s+)")


@function("Length", 1)
def _length(ctx: Context, args: Sequence[Value]) -> Value:
    value = text(args[0])
    return Decimal(len(value) + sum(1 for c in value if ord(c) > 0xFFFF))  # UTF-16 units


@function("Substring", 2, 3)
def _substring(ctx: Context, args: Sequence[Value]) -> Value:
    value = text(args[0])
    start = max(integer(args[1], "the start position"), 1) - 1
    if len(args) < 3 or args[2] is None or args[2] == "":
        return value[start:]
    length = integer(args[2], "the length")
    return value[start : start + length] if length > 0 else ""


@function("IndexOf", 2, 3)
def _index_of(ctx: Context, args: Sequence[Value]) -> Value:
    source, wanted = text(args[0]).casefold(), text(args[1]).casefold()
    occurrence = integer(args[2], "the occurrence") if len(args) > 2 else 1
    if not wanted or occurrence < 1:
        return Decimal(0)
    found = -1
    for _ in range(occurrence):
        found = source.find(wanted, found + 1)
        if found < 0:
            return Decimal(0)
    return Decimal(found + 1)


@function("Replace", 2, 3)
def _replace(ctx: Context, args: Sequence[Value]) -> Value:
    source, wanted = text(args[0]), text(args[1])
    replacement = text(args[2]) if len(args) > 2 else ""
    if not wanted:
        return source
    pattern = re.compile(re.escape(wanted), re.IGNORECASE)  # case-insensitive, one pass
    return limited(pattern.sub(lambda _: replacement, source))


@function("Trim", 1)
def _trim(ctx: Context, args: Sequence[Value]) -> Value:
    return text(args[0]).strip()


@function("Char", 1, 2)
def _char(ctx: Context, args: Sequence[Value]) -> Value:
    code = integer(args[0], "the character code")
    count = integer(args[1], "the repetitions") if len(args) > 1 else 1
    if not 0 <= code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise FunctionError(f"{code} is not a character code")
    if count < 0:
        raise FunctionError("the repetitions cannot be negative")
    return limited(chr(code) * min(count, MAX_TEXT + 1))


@function("Format", 2, 4)
def _format(ctx: Context, args: Sequence[Value]) -> Value:
    value, pattern = args[0], text(args[1])
    kind = text(args[2]).strip().lower() if len(args) > 2 else ""
    culture = text(args[3]) if len(args) > 3 else None
    kind = "number" if kind == "numeric" else kind  # both spellings run in Marketing Cloud
    if kind not in ("", "date", "number"):
        raise FunctionError(f"the data format must be Date or Number, not {kind!r}")
    if kind == "date" or (kind == "" and isinstance(value, datetime)):
        return formatting.format_date_net(date(value), pattern, ctx.env.utc_offset_minutes)
    amount = number_or_none(value)
    if amount is not None:
        return formatting.format_number(amount, pattern, culture)
    if kind == "number":
        raise FunctionError(f"{text(value)!r} is not a number")
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is not None:
        return formatting.format_date_net(parsed, pattern, ctx.env.utc_offset_minutes)
    return text(value)


@function("FormatNumber", 2, 3)
def _format_number(ctx: Context, args: Sequence[Value]) -> Value:
    value = args[0]
    if isinstance(value, str):
        value = value.replace(",", "")  # a string may carry thousands separators
    culture = text(args[2]) if len(args) > 2 else None
    return formatting.format_number(number(value, "the number"), text(args[1]), culture)


# --- Arithmetic --------------------------------------------------------------------------


def _arithmetic(operation: Callable[[Decimal, Decimal], Decimal]) -> Callable:
    def run(ctx: Context, args: Sequence[Value]) -> Value:
        left, right = number(args[0], "the first value"), number(args[1], "the second value")
        try:
            return checked(operation(left, right))
        except (DivisionByZero, InvalidOperation, ZeroDivisionError):
            raise FunctionError("division by zero") from None

    return run


for _name, _operation in (
    ("Add", Decimal.__add__),
    ("Subtract", Decimal.__sub__),
    ("Multiply", Decimal.__mul__),
    ("Divide", Decimal.__truediv__),
    ("Mod", Decimal.__mod__),
):
    function(_name, 2)(_arithmetic(_operation))


# --- Dates -------------------------------------------------------------------------------

_EPOCH = datetime(2000, 1, 1)
_UNITS = {"y": "years", "m": "months", "d": "days", "h": "hours", "mi": "minutes"}


def _unit(value: Value) -> str:
    unit = text(value).strip().lower()
    if unit not in _UNITS:
        raise FunctionError(f"the unit must be Y, M, D, H or MI, not {text(value)!r}")
    return unit


@function("Now", 0, 1)
def _now(ctx: Context, args: Sequence[Value]) -> Value:
    return ctx.now()


@function("DateAdd", 3)
def _date_add(ctx: Context, args: Sequence[Value]) -> Value:
    start, amount, unit = date(args[0], "the date"), integer(args[1], "the amount"), _unit(args[2])
    try:
        if unit in ("y", "m"):
            months = start.year * 12 + start.month - 1 + amount * (12 if unit == "y" else 1)
            year, month = divmod(months, 12)
            last = _days_in_month(year, month + 1)
            return start.replace(year=year, month=month + 1, day=min(start.day, last))
        return start + timedelta(**{_UNITS[unit]: amount})
    except (ValueError, OverflowError):
        raise FunctionError("the date is out of range") from None


def _days_in_month(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


@function("DateDiff", 3)
def _date_diff(ctx: Context, args: Sequence[Value]) -> Value:
    start, end, unit = (
        date(args[0], "the start date"),
        date(args[1], "the end date"),
        _unit(args[2]),
    )
    if unit == "y":
        return Decimal(end.year - start.year)
    if unit == "m":
        return Decimal((end.year - start.year) * 12 + end.month - start.month)
    if unit == "d":
        return Decimal((end.date() - start.date()).days)
    size = timedelta(hours=1) if unit == "h" else timedelta(minutes=1)
    # Whole units crossed: truncate both to the unit, then subtract.
    return Decimal((end - _EPOCH) // size - (start - _EPOCH) // size)


@function("DateParse", 1, 2)
def _date_parse(ctx: Context, args: Sequence[Value]) -> Value:
    parsed = date(args[0], "the date")
    if len(args) > 1 and boolean(args[1]):
        return parsed - timedelta(minutes=ctx.env.utc_offset_minutes)
    return parsed


@function("StringToDate", 1)
def _string_to_date(ctx: Context, args: Sequence[Value]) -> Value:
    return date(args[0], "the date")


@function("DatePart", 2)
def _date_part(ctx: Context, args: Sequence[Value]) -> Value:
    value, part = date(args[0], "the date"), text(args[1]).strip().lower()
    parts = {
        ("year", "y"): str(value.year),
        ("month", "m"): f"{value.month:02d}",
        ("monthname",): MONTHS[value.month - 1],
        ("day", "d"): f"{value.day:02d}",
        ("hour", "h"): str(value.hour % 12 or 12),
        ("minute", "mi"): str(value.minute),
        ("weekday",): DAYS[value.weekday()],
    }
    for names, shown in parts.items():
        if part in names:
            return shown
    raise FunctionError(f"unknown date part {text(args[1])!r}")


@function("FormatDate", 1, 4)
def _format_date(ctx: Context, args: Sequence[Value]) -> Value:
    value = date(args[0], "the date")
    date_pattern = text(args[1]) if len(args) > 1 else None
    time_pattern = text(args[2]) if len(args) > 2 and args[2] not in (None, "") else None
    return formatting.format_date(value, date_pattern, time_pattern, ctx.env.utc_offset_minutes)
