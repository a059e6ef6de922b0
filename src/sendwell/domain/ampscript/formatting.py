"""Number and date formats as Marketing Cloud's .NET runtime writes them.

Numbers: the standard formats C, D, E, F, G, N, P, R, X with an optional precision (``N2``)
and custom patterns such as ``#,##0.00`` or ``0.0%``; rounding is half away from zero. A few
cultures set separators and the currency symbol; any other culture formats as en-US.

Dates: ``Format()`` takes .NET patterns (case-sensitive: ``MM`` month, ``mm`` minutes) and
standard one-letter formats. ``FormatDate()`` reads its date pattern without regard to case,
where ``m`` is the month, and its time pattern separately, where ``m`` is the minute (as
Marketing Cloud does: ``FormatDate(@d, "MMM DD, YYYY", "HH:MM:SS")``). Names are English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sendwell.domain.ampscript.errors import FunctionError
from sendwell.domain.ampscript.values import DAYS, MONTHS, checked, decimal_text
from sendwell.domain.clock import SYSTEM_UTC_OFFSET_MINUTES


@dataclass(frozen=True)
class Culture:
    group: str
    decimal: str
    currency: str
    currency_after: bool = False  # "1.234,57 €" rather than "$1,234.57"
    currency_space: bool = False
    currency_digits: int = 2
    percent: str = "%"  # what follows a percentage: "12.883%" in en-US, "12,883 %" in de-DE


# Percent signs as ICU's cultures write them (en-US "12.883%" is Marketing Cloud's, from the
# ampscript-core corpus; the others inferred from ICU).
_EURO = Culture(".", ",", "€", currency_after=True, currency_space=True, percent="\xa0%")
CULTURES = {
    "en-us": Culture(",", ".", "$"),
    "en-ca": Culture(",", ".", "$"),
    "en-au": Culture(",", ".", "$"),
    "en-gb": Culture(",", ".", "£"),
    "de-de": _EURO,
    "es-es": _EURO,
    "it-it": Culture(".", ",", "€", currency_after=True, currency_space=True),
    "fr-fr": Culture("\xa0", ",", "€", currency_after=True, currency_space=True, percent="\xa0%"),
    "nl-nl": Culture(".", ",", "€", currency_space=True),
    "pt-br": Culture(".", ",", "R$", currency_space=True),
    "ja-jp": Culture(",", ".", "¥", currency_digits=0),
}


def culture(code: str | None) -> Culture:
    key = (code or "en-us").strip().lower().replace("_", "-")
    if key in CULTURES:
        return CULTURES[key]
    return next((c for k, c in CULTURES.items() if k.split("-")[0] == key), CULTURES["en-us"])


# --- Numbers -----------------------------------------------------------------------------

_STANDARD = re.compile(r"([CcDdEeFfGgNnPpRrXx])(\d{0,2})")


def format_number(value: Decimal, pattern: str, culture_code: str | None = None) -> str:
    """``value`` in a standard or custom .NET numeric format."""
    info = culture(culture_code)
    standard = _STANDARD.fullmatch(pattern.strip())
    if standard is None:
        return _custom_number(value, pattern, info)
    letter, digits = standard.group(1), standard.group(2)
    precision = int(digits) if digits else None
    kind = letter.upper()
    if kind == "C":
        places = info.currency_digits if precision is None else precision
        body = _grouped(abs(value), places, info)
        space = " " if info.currency_space else ""
        body = (
            f"{body}{space}{info.currency}"
            if info.currency_after
            else (f"{info.currency}{space}{body}")
        )
        return f"-{body}" if _rounded(value, places) < 0 else body
    if kind in ("N", "F", "P"):
        places = 2 if precision is None else precision
        scaled = value * 100 if kind == "P" else value
        body = (
            _grouped(abs(scaled), places, info)
            if kind != "F"
            else _fixed(abs(scaled), places, info)
        )
        sign = "-" if _rounded(scaled, places) < 0 else ""
        return f"{sign}{body}{info.percent}" if kind == "P" else f"{sign}{body}"
    if kind in ("D", "X"):
        if value != value.to_integral_value():
            raise FunctionError(f"format {pattern!r} needs a whole number")
        whole = int(value)
        if kind == "X":
            shown = format(whole & 0xFFFFFFFFFFFFFFFF if whole < 0 else whole, "x")
            shown = shown.upper() if letter == "X" else shown
            return shown.rjust(precision or 0, "0")
        return ("-" if whole < 0 else "") + str(abs(whole)).rjust(precision or 0, "0")
    if kind == "E":
        places = 6 if precision is None else precision
        mantissa, exponent = f"{value:.{places}E}".split("E")
        shown = f"{mantissa.replace('.', info.decimal)}E{exponent[0]}{exponent[1:].rjust(3, '0')}"
        return shown if letter == "E" else shown.replace("E", "e")
    # G and R: the shortest exact form (with G, at most ``precision`` significant digits).
    if precision:
        value = Decimal(f"{value:.{precision}g}")
    return decimal_text(value).replace(".", info.decimal)


def _rounded(value: Decimal, places: int) -> Decimal:
    return checked(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _fixed(value: Decimal, places: int, info: Culture) -> str:
    return format(_rounded(value, places), "f").replace(".", info.decimal)


def _grouped(value: Decimal, places: int, info: Culture) -> str:
    whole, _, fraction = format(_rounded(value, places), "f").partition(".")
    whole = f"{int(whole):,}".replace(",", info.group)
    return f"{whole}{info.decimal}{fraction}" if fraction else whole


_PLACEHOLDER = re.compile(r"[0#]")


def _custom_number(value: Decimal, pattern: str, info: Culture) -> str:
    """Custom patterns: ``0`` digit, ``#`` optional digit, ``.`` ``,`` ``%`` and literal text."""
    sections = pattern.split(";")
    section = sections[0]
    if value < 0 and len(sections) > 1 and sections[1]:
        section, value = sections[1], -value
    elif value == 0 and len(sections) > 2 and sections[2]:
        section = sections[2]
    found = list(_PLACEHOLDER.finditer(section))
    if not found:
        return section
    first, last = found[0].start(), found[-1].end()
    prefix, core, suffix = section[:first], section[first:last], section[last:]
    if "%" in section:
        value *= 100
    whole_spec, _, fraction_spec = core.partition(".")
    required = fraction_spec.count("0")
    optional = fraction_spec.count("#")
    rounded = _rounded(abs(value), required + optional)
    whole, _, fraction = format(rounded, "f").partition(".")
    fraction = fraction.ljust(required, "0")
    while len(fraction) > required and fraction.endswith("0"):
        fraction = fraction[:-1]
    whole = whole.lstrip("0").rjust(whole_spec.count("0"), "0")
    if "," in whole_spec and whole:
        whole = f"{int(whole):,}".replace(",", info.group)
    body = whole + (info.decimal + fraction if fraction else "")
    sign = "-" if value < 0 and rounded != 0 and len(sections) == 1 else ""
    return f"{sign}{prefix}{body or '0'}{suffix}"


