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
    written: str  # as written, ``%%Name%%``: what shows when no attribute has the name


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


@dataclass(frozen=True, slots=True)
class Ignored(Node):
    """An expression standing as a statement (``@x = "v"`` without SET, ``5 < 5``, ``@x``):
    Marketing Cloud parses it and does nothing (ampscript-core: "the existing Marketing Cloud
    AMPscript interpreter ignores these lines"). Kept so that its calls are still checked."""

    expressions: tuple[Expression, ...]


Statement = Text | FieldString | Inline | Declare | Assign | If | For | Evaluate | Ignored


def attributes_read(statements: tuple[Statement, ...]) -> set[str]:
    """Names of attributes read anywhere: %%Name%%, bare names, AttributeValue("Name")."""
    found: set[str] = set()
    pending: list[object] = list(statements)
    while pending:
        node = pending.pop()
        if isinstance(node, FieldString | Attribute):
            found.add(node.name)
        elif isinstance(node, Call):
            if node.name.lower() == "attributevalue" and node.args:
                arg = node.args[0]
                if isinstance(arg, Literal) and isinstance(arg.value, str):
                    found.add(arg.value.strip().lower())
            pending.extend(node.args)
        elif isinstance(node, If):
            for branch in node.branches:
                pending.append(branch.condition)
                pending.extend(branch.body)
            pending.extend(node.otherwise)
        elif isinstance(node, For):
            pending.extend((node.start, node.end, *node.body))
        elif isinstance(node, Inline):
            pending.append(node.expression)
        elif isinstance(node, Assign):
            pending.append(node.value)
        elif isinstance(node, Evaluate):
            pending.append(node.call)
        elif isinstance(node, Ignored):
            pending.extend(node.expressions)
        elif isinstance(node, Comparison | Logical):
            pending.extend((node.left, node.right))
        elif isinstance(node, Not):
            pending.append(node.operand)
    return found
