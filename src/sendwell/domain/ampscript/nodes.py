"""The AMPscript syntax tree: every node knows the line and column where it starts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Node:
    line: int
    column: int


# --- Expressions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: str | Decimal | bool


@dataclass(frozen=True, slots=True)
class Variable(Node):
    name: str  # lower-cased, without "@"


@dataclass(frozen=True, slots=True)
class Attribute(Node):
    """A subscriber attribute, data extension column or system string named in code."""

    name: str  # lower-cased


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str  # as written
    args: tuple[Expression, ...]


@dataclass(frozen=True, slots=True)
class Comparison(Node):
    operator: str  # == != < > <= >=
    left: Expression
    right: Expression


@dataclass(frozen=True, slots=True)
class Logical(Node):
    operator: str  # AND | OR
    left: Expression
    right: Expression


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Expression


Expression = Literal | Variable | Attribute | Call | Comparison | Logical | Not


# --- Statements --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text(Node):
    text: str


@dataclass(frozen=True, slots=True)
class FieldString(Node):
    """A ``%%Name%%`` personalization string in text."""

    name: str  # lower-cased


@dataclass(frozen=True, slots=True)
class Inline(Node):
    """``%%= expression =%%``: the value is written where it stands."""

    expression: Expression


@dataclass(frozen=True, slots=True)
class Declare(Node):
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Assign(Node):
    name: str
    value: Expression


@dataclass(frozen=True, slots=True)
class Branch:
    condition: Expression
    body: tuple[Statement, ...]


@dataclass(frozen=True, slots=True)
class If(Node):
    branches: tuple[Branch, ...]  # IF and every ELSEIF, in order
    otherwise: tuple[Statement, ...]


@dataclass(frozen=True, slots=True)
class For(Node):
    counter: str
    start: Expression
    end: Expression
    downward: bool
    body: tuple[Statement, ...]


@dataclass(frozen=True, slots=True)
class Evaluate(Node):
    """A function called as a statement: its value is dropped (``Output`` writes its own)."""

    call: Call


Statement = Text | FieldString | Inline | Declare | Assign | If | For | Evaluate