# --- Dates -------------------------------------------------------------------------------

_NET_STANDARD = {
    "d": "M/d/yyyy",
    "D": "dddd, MMMM d, yyyy",
    "f": "dddd, MMMM d, yyyy h:mm tt",
    "F": "dddd, MMMM d, yyyy h:mm:ss tt",
    "g": "M/d/yyyy h:mm tt",
    "G": "M/d/yyyy h:mm:ss tt",
    "m": "MMMM d",
    "M": "MMMM d",
    "o": "yyyy-MM-ddTHH:mm:ss.fffffffzzz",
    "O": "yyyy-MM-ddTHH:mm:ss.fffffffzzz",
    "s": "yyyy-MM-ddTHH:mm:ss",
    "t": "h:mm tt",
    "T": "h:mm:ss tt",
    "u": "yyyy-MM-dd HH:mm:ss'Z'",
    "y": "MMMM yyyy",
    "Y": "MMMM yyyy",
}
# FormatDate's one-word date formats (case-insensitive, except t/T as in its table).
_FORMATDATE_STANDARD = {
    "d": "M/d/yyyy",
    "s": "M/d/yyyy",
    "l": "dddd, MMMM d, yyyy",
    "f": "dddd, MMMM d, yyyy h:mm tt",
    "g": "M/d/yyyy h:mm tt",
    "m": "MMMM d",
    "y": "MMMM yyyy",
    "iso": "yyyy-MM-ddTHH:mm:ss.fffffffzzz",
    "u": "yyyy-MM-dd HH:mm:ss'Z'",
}
_TIME_STANDARD = {"t": "h:mm tt", "s": "h:mm tt", "T": "h:mm:ss tt", "l": "h:mm:ss tt"}
_RFC = "ddd, dd MMM yyyy HH:mm:ss 'GMT'"
_TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|\\.|%|([A-Za-z])\1*|.", re.DOTALL)


def format_date_net(value: datetime, pattern: str, offset: int = SYSTEM_UTC_OFFSET_MINUTES) -> str:
    """``Format()``: a .NET standard (one letter) or custom date pattern.

    ``value`` is system time, ``offset`` its distance from UTC in minutes (for "U" and "z").
    """
    # As .NET: "r" and "u" print the time as it is, labelled GMT/Z; "U" converts to UTC.
    if pattern in ("r", "R"):
        return _render(value, _RFC, _net_token, offset)
    if pattern == "U":
        return _render(_utc(value, offset), _NET_STANDARD["F"], _net_token, offset)
    return _render(value, _NET_STANDARD.get(pattern, pattern), _net_token, offset)


