"""Compile content into a ``Program``: parsed and checked once, run per recipient.

Each node of the syntax tree becomes a Python closure, so running a program per recipient is a
walk of nested calls with no parsing, lookup of names or dispatch on node types. Unknown
functions, wrong argument counts and refused functions are errors here, at compile time.

The program keeps ``personalization``'s ``Template`` shape (``ScriptedTemplate``): top-level
text stays literal (so ``message`` still pre-encodes its static lines once per job) and each
run of AMPscript between texts becomes a slot ``__ampN_K`` whose text the program computes.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Mapping
from decimal import Decimal

from sendwell.domain.ampscript import nodes as n
from sendwell.domain.ampscript.comparison import compiled_comparison
from sendwell.domain.ampscript.errors import AmpscriptError, FunctionError, RecipientSkipped
from sendwell.domain.ampscript.parser import parse
from sendwell.domain.ampscript.registry import FUNCTIONS, REFUSED, OutputVariable
from sendwell.domain.ampscript.runtime import (
    DEFAULT_ENVIRONMENT,
    Context,
    RenderEnvironment,
)
from sendwell.domain.ampscript.values import Value, boolean, integer, text
from sendwell.domain.personalization import COMPUTED_FIELDS, Slot, Template, TemplatePart

Run = Callable[[Context], None]
Evaluate = Callable[[Context], Value]
_programs = itertools.count(1)


class Program:
    """Compiled content: ``run`` computes the slot values, ``template`` puts them in place."""

    __slots__ = ("_segments", "as_written", "fields", "source_id", "template")

    def __init__(
        self, statements: tuple[n.Statement, ...], as_written: bool = True, source_id: str = ""
    ) -> None:
        self.as_written = as_written
        self.source_id = source_id
        """A hash of the content: with line and column it names a call across processes."""
        """Whether a ``%%Name%%`` the values lack renders as written (else as "")."""
        prefix = f"__amp{next(_programs)}_"
        parts: list[TemplatePart] = []
        segments: list[tuple[str, Callable[[Context], str]]] = []
        pending: list[n.Statement] = []

        def close_segment() -> None:
            if pending:
                key = f"{prefix}{len(segments)}"
                parts.append(Slot(key))
                segments.append((key, _segment(tuple(pending))))
                pending.clear()

        for statement in statements:
            if isinstance(statement, n.Text):
                close_segment()
                parts.append(statement.text)
            elif isinstance(statement, n.FieldString) and statement.name not in COMPUTED_FIELDS:
                close_segment()
                parts.append(Slot(statement.name, statement.written if as_written else ""))
            else:
                pending.append(statement)
        close_segment()
        self._segments = tuple(segments)
        self.fields: frozenset[str] = frozenset(n.attributes_read(statements)) - COMPUTED_FIELDS
        """Attribute names the content reads (lower-cased), as ``Template.fields``."""
        self.template = ScriptedTemplate(parts, self)

    def run(self, context: Context) -> None:
        """Run for one recipient: ``context.slots`` receives this program's slot values."""
        slots = context.slots
        context.as_written = self.as_written
        context.program = self.source_id
        for key, produce in self._segments:
            slots[key] = produce(context)

    def render(
        self, values: Mapping[str, object], env: RenderEnvironment = DEFAULT_ENVIRONMENT
    ) -> str:
        """The content for one recipient, run in a context of its own."""
        context = Context(values, env)
        self.run(context)
        return self.template.fill({**values, **context.slots})  # type: ignore[dict-item]


class ScriptedTemplate(Template):
    """A ``Template`` whose slots include values its program computes per recipient."""

    __slots__ = ("program",)

    def __init__(self, parts: list[TemplatePart], program: Program) -> None:
        super().__init__(parts)
        self.program = program
        self._fields = program.fields  # what the content reads, not the computed slot keys

    def render(self, values: Mapping[str, str | None]) -> str:
        """Run the program in a fresh context, then fill the slots."""
        return self.program.render(values)

    def fill(self, values: Mapping[str, str | None]) -> str:
        """Fill the slots from ``values`` that already hold the program's slot values."""
        return Template.render(self, values)


