"""String functions beyond the basic ones: ``RegExMatch``, ``ReplaceList``, ``StringToHex``.

Regular expressions are .NET's (``(?<name>…)`` groups, ``RegexOptions`` names such as
``IgnoreCase``), run by the ``regex`` package with a time limit per match so that a hostile
pattern cannot stall a send.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from functools import lru_cache

import regex

from sendwell.domain.ampscript.errors import FunctionError
from sendwell.domain.ampscript.registry import function
from sendwell.domain.ampscript.runtime import Context
from sendwell.domain.ampscript.values import MAX_TEXT, Value, text

REGEX_SECONDS = 0.25  # the longest one RegExMatch may take
_OPTIONS = {
    "ignorecase": regex.IGNORECASE,
    "multiline": regex.MULTILINE,
    "singleline": regex.DOTALL,
    "ignorepatternwhitespace": regex.VERBOSE,
    "righttoleft": regex.REVERSE,
}
# .NET's other options (None, Compiled, CultureInvariant, ECMAScript, ExplicitCapture) change
# nothing a match returns here; unknown names are ignored, as ampscript-core does.


@lru_cache(maxsize=256)
def _pattern(pattern: str, flags: int) -> regex.Pattern[str]:
    try:
        return regex.compile(pattern, flags | regex.VERSION0)
    except regex.error as exc:
        raise FunctionError(f"the regular expression is not valid: {exc}") from None


@function("RegExMatch", 3, None)
def _regex_match(ctx: Context, args: Sequence[Value]) -> Value:
    subject, pattern, group = text(args[0]), text(args[1]), args[2]
    flags = 0
    for option in args[3:]:
        flags |= _OPTIONS.get(text(option).strip().lower(), 0)
    compiled = _pattern(pattern, flags)
    try:
        match = compiled.search(subject, timeout=REGEX_SECONDS)
    except TimeoutError:
        raise FunctionError("the regular expression took too long") from None
    if match is None:
        return ""
    wanted = text(group).strip()
    try:
        found = match.group(int(wanted) if wanted.lstrip("-").isdigit() else wanted)
    except (IndexError, regex.error):
        return ""  # .NET gives an unknown group's value as ""
    return found or ""


def replace_ignoring_case(source: str, replacement: str, searches: Sequence[str]) -> str:
    """Each search in turn replaced throughout, without regard to case."""
    for search in searches:
        if not search:
            continue
        pattern = regex.compile(regex.escape(search), regex.IGNORECASE)
        source = pattern.sub(lambda _: replacement, source)
        if len(source) > MAX_TEXT:
            raise FunctionError(f"the text grew beyond {MAX_TEXT} characters")
    return source


@function("ReplaceList", 3, None)
def _replace_list(ctx: Context, args: Sequence[Value]) -> Value:
    return replace_ignoring_case(text(args[0]), text(args[1]), [text(a) for a in args[2:]])


_CHARSETS = {"unicode": "utf-16-le", "utf-16": "utf-16-le", "bigendianunicode": "utf-16-be"}


def charset(value: Value | None) -> str:
    """A .NET encoding name as Python's codec (UTF-8 when none is given)."""
    name = text(value).strip().lower() if value is not None else ""
    if not name:
        return "utf-8"
    name = _CHARSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise FunctionError(f"{text(value)!r} is not a character set") from None


@function("StringToHex", 1, 2)
def _string_to_hex(ctx: Context, args: Sequence[Value]) -> Value:
    encoding = charset(args[1] if len(args) > 1 else None)
    try:
        return text(args[0]).encode(encoding).hex()
    except UnicodeEncodeError:
        raise FunctionError(f"the text cannot be written in {encoding}") from None