def format_date(
    value: datetime,
    date_pattern: str | None,
    time_pattern: str | None,
    offset: int = SYSTEM_UTC_OFFSET_MINUTES,
) -> str:
    """``FormatDate()``: a date pattern (case-insensitive), then an optional time pattern."""
    if date_pattern is None or date_pattern == "":
        shown = (
            _render(value, "M/d/yyyy h:mm:ss tt", _net_token, offset)
            if time_pattern is None
            else ""
        )
    elif date_pattern.lower() in ("rfc", "r"):
        shown = _render(value, _RFC, _net_token, offset)
    elif date_pattern == "U":
        shown = _render(_utc(value, offset), _NET_STANDARD["F"], _net_token, offset)
    elif date_pattern in ("t", "T"):
        shown = _render(value, _TIME_STANDARD[date_pattern], _net_token, offset)
    elif date_pattern.lower() in _FORMATDATE_STANDARD:
        shown = _render(value, _FORMATDATE_STANDARD[date_pattern.lower()], _net_token, offset)
    else:
        shown = _render(value, date_pattern, _date_token, offset)
    if time_pattern:
        pattern = _TIME_STANDARD.get(time_pattern) or _TIME_STANDARD.get(time_pattern.lower())
        time_text = (
            _render(value, pattern, _net_token, offset)
            if pattern
            else _render(value, time_pattern, _time_token, offset)
        )
        shown = f"{shown} {time_text}" if shown else time_text
    return shown


def _utc(value: datetime, offset: int) -> datetime:
    return value - timedelta(minutes=offset)


def _render(value: datetime, pattern: str, token_text: object, offset: int) -> str:
    out = []
    for match in _TOKEN.finditer(pattern):
        token = match.group()
        if len(token) > 1 and token[0] in "'\"":
            out.append(token[1:-1])
        elif len(token) == 2 and token[0] == "\\":
            out.append(token[1])
        elif token == "%":
            continue
        elif match.group(1):
            out.append(token_text(value, token, offset))  # type: ignore[operator]
        else:
            out.append(token)
    return "".join(out)


def _net_token(value: datetime, token: str, offset: int) -> str:
    letter, size = token[0], len(token)
    if letter == "d":
        if size <= 2:
            return str(value.day).rjust(size, "0")
        return DAYS[value.weekday()][:3] if size == 3 else DAYS[value.weekday()]
    if letter == "M":
        return _month(value, size)
    if letter == "y":
        return _year(value, size)
    return _clock(value, token, offset) or token


def _date_token(value: datetime, token: str, offset: int) -> str:
    """FormatDate's date pattern: y, m (month) and d read without regard to case."""
    letter, size = token[0].lower(), len(token)
    if letter == "d":
        if size <= 2:
            return str(value.day).rjust(size, "0")
        return DAYS[value.weekday()] if size >= 5 else DAYS[value.weekday()][:3]
    if letter == "m":
        return _month(value, size)
    if letter == "y":
        return _year(value, size)
    return _clock(value, token if token[0] in "Hh" else token.lower(), offset) or token


def _time_token(value: datetime, token: str, offset: int) -> str:
    """FormatDate's time pattern: m is the minute (three or more: fractions of a second)."""
    if token[0] in "Mm":
        if len(token) >= 3:
            return f"{value.microsecond:06d}"[: len(token)].ljust(len(token), "0")
        return str(value.minute).rjust(len(token), "0")
    return _clock(value, token if token[0] in "Hh" else token.lower(), offset) or token


def _month(value: datetime, size: int) -> str:
    if size <= 2:
        return str(value.month).rjust(size, "0")
    name = MONTHS[value.month - 1]
    return name[:3] if size == 3 else name


def _year(value: datetime, size: int) -> str:
    if size <= 2:
        return str(value.year % 100).rjust(size, "0")
    return str(value.year).rjust(size, "0")


def _clock(value: datetime, token: str, offset: int) -> str | None:
    letter, size = token[0], len(token)
    if letter == "H":
        return str(value.hour).rjust(min(size, 2), "0")
    if letter == "h":
        return str(value.hour % 12 or 12).rjust(min(size, 2), "0")
    if letter == "m":
        return str(value.minute).rjust(min(size, 2), "0")
    if letter == "s":
        return str(value.second).rjust(min(size, 2), "0")
    if letter in "fF":
        digits = f"{value.microsecond:06d}0"[: min(size, 7)]
        return digits.rstrip("0") if letter == "F" else digits
    if letter == "t":
        meridiem = "PM" if value.hour >= 12 else "AM"
        return meridiem[0] if size == 1 else meridiem
    if letter == "z":
        hours, minutes = divmod(abs(offset), 60)
        sign = "-" if offset < 0 else "+"
        if size == 1:
            return f"{sign}{hours}"
        return f"{sign}{hours:02d}" if size == 2 else f"{sign}{hours:02d}:{minutes:02d}"
    return None
