"""Random content never crashes the AMPscript engine: it renders, or it fails with a located
AmpscriptError (or RaiseError's RecipientSkipped). Limits keep hostile content bounded."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.ampscript_support import environment

from sendwell.domain.ampscript import AmpscriptError, RecipientSkipped, compile_content
from sendwell.domain.ampscript.registry import FUNCTIONS

DATA = {"Products": [{"SKU": "A1", "Name": "Anvil", "Price": "19.99"}]}
ATTRIBUTES = {"firstname": "Ann", "score": "42", "joined": "2020-02-29", "city": None}

FRAGMENTS = [
    "%%[",
    "]%%",
    "%%=",
    "=%%",
    " ",
    "\n",
    "\t",
    "IF",
    "THEN",
    "ELSE",
    "ELSEIF",
    "ENDIF",
    "FOR",
    "TO",
    "DOWNTO",
    "DO",
    "NEXT",
    "SET",
    "VAR",
    "@x",
    "@i",
    "=",
    "==",
    "!=",
    "<",
    ">=",
    "(",
    ")",
    ",",
    "'a'",
    '"b"',
    "''",
    "1",
    "-2.5",
    "0",
    "Concat",
    "v",
    "Add",
    "Divide",
    "Lookup",
    "IIf",
    "Empty",
    "FormatDate",
    "Now()",
    "Row",
    "Field",
    "FirstName",
    "[Score]",
    "AND",
    "OR",
    "NOT",
    "true",
    "/*",
    "*/",
    "%%Name%%",
    "%%xtmonth%%",
    "%",
    "'",
    '"',
    "[",
    "]",
    '<script runat="server" language="ampscript">',
    "</script>",
    "<p>",
    "text",
    "é",
    "😀",
    "RaiseError('r')",
    "LookupRows('Products','SKU','A1')",
    "Output(",
    "x",
]


def assert_located(error: AmpscriptError, content: str) -> None:
    lines = content.split("\n")
    assert 1 <= error.line <= len(lines), (error, content)
    assert 1 <= error.column <= len(lines[error.line - 1]) + 1, (error, content)
    assert error.message
    assert str(error).startswith(f"line {error.line}, column {error.column}: ")


def run(content: str) -> str | None:
    """Compile and render ``content``: its output, or None after a located error."""
    try:
        program = compile_content(content)
    except AmpscriptError as exc:
        assert_located(exc, content)
        return None
    try:
        return program.render(ATTRIBUTES, environment(DATA, max_iterations=500))
    except AmpscriptError as exc:
        assert_located(exc, content)
        return None
    except RecipientSkipped as exc:
        assert exc.line >= 1
        return None


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_random_fragments_render_or_fail_located(content: str) -> None:
    run(content)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_renders_or_fails_located(content: str) -> None:
    run(content)


# --- Random programs: well-formed syntax, random functions, arities and values -------------

_NAMES = [*sorted(f.name for f in FUNCTIONS.values()), "Frobnicate", "HTTPGet"]
_LITERALS = st.sampled_from(
    [
        "'abc'",
        "''",
        "'2024-01-31'",
        "'A1'",
        "1",
        "0",
        "-3",
        "2.5",
        "true",
        "false",
        "'N2'",
        "'D'",
        "'Products'",
        "'SKU'",
        "'Price DESC'",
        "'yyyy-MM-dd'",
    ]
)
_ATOMS = _LITERALS | st.sampled_from(["@x", "@y", "@rows", "FirstName", "Score", "City", "Now()"])


_ARITIES = [
    (f.name, f.minimum, f.maximum if f.maximum is not None else f.minimum + 3)
    for f in FUNCTIONS.values()
]


def _calls(args: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # Mostly an argument count the function takes, so that most programs get to run.
    fitting = st.sampled_from(_ARITIES).flatmap(
        lambda f: st.lists(args, min_size=f[1], max_size=min(f[2], f[1] + 3)).map(
            lambda values: f"{f[0]}({', '.join(values)})"
        )
    )
    anything = st.builds(
        lambda name, values: f"{name}({', '.join(values)})",
        st.sampled_from(_NAMES),
        st.lists(args, max_size=5),
    )
    return st.one_of([fitting] * 12 + [anything])


_EXPRESSIONS = st.recursive(
    _ATOMS,
    lambda inner: (
        _calls(inner)
        | st.builds(
            lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["==", "!=", "<", ">="]), inner
        )
        | st.builds(
            lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(["AND", "OR"]), inner
        )
        | inner.map(lambda e: f"(NOT {e})")
    ),
    max_leaves=8,
)
_STATEMENTS = st.recursive(
    st.builds(lambda v, e: f"SET {v} = {e}", st.sampled_from(["@x", "@y", "@rows"]), _EXPRESSIONS)
    | _EXPRESSIONS.map(lambda e: f"Output({e})")
    | st.just("]%%<p>%%FirstName%%</p>%%["),
    lambda inner: (
        st.builds(
            lambda c, a, b: f"IF {c} THEN {' '.join(a)} ELSE {' '.join(b)} ENDIF",
            _EXPRESSIONS,
            st.lists(inner, max_size=3),
            st.lists(inner, max_size=3),
        )
        | st.builds(
            lambda lo, hi, body: f"FOR @i = {lo} TO {hi} DO {' '.join(body)} NEXT @i",
            st.integers(-2, 5),
            st.integers(-2, 12),
            st.lists(inner, max_size=3),
        )
    ),
    max_leaves=10,
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_STATEMENTS, max_size=6), st.lists(_EXPRESSIONS, max_size=3))
def test_random_programs_never_crash(statements: list[str], inline: list[str]) -> None:
    content = "%%[\n" + "\n".join(statements) + "\n]%%" + "".join(f"%%={e}=%%" for e in inline)
    run(content)


# --- The sandbox's limits ----------------------------------------------------------------


def test_loops_are_bounded() -> None:
    program = compile_content("%%[\nFOR @i = 1 TO 100000000 DO\nSET @x = @i\nNEXT @i\n]%%")
    with pytest.raises(AmpscriptError) as raised:
        program.render({}, environment(max_iterations=1000))
    assert "loops ran more than 1000 times" in raised.value.message
    assert (raised.value.line, raised.value.column) == (2, 1)


def test_output_is_bounded() -> None:
    program = compile_content("%%[ FOR @i = 1 TO 100000 DO ]%%0123456789%%[ NEXT ]%%")
    with pytest.raises(AmpscriptError) as raised:
        program.render({}, environment(max_output=10_000))
    assert "beyond 10000 characters" in raised.value.message


def test_strings_are_bounded() -> None:
    content = "%%[ SET @s = 'ab' FOR @i = 1 TO 40 DO SET @s = Concat(@s, @s) NEXT ]%%"
    with pytest.raises(AmpscriptError) as raised:
        compile_content(content).render({}, environment())
    assert "the text grew beyond" in raised.value.message
    assert (raised.value.line, raised.value.column) == (1, content.index("Concat") + 1)


def test_numbers_are_bounded() -> None:
    content = "%%[ SET @n = 10 FOR @i = 1 TO 40 DO SET @n = Multiply(@n, @n) NEXT ]%%"
    with pytest.raises(AmpscriptError) as raised:
        compile_content(content).render({}, environment())
    assert "out of range" in raised.value.message


@pytest.mark.parametrize(
    "content",
    [
        "%%[ " + "IF 1 == 1 THEN " * 200 + "ENDIF " * 200 + "]%%",
        "%%=" + "(" * 500 + "1" + ")" * 500 + "=%%",
        "%%=" + "Concat(" * 300 + "'a'" + ")" * 300 + "=%%",
        "%%[ IF " + "NOT " * 1000 + "true THEN ENDIF ]%%",
    ],
)
def test_deep_nesting_is_a_located_error_not_a_crash(content: str) -> None:
    with pytest.raises(AmpscriptError) as raised:
        compile_content(content)
    assert "nested more than" in raised.value.message
    assert_located(raised.value, content)


def test_content_reaches_no_python() -> None:
    # Names that would mean something to Python are attributes or unknown functions here.
    attributes = {"__class__": "c", "__import__": "i"}
    program = compile_content("%%=Concat(__class__, __import__, __builtins__)=%%")
    assert program.render(attributes, environment()) == "ci"
    for content in (
        "%%=eval('1')=%%",
        "%%=exec('x')=%%",
        "%%=open('/etc/passwd')=%%",
        "%%=__import__('os')=%%",
    ):
        with pytest.raises(AmpscriptError, match="unknown function"):
            compile_content(content)
