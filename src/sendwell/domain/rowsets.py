"""The query language of Marketing Cloud's data extension rowset reads, and how rows read back.

``GET /data/v1/customobjectdata/key/{key}/rowset`` takes ``$filter`` (``Email eq 'a@b.c'``,
``Age gte '3'``, ``Name like 'A%'``, ``City in ('Paris','Lyon')``, ``Phone IS NULL``,
``Phone IS NOT NULL``, nested ``(L AND R)`` / ``(L OR R)``: the grammar FuelSDKWrapper's
``search_filter_for_rest_call`` emits) and ``$orderBy`` (``Email ASC,Age DESC``). A filter
becomes the same tree the partner API's filters do (``domain.filters``), so one translation to
SQL serves both. Row values read back as Marketing Cloud shows them: every value a string,
booleans ``True``/``False``, dates ``M/D/YYYY h:mm:ss AM``, empty as ``""``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sendwell.domain.errors import REST_GENERIC, Invalid, shown
from sendwell.domain.filters import Complex, Filter, Simple

# Marketing Cloud's OData-like operators, as the partner API's SimpleOperators. The short forms
# ne/ge/le are accepted too (inferred: OData spells them so, and some clients do).
OPERATORS = {
    "eq": "equals",
    "neq": "notEquals",
    "ne": "notEquals",
    "gt": "greaterThan",
    "gte": "greaterThanOrEqual",
    "ge": "greaterThanOrEqual",
    "lt": "lessThan",
    "lte": "lessThanOrEqual",
    "le": "lessThanOrEqual",
    "like": "like",
}
# Deeper than any filter a client builds by hand; keeps the parser's recursion bounded.
MAX_NESTING = 32
_TOKEN = re.compile(
    r"\s*(?:(?P<text>'(?:[^']|'')*')|(?P<open>\()|(?P<close>\))|(?P<comma>,)|(?P<word>[^\s(),']+))"
)


def _bad(message: str) -> Invalid:
    return Invalid(f"The $filter is not valid: {message}", REST_GENERIC)


@dataclass(frozen=True)
class _Token:
    kind: str  # text | open | close | comma | word
    value: str


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise _bad(f"unexpected text at {shown(text[position : position + 20])}.")
        kind = match.lastgroup or "word"
        value = match.group(kind)
        if kind == "text":
            value = value[1:-1].replace("''", "'")
        out.append(_Token(kind, value))
        position = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise _bad("it ends too early.")
        self.at += 1
        return token

    def word_is(self, *words: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "word" and token.value.upper() in words

    def expression(self, depth: int) -> Filter:
        if depth > MAX_NESTING:
            raise _bad(f"it is nested more than {MAX_NESTING} levels deep.")
        operands = [self.conjunction(depth)]
        while self.word_is("OR"):
            self.take()
            operands.append(self.conjunction(depth))
        return operands[0] if len(operands) == 1 else Complex("OR", tuple(operands))

    def conjunction(self, depth: int) -> Filter:
        operands = [self.primary(depth)]
        while self.word_is("AND"):
            self.take()
            operands.append(self.primary(depth))
        return operands[0] if len(operands) == 1 else Complex("AND", tuple(operands))

    def primary(self, depth: int) -> Filter:
        token = self.peek()
        if token is not None and token.kind == "open":
            self.take()
            inner = self.expression(depth + 1)
            if self.take().kind != "close":
                raise _bad("a parenthesis is not closed.")
            return inner
        return self.comparison()

    def comparison(self) -> Simple:
        name = self.take()
        if name.kind != "word":
            raise _bad(f"a column name was expected, not {shown(name.value)}.")
        if self.word_is("IS"):
            self.take()
            negated = self.word_is("NOT")
            if negated:
                self.take()
            if not self.word_is("NULL"):
                raise _bad(f"IS must be followed by NULL or NOT NULL after {shown(name.value)}.")
            self.take()
            return Simple(name.value, "isNotNull" if negated else "isNull", ())
        operator = self.take()
        if operator.kind == "word" and operator.value.lower() == "in":
            return Simple(name.value, "IN", self.value_list())
        if operator.kind != "word" or operator.value.lower() not in OPERATORS:
            raise _bad(f"{shown(operator.value)} is not an operator.")
        value = self.take()
        if value.kind not in ("text", "word"):
            raise _bad(f"a value was expected after {shown(operator.value)}.")
        return Simple(name.value, OPERATORS[operator.value.lower()], (value.value,))

    def value_list(self) -> tuple[str, ...]:
        if self.take().kind != "open":
            raise _bad("in must be followed by a list in parentheses.")
        values: list[str] = []
        while True:
            value = self.take()
            if value.kind not in ("text", "word"):
                raise _bad("the in list holds something that is not a value.")
            values.append(value.value)
            separator = self.take()
            if separator.kind == "close":
                return tuple(values)
            if separator.kind != "comma":
                raise _bad("the values of an in list are separated by commas.")


def parse_rowset_filter(text: str | None) -> Filter | None:
    """The filter tree of a ``$filter`` value; None when it is empty. Raises Invalid (10000)."""
    if text is None or not text.strip():
        return None
    parser = _Parser(text)
    tree = parser.expression(0)
    if parser.peek() is not None:
        raise _bad(f"unexpected {shown(parser.peek().value)}.")  # type: ignore[union-attr]
    return tree


def parse_order_by(text: str | None) -> list[tuple[str, bool]]:
    """``Col ASC,Col2 DESC`` as (column, descending) pairs; ASC when no direction is given."""
    out: list[tuple[str, bool]] = []
    for part in (text or "").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise Invalid(
                f"The $orderBy part {shown(part.strip())} is not 'Column [ASC|DESC]'.", REST_GENERIC
            )
        out.append((words[0], len(words) == 2 and words[1].upper() == "DESC"))
    return out


def shown_value(field_type: str, stored: str | None) -> str:
    """A stored row value as Marketing Cloud's rowset read shows it."""
    if stored is None or stored == "":
        return ""
    if field_type == "Boolean":
        return "True" if stored.lower() in ("true", "1") else "False"
    if field_type == "Date":
        try:
            moment = datetime.fromisoformat(stored)
        except ValueError:
            return stored
        hour = moment.hour % 12 or 12
        half = "AM" if moment.hour < 12 else "PM"
        return (
            f"{moment.month}/{moment.day}/{moment.year} "
            f"{hour}:{moment.minute:02d}:{moment.second:02d} {half}"
        )
    return stored
