"""Utility functions of email content: ``FormatCurrency``, ``GetSendTime``, the local/system
date conversions, ``IsPhoneNumber``, ``WrapLongURL``, ``IsCHTMLBrowser``, the request
functions of landing pages (``RequestParameter``, ``QueryParameter``: no request exists in an
email, so they give ""), links to landing pages (``CloudPagesURL``, ``MicrositeURL``),
``Random``, ``IsNullDefault``, ``DataExtensionRowCount`` and ``LongSFID``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from sendwell.domain.ampscript import formatting
from sendwell.domain.ampscript.errors import FunctionError
from sendwell.domain.ampscript.registry import function
from sendwell.domain.ampscript.runtime import Context
from sendwell.domain.ampscript.values import DB_NULL, Value, date, integer, number, text
from sendwell.domain.salesforce_ids import to18


@function("FormatCurrency", 2, 4)
def _format_currency(ctx: Context, args: Sequence[Value]) -> Value:
    amount = number(args[0], "the amount")
    places = integer(args[2], "the decimal places") if len(args) > 2 else None
    if places is not None and not 0 <= places <= 99:
        raise FunctionError("the decimal places must be between 0 and 99")
    shown = formatting.format_number(amount, f"C{'' if places is None else places}", text(args[1]))
    if len(args) > 3 and text(args[3]):
        shown = shown.replace(formatting.culture(text(args[1])).currency, text(args[3]))
    return shown


@function("GetSendTime", 0, 1)
def _get_send_time(ctx: Context, args: Sequence[Value]) -> Value:
    # The render's one instant stands for the send's (a job renders its recipients as it goes).
    return ctx.now()


def _shift(ctx: Context, value: Value, to_local: bool) -> Value:
    moment = date(value, "the date")
    local = ctx.env.local_utc_offset_minutes
    if local is None:
        return moment  # no local time zone is set: local time is system time
    difference = timedelta(minutes=local - ctx.env.utc_offset_minutes)
    return moment + difference if to_local else moment - difference


@function("SystemDateToLocalDate", 1)
def _system_to_local(ctx: Context, args: Sequence[Value]) -> Value:
    return _shift(ctx, args[0], True)


@function("LocalDateToSystemDate", 1)
def _local_to_system(ctx: Context, args: Sequence[Value]) -> Value:
    return _shift(ctx, args[0], False)


# North American numbers (the reference's "valid North American phone number"): ten digits,
# optionally after 1 or +1, area code and exchange not starting with 0 or 1 (NANP).
_PHONE = re.compile(r"\s*(?:\+?1[\s.-]*)?\(?([2-9]\d{2})\)?[\s.-]*([2-9]\d{2})[\s.-]*(\d{4})\s*")


@function("IsPhoneNumber", 1)
def _is_phone_number(ctx: Context, args: Sequence[Value]) -> Value:
    return bool(_PHONE.fullmatch(text(args[0])))


@function("WrapLongURL", 1)
def _wrap_long_url(ctx: Context, args: Sequence[Value]) -> Value:
    # Marketing Cloud wraps long links for old Outlook versions through its own redirector;
    # Sendwell's click tracking already rewrites links, so the URL stays as it is (inferred).
    return text(args[0])


# User agents of compact-HTML (Japanese i-mode era) phones; inferred from the carriers' names.
_CHTML = re.compile(r"DoCoMo|J-PHONE|Vodafone|SoftBank|KDDI|UP\.Browser|DDIPOCKET|WILLCOM|L-mode")


@function("IsCHTMLBrowser", 1)
def _is_chtml_browser(ctx: Context, args: Sequence[Value]) -> Value:
    return bool(_CHTML.search(text(args[0])))


@function("RequestParameter", 1)
def _request_parameter(ctx: Context, args: Sequence[Value]) -> Value:
    return ""  # an email has no request


@function("QueryParameter", 1)
def _query_parameter(ctx: Context, args: Sequence[Value]) -> Value:
    return ""


def _page_url(ctx: Context, args: Sequence[Value]) -> str:
    """The operator's landing page ``args[0]`` with the name/value pairs as its query string.
    Marketing Cloud encrypts them into one ``qs`` parameter that only its CloudPages read;
    Sendwell's pages are the operator's, which read plain parameters (inferred)."""
    base = ctx.env.pages_url.rstrip("/")
    if not base:
        raise FunctionError("no landing page URL is set (SENDWELL_AMPSCRIPT_PAGES_URL)")
    page = text(args[0]).strip()
    if not page or not all(c.isalnum() or c in "-_" for c in page):
        raise FunctionError(f"{text(args[0])!r} is not a page ID")
    pairs = args[1:]
    if len(pairs) % 2:
        raise FunctionError("parameters must come in name/value pairs")
    query = urlencode([(text(pairs[i]), text(pairs[i + 1])) for i in range(0, len(pairs), 2)])
    return f"{base}/{page}" + (f"?{query}" if query else "")


@function("CloudPagesURL", 1, None)
def _cloud_pages_url(ctx: Context, args: Sequence[Value]) -> Value:
    return _page_url(ctx, args)


@function("MicrositeURL", 1, None)
def _microsite_url(ctx: Context, args: Sequence[Value]) -> Value:
    return _page_url(ctx, args)


@function("Random", 2)
def _random(ctx: Context, args: Sequence[Value]) -> Value:
    low, high = integer(args[0], "the lower bound"), integer(args[1], "the upper bound")
    if high < low:
        raise FunctionError("the upper bound is below the lower bound")
    return Decimal(random.randint(low, high))


@function("IsNullDefault", 2)
def _is_null_default(ctx: Context, args: Sequence[Value]) -> Value:
    return args[1] if args[0] is None or args[0] is DB_NULL else args[0]


@function("DataExtensionRowCount", 1)
def _data_extension_row_count(ctx: Context, args: Sequence[Value]) -> Value:
    name = text(args[0])
    source = ctx.env.data
    if source is None:
        raise FunctionError("no data extensions can be read here")
    rows = source.rows(name, (), False)
    if rows is None:
        raise FunctionError(f"no data extension is named {name!r}")
    return Decimal(len(rows))


@function("LongSFID", 1)
def _long_sfid(ctx: Context, args: Sequence[Value]) -> Value:
    try:
        return to18(text(args[0]).strip())
    except ValueError as exc:
        raise FunctionError(str(exc)) from None