def compile_content(text_: str, as_written: bool = True) -> Program:
    """Parse and check ``text_``; raises AmpscriptError naming the line and column of a fault.

    A ``%%Name%%`` the recipient's values lack renders as written (as Marketing Cloud renders
    a name that is no attribute), or as "" when ``as_written`` is false (sends)."""
    source_id = hashlib.sha256(text_.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return Program(parse(text_), as_written, source_id)


# --- Statements --------------------------------------------------------------------------


def _segment(statements: tuple[n.Statement, ...]) -> Callable[[Context], str]:
    """What a run of statements between two texts writes, as one string."""
    line, column = statements[0].line, statements[0].column
    only = statements[0]
    if len(statements) == 1 and isinstance(only, n.Inline):
        # The common ``%%=v(@x)=%%`` between texts: its value is the slot's, no buffer.
        value = _expression(only.expression)

        def produce_value(ctx: Context) -> str:
            try:
                shown = value(ctx)
                shown = shown if isinstance(shown, str) else text(shown)
                out = ctx.out
                out.size += len(shown)
                if out.size > out.limit:
                    raise FunctionError(f"the content grew beyond {out.limit} characters")
            except FunctionError as exc:
                raise AmpscriptError(exc.message, line, column) from None
            return shown

        return produce_value
    runs = tuple(_statement(s) for s in statements)

    def produce(ctx: Context) -> str:
        parts = ctx.out.parts
        start = len(parts)
        try:
            for run in runs:
                run(ctx)
        except FunctionError as exc:  # the output limit, reached by writing text
            raise AmpscriptError(exc.message, line, column) from None
        written = "".join(parts[start:])
        del parts[start:]
        return written

    return produce


def _statement(node: n.Statement) -> Run:
    if isinstance(node, n.Text):
        literal = node.text
        return lambda ctx: ctx.out.write(literal)
    if isinstance(node, n.FieldString):
        name, written = node.name, node.written
        line, column = node.line, node.column

        def field_string(ctx: Context) -> None:
            value = ctx.field(name, written)
            try:
                ctx.out.write(value if isinstance(value, str) else text(value))
            except FunctionError as exc:
                raise AmpscriptError(exc.message, line, column) from None

        return field_string
    if isinstance(node, n.Inline):
        value = _expression(node.expression)
        line, column = node.line, node.column

        def inline(ctx: Context) -> None:
            shown = value(ctx)
            try:
                ctx.out.write(shown if isinstance(shown, str) else text(shown))
            except FunctionError as exc:
                raise AmpscriptError(exc.message, line, column) from None

        return inline
    if isinstance(node, n.Declare):
        names = node.names

        def declare(ctx: Context) -> None:
            for name in names:
                ctx.variables.setdefault(name, None)

        return declare
    if isinstance(node, n.Assign):
        name, value = node.name, _expression(node.value)

        def assign(ctx: Context) -> None:
            ctx.variables[name] = value(ctx)

        return assign
    if isinstance(node, n.If):
        return _if(node)
    if isinstance(node, n.For):
        return _for(node)
    if isinstance(node, n.Ignored):
        for expression in node.expressions:
            _expression(expression)  # checks its calls, as when content is saved
        return lambda ctx: None
    call = _expression(node.call)

    def evaluate(ctx: Context) -> None:
        call(ctx)

    return evaluate


def _if(node: n.If) -> Run:
    branches = tuple(
        (_expression(b.condition), tuple(_statement(s) for s in b.body)) for b in node.branches
    )
    otherwise = tuple(_statement(s) for s in node.otherwise)

    def run(ctx: Context) -> None:
        for condition, body in branches:
            if boolean(condition(ctx)):
                for statement in body:
                    statement(ctx)
                return
        for statement in otherwise:
            statement(ctx)

    return run


def _for(node: n.For) -> Run:
    counter, downward = node.counter, node.downward
    first, last = _expression(node.start), _expression(node.end)
    body = tuple(_statement(s) for s in node.body)

    def bounds(ctx: Context) -> tuple[int, int]:
        return integer(first(ctx), "the loop start"), integer(last(ctx), "the loop end")

    located_bounds = _located(node, bounds)
    count = _located(node, Context.count_iteration)

    def run(ctx: Context) -> None:
        start, end = located_bounds(ctx)
        step = -1 if downward else 1
        variables = ctx.variables
        for i in range(start, end + step, step):
            count(ctx)
            variables[counter] = Decimal(i)
            for statement in body:
                statement(ctx)

    return run


# --- Expressions -------------------------------------------------------------------------


def _expression(node: n.Expression) -> Evaluate:
    if isinstance(node, n.Literal):
        constant = node.value
        return lambda ctx: constant
    if isinstance(node, n.Variable):
        name = node.name
        return lambda ctx: ctx.variables.get(name)
    if isinstance(node, n.Attribute):
        name = node.name
        return lambda ctx: ctx.attribute(name)
    if isinstance(node, n.Call):
        return _call(node)
    if isinstance(node, n.Comparison):
        return _comparison(node)
    if isinstance(node, n.Logical):
        left, right = _expression(node.left), _expression(node.right)
        if node.operator == "AND":
            return lambda ctx: boolean(left(ctx)) and boolean(right(ctx))
        return lambda ctx: boolean(left(ctx)) or boolean(right(ctx))
    operand = _expression(node.operand)
    return lambda ctx: not boolean(operand(ctx))


def _comparison(node: n.Comparison) -> Evaluate:
    literal = node.right.value if isinstance(node.right, n.Literal) else None
    return compiled_comparison(
        node.operator, _expression(node.left), _expression(node.right), literal
    )


def _call(node: n.Call) -> Evaluate:
    key = node.name.lower()
    spec = FUNCTIONS.get(key)
    if spec is None:
        if key in REFUSED:
            raise AmpscriptError(f"{node.name} {REFUSED[key]}", node.line, node.column)
        raise AmpscriptError(f"unknown function {node.name}", node.line, node.column)
    count = len(node.args)
    if count < spec.minimum or (spec.maximum is not None and count > spec.maximum):
        raise AmpscriptError(
            f"{spec.name} takes {_arity(spec.minimum, spec.maximum)}, not {count}",
            node.line,
            node.column,
        )
    problem = spec.arity_rule(count) if spec.arity_rule else None
    if problem:
        raise AmpscriptError(f"{spec.name}: {problem}", node.line, node.column)
    args = tuple(
        _output_variable(node, spec.name, i) if i in spec.outputs else _expression(a)
        for i, a in enumerate(node.args)
    )
    if key == "v":  # v(x) is x: the most common call in email content costs nothing
        return args[0]
    if spec.sited:  # the function learns where it is called: (line, column) comes first
        site = (node.line, node.column)
        args = (lambda ctx: site, *args)
        count += 1
    run, line, column, name = spec.run, node.line, node.column, spec.name
    # One closure per argument count, each with its own handler: no extra call per call.
    if spec.lazy:

        def call(ctx: Context) -> Value:
            try:
                return run(ctx, args)
            except (FunctionError, RecipientSkipped) as exc:
                raise _relocated(exc, name, line, column) from None

    elif count == 1:
        (only,) = args

        def call(ctx: Context) -> Value:
            try:
                return run(ctx, (only(ctx),))
            except (FunctionError, RecipientSkipped) as exc:
                raise _relocated(exc, name, line, column) from None

    elif count == 2:
        first, second = args

        def call(ctx: Context) -> Value:
            try:
                return run(ctx, (first(ctx), second(ctx)))
            except (FunctionError, RecipientSkipped) as exc:
                raise _relocated(exc, name, line, column) from None

    else:

        def call(ctx: Context) -> Value:
            try:
                return run(ctx, [arg(ctx) for arg in args])
            except (FunctionError, RecipientSkipped) as exc:
                raise _relocated(exc, name, line, column) from None

    return call


def _output_variable(node: n.Call, name: str, index: int) -> Evaluate:
    """The argument a function sets: it must be a @variable."""
    arg = node.args[index]
    if not isinstance(arg, n.Variable):
        raise AmpscriptError(
            f"{name}: argument {index + 1} must be a @variable it can set", arg.line, arg.column
        )
    target = OutputVariable(arg.name)
    return lambda ctx: target


def _relocated(
    exc: FunctionError | RecipientSkipped, name: str, line: int, column: int
) -> Exception:
    if isinstance(exc, RecipientSkipped):
        if not exc.line:
            exc.line, exc.column = line, column
        return exc
    return AmpscriptError(f"{name}: {exc.message}", line, column)


def _arity(minimum: int, maximum: int | None) -> str:
    if maximum is None:
        return f"at least {minimum} argument{'s' * (minimum != 1)}"
    if minimum == maximum:
        return f"{minimum} argument{'s' * (minimum != 1)}"
    return f"{minimum} to {maximum} arguments"


def _located(node: n.Node, run: Callable) -> Callable:
    """``run`` with FunctionErrors reported at ``node``'s line and column."""
    line, column = node.line, node.column

    def located(ctx: Context) -> object:
        try:
            return run(ctx)
        except FunctionError as exc:
            raise AmpscriptError(exc.message, line, column) from None

    return located
