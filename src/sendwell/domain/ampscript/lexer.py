"""Split email content into text, personalization strings and AMPscript tokens.

Content is text with three kinds of AMPscript region: blocks ``%%[ ... ]%%``, inline
expressions ``%%= ... =%%`` and ``<script runat="server" language="ampscript">`` elements.
Outside them, ``%%Name%%`` is a personalization string (as in ``personalization``) and
everything else is literal text. Inside them the code is split into tokens; keywords are
case-insensitive. Every token carries the 1-based line and column where it starts.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple

from sendwell.domain.ampscript.errors import AmpscriptError
from sendwell.domain.personalization import FIELD_REF

# Token kinds. Text-level: TEXT, FIELD (a %%Name%% personalization string), OPEN/CLOSE of a
# block, INLINE/END_INLINE around an inline expression. Code-level: the rest.
TEXT = "text"
FIELD = "field"
OPEN = "open"
CLOSE = "close"
INLINE = "inline"
END_INLINE = "end inline"
KEYWORD = "keyword"
NAME = "name"
VARIABLE = "variable"
STRING = "string"
NUMBER = "number"
OP = "op"
EOF = "end of content"

KEYWORDS = frozenset(
    {"VAR", "SET", "IF", "THEN", "ELSEIF", "ELSE", "ENDIF", "FOR", "TO", "DOWNTO", "DO"}
    | {"NEXT", "AND", "OR", "NOT", "TRUE", "FALSE"}
)

_SCRIPT_TAG = r"<script\b(?=[^>]*\brunat\s*=\s*[\"']?server\b)[^>]*>"
# Content Builder's layout tags: {{.slot name}} … {{/slot}}, {{.block name type}} … {{/block}}
# mark where content goes and render as nothing; {{.data}} … {{/data}} holds the block's
# settings (JSON) and renders as nothing, with what it holds.
_GUIDE_TAG = r"\{\{\s*(?:[./](?:slot|block)\b[^{}]*|(\.data|/data)\s*)\}\}"
_OPENER = re.compile(
    rf"(%%\[)|(%%=)|({_SCRIPT_TAG})|({_GUIDE_TAG})|{FIELD_REF.pattern}", re.IGNORECASE
)
_DATA_END = re.compile(r"\{\{\s*/data\s*\}\}", re.IGNORECASE)
_AMPSCRIPT_LANGUAGE = re.compile(r"\blanguage\s*=\s*[\"']?ampscript\b", re.IGNORECASE)
_SCRIPT_END = re.compile(r"</script\s*>", re.IGNORECASE)
_CODE = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<comment>/\*.*?\*/)
    |(?P<close>\]%%)
    |(?P<end_inline>=%%)
    |(?P<variable>@[A-Za-z_][A-Za-z0-9_]*)
    |(?P<number>-?(?:\d+(?:\.\d*)?|\.\d+))
    |(?P<string>"(?:[^"]|"")*"|'(?:[^']|'')*')
    |(?P<op>==|!=|<=|>=|<|>|=|\(|\)|,)
    |(?P<bracket>\[[^\]\r\n]*\])
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE | re.DOTALL,
)
# Quick test for content that needs the AMPscript compiler at all.
HAS_AMPSCRIPT = re.compile(rf"%%\[|%%=|{_SCRIPT_TAG}|{_GUIDE_TAG}", re.IGNORECASE)


class Token(NamedTuple):
    kind: str
    value: str
    line: int
    column: int

    def describe(self) -> str:
        if self.kind in (EOF, TEXT, FIELD, OPEN, CLOSE, INLINE, END_INLINE):
            return {
                TEXT: "text",
                FIELD: f"%%{self.value}%%",
                OPEN: "%%[",
                CLOSE: "]%%",
                INLINE: "%%=",
                END_INLINE: "=%%",
            }.get(self.kind, self.kind)
        return repr(self.value) if self.kind != KEYWORD else self.value


class _Positions:
    """Offsets to 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text``, ending with an EOF token; a lexical error raises AmpscriptError."""
    position = _Positions(text)
    tokens: list[Token] = []
    pos = 0
    while (match := _OPENER.search(text, pos)) is not None:
        if match.start() > pos:
            tokens.append(Token(TEXT, text[pos : match.start()], *position(pos)))
        block, inline, script, guide, data, field = match.groups()
        line, column = position(match.start())
        if guide is not None:
            pos = _guide_tag(text, match, data, (line, column))
        elif field is not None:
            tokens.append(Token(FIELD, field, line, column))
            pos = match.end()
        elif block or inline:
            kind, closer = (OPEN, CLOSE) if block else (INLINE, END_INLINE)
            tokens.append(Token(kind, match.group(), line, column))
            pos = _code(text, match.end(), closer, tokens, position, (line, column))
        else:
            if not _AMPSCRIPT_LANGUAGE.search(script):
                raise AmpscriptError(
                    'server-side JavaScript is not supported: only <script runat="server" '
                    'language="ampscript"> runs',
                    line,
                    column,
                )
            end = _SCRIPT_END.search(text, match.end())
            if end is None:
                raise AmpscriptError("<script> is not closed with </script>", line, column)
            tokens.append(Token(OPEN, script, line, column))
            _code(text[: end.start()], match.end(), None, tokens, position, (line, column))
            tokens.append(Token(CLOSE, end.group(), *position(end.start())))
            pos = end.end()
    if pos < len(text):
        tokens.append(Token(TEXT, text[pos:], *position(pos)))
    tokens.append(Token(EOF, "", *position(len(text))))
    return tokens


def _guide_tag(text: str, match: re.Match[str], data: str | None, at: tuple[int, int]) -> int:
    """Where text resumes after a layout tag (after its data, for ``{{.data}}``)."""
    if data is None or data.startswith("/"):
        return match.end()
    end = _DATA_END.search(text, match.end())
    if end is None:
        raise AmpscriptError("{{.data}} is not closed with {{/data}}", *at)
    return end.end()


def _code(
    text: str,
    pos: int,
    closer: str | None,
    tokens: list[Token],
    position: _Positions,
    opened: tuple[int, int],
) -> int:
    """Tokenize code from ``pos`` up to ``closer`` (or the end of ``text``); returns the end."""
    while pos < len(text):
        match = _CODE.match(text, pos)
        if match is None:
            raise _unexpected(text, pos, position)
        kind = match.lastgroup
        value = match.group()
        line, column = position(pos)
        pos = match.end()
        if kind in ("space", "comment"):
            continue
        if kind in (CLOSE, "end_inline"):
            kind = END_INLINE if kind == "end_inline" else CLOSE
            if kind != closer:
                raise AmpscriptError(f"unexpected {value}", line, column)
            tokens.append(Token(kind, value, line, column))
            return pos
        if kind == "string":
            quote = value[0]
            tokens.append(Token(STRING, value[1:-1].replace(quote * 2, quote), line, column))
        elif kind == "bracket":
            tokens.append(Token(NAME, value[1:-1].strip(), line, column))
        elif kind == "name" and value.upper() in KEYWORDS:
            tokens.append(Token(KEYWORD, value.upper(), line, column))
        else:
            tokens.append(Token(kind, value, line, column))  # type: ignore[arg-type]
    if closer is not None:
        opener = "%%[" if closer == CLOSE else "%%="
        closing = "]%%" if closer == CLOSE else "=%%"
        raise AmpscriptError(f"{opener} is not closed with {closing}", *opened)
    return pos


def _unexpected(text: str, pos: int, position: _Positions) -> AmpscriptError:
    line, column = position(pos)
    if text.startswith("/*", pos):
        return AmpscriptError("comment is not closed with */", line, column)
    if text[pos] in "\"'":
        return AmpscriptError("string is not closed", line, column)
    if text[pos] in "“”‘’":
        return AmpscriptError("typographic quotes cannot delimit a string", line, column)
    return AmpscriptError(f"unexpected character {text[pos]!r}", line, column)
