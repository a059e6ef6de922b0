"""Marketing Cloud's language rules, case by case: how values compare (every pair of types,
every operator), numbers, null, statements without SET, attributes no one has, date forms,
content blocks, TreatAsContent and Content Builder's layout tags.

The rules are those of Salesforce's own engine (SalesforceLabs/ampscript-core) and of the
corpus it captured from Marketing Cloud; ``comparison``'s docstring states them.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.ampscript_support import Blocks, Case, check, environment

from sendwell.domain.ampscript import AmpscriptError, compile_content

# --- Comparisons: (left, right, results of == != < <= > >=) -------------------------------
SAME, DIFFERENT = "TFFTFT", "FTTFTF"  # also unordered: booleans and null are one or the other
LESS, GREATER = "FTTTFF", "FTFFTT"
COMPARISONS = [
    # null (a VAR never set) is unordered against everything but null
    ("@null", "@null", SAME),
    ("@null", "0", DIFFERENT),
    ("@null", "''", DIFFERENT),
    ("@null", "'a'", DIFFERENT),
    ("@null", "true", DIFFERENT),
    ("@null", "false", DIFFERENT),
    ("@null", "Now()", DIFFERENT),
    ("5", "@null", DIFFERENT),
    # booleans: 1 and "1" and "TRUE" are true, anything else false; different ones unordered
    ("true", "true", SAME),
    ("true", "false", DIFFERENT),
    ("false", "true", DIFFERENT),
    ("true", "1", SAME),
    ("true", "1.0", SAME),
    ("true", "'1'", SAME),
    ("true", "' TRUE '", SAME),
    ("true", "2", DIFFERENT),
    ("false", "2", SAME),
    ("false", "0", SAME),
    ("false", "'a'", SAME),
    ("true", "'yes'", DIFFERENT),
    ("'a'", "false", SAME),
    ("Now()", "true", DIFFERENT),
    ("Now()", "false", SAME),
    # dates: what is not a date is the earliest date
    ("Now()", "'a'", GREATER),
    ("Now()", "0", GREATER),
    ("Now()", "''", GREATER),
    ("Now()", "'2099-01-01'", LESS),
    ("Now()", "'3/5/2024 2:07:09 PM'", SAME),
    ("DateParse('2024-01-01')", "DateParse('2024-01-02')", LESS),
    # numbers: if either side is one, both are; text that is not a number counts as 0
    ("1", "1.0", SAME),
    ("'10'", "'9'", GREATER),
    ("'4'", "'50'", LESS),
    ("'1,000'", "1000", SAME),
    ("' 5 '", "5", SAME),
    ("'5-'", "-5", SAME),
    ("'a'", "1", LESS),
    ("'abc'", "0", SAME),
    ("'1e5'", "100000", LESS),
    ("'01/01/0001'", "0", SAME),
    ("9223372036854775800.5", "9223372036854775807", LESS),
    ("0.010000000000005116", "0.01000000000000511", GREATER),
    # text: equality ignores case (but ß is not ss), order ignores case and accents
    ("'a'", "'A'", SAME),
    ("'a'", "'b'", LESS),
    ("'apple'", "'Banana'", LESS),
    ("'Graßl'", "'Grassl'", "FTFTFT"),
    ("'é'", "'e'", "FTFTFT"),
    ("'a b'", "'ab'", LESS),
    ("'zeta'", "'Zeta!'", LESS),
    ("''", "'a'", LESS),
]
_OPERATORS = ("==", "!=", "<", "<=", ">", ">=")


def _comparison_cases() -> list[tuple[str, str, str, bool]]:
    return [
        (left, operator, right, results[i] == "T")
        for left, right, results in COMPARISONS
        for i, operator in enumerate(_OPERATORS)
    ]


@pytest.mark.parametrize(
    ("left", "operator", "right", "expected"),
    _comparison_cases(),
    ids=[f"{a} {o} {b}" for a, o, b, _ in _comparison_cases()],
)
def test_comparison(left: str, operator: str, right: str, expected: bool) -> None:
    # Once with both sides in variables (the general rule), once against a literal (the
    # compiled shortcut): they must agree.
    general = (
        f"%%[ VAR @null SET @l = {left} SET @r = {right} IF @l {operator} @r THEN ]%%T"
        "%%[ ELSE ]%%F%%[ ENDIF ]%%"
    )
    literal = (
        f"%%[ VAR @null SET @l = {left} IF @l {operator} {right} THEN ]%%T"
        "%%[ ELSE ]%%F%%[ ENDIF ]%%"
    )
    env = environment()
    for content in (general, literal):
        assert compile_content(content).render({}, env) == ("T" if expected else "F"), content


def test_comparing_data_null_is_comparing_empty_text() -> None:
    content = (
        "%%[ IF City == '' AND City != 'x' AND City == 0 AND IsNull(City) THEN ]%%yes%%[ ENDIF ]%%"
    )
    assert compile_content(content).render({"city": None}, environment()) == "yes"


def test_comparing_rowsets_never_fails() -> None:
    content = "%%[ SET @r = BuildRowsetFromString('a|b', '|') IF @r == 'x' THEN ]%%eq%%[ ELSE ]%%ne%%[ ENDIF ]%%"
    assert compile_content(content).render({}, environment()) == "ne"


# --- The other rules, as table cases -------------------------------------------------------
BLOCKS = Blocks(
    {
        "name": {
            "Greeting": "Hello %%First Name%%",
            "Counter": "%%[ SET @count = Add(@count, 1) ]%%",
            "Writer": "Dynamic %%[ Output(Concat('a', 'b')) ]%% end",
            "Nested": "<%%=ContentBlockByName('Greeting')=%%>",
            "Loop": "%%=ContentBlockByName('Loop')=%%",
            "Broken": "%%[ SET @x = Frobnicate() ]%%",
        },
        "key": {"footer-key": "Footer for %%=v(@who)=%%"},
        "id": {"42": "Block 42"},
        "area_name": {"Legacy": "Classic area"},
    }
)


def C(id: str, template: str, expected: str | None = None, **kw: Any) -> Case:
    kw.setdefault("attrs", {"first name": "Logan", "city": None})
    return Case(id, template, expected, **kw)


def E(id: str, template: str, line: int, column: int, words: str) -> Case:
    return C(id, template, error=(line, column, words))


CASES = [
    # --- Numbers ---
    C("int64-max", "%%=v(9223372036854775807)=%%", "9223372036854775807"),
    C("beyond-int64-is-zero", "%%=v(9223372036854775808)=%% %%=v(-9223372036854775809)=%%", "0 0"),
    C("beyond-double-is-zero", f"%%=Add({'9' * 320}.5, 1)=%%", "1"),
    C("negative-zero", "%%=v(-0)=%%", "0"),
    C("format-numeric", "%%=Format(12345, 'C', 'Numeric')=%%", "$12,345.00"),
    C("formatnumber-percent-no-space", "%%=FormatNumber(Divide(42, 326), 'P3')=%%", "12.883%"),
    C("formatnumber-percent-de", "%%=FormatNumber(0.5, 'P0', 'de-DE')=%%", "50\xa0%"),
    C(
        "formatnumber-culture-underscore",
        "%%=FormatNumber('123.4451', 'C2', 'de_DE')=%%",
        "123,45 €",
    ),
    # --- Null and VAR ---
    C("var-is-not-isnull", "%%[ VAR @v ]%%%%=IsNull(@v)=%%/%%=Empty(@v)=%%", "False/True"),
    C("var-is-falsy", "%%[ VAR @v IF @v THEN ]%%t%%[ ELSE ]%%f%%[ ENDIF ]%%", "f"),
    C("lookup-miss-is-isnull", "%%=IsNull(AttributeValue('Nope'))=%%", "True"),
    C("data-null-attribute-isnull", "%%=IsNull(City)=%% [%%City%%]", "True []"),
    C(
        "isnulldefault",
        "%%=IsNullDefault(City, 'none')=%%/%%=IsNullDefault('x', 'none')=%%",
        "none/x",
    ),
    # --- Statements without SET: parsed, ignored ---
    C("bare-assignment-ignored", "%%[ SET @x = 'a' @x = 'b' ]%%%%=v(@x)=%%", "a"),
    C("bare-expressions-ignored", "%%[ 5 < 5 @x (1 == 1) [First Name] 'text' ]%%ok", "ok"),
    E("bare-expression-calls-checked", "%%[ @x = Frobnicate(1) ]%%", 1, 10, "unknown function"),
    # --- Attributes no one has ---
    C(
        "missing-attribute-as-written",
        "Hi %%Last Name%%, %%First Name%%",
        "Hi %%Last Name%%, Logan",
    ),
    C(
        "missing-attribute-in-a-branch",
        "%%[ IF 1 == 1 THEN ]%%[%%Nope%%]%%[ ENDIF ]%%",
        "[%%Nope%%]",
    ),
    # --- ProperCase: only white space starts a word ---
    C("propercase-dots", "%%=ProperCase('BA1R.B BR.OWN')=%%", "Ba1r.b Br.own"),
    C("propercase-spaces", "%%=ProperCase('bar   br  own')=%%", "Bar   Br  Own"),
    C("propercase-hyphen", "%%=ProperCase('jean-luc o''neil')=%%", "Jean-luc O'neil"),
    # --- URLEncode's arguments, and AMPscript inside the URL ---
    C("urlencode-default-query-spaces", "%%=URLEncode('Hello World')=%%", "Hello World"),
    C("urlencode-whole-string", "%%=URLEncode('Hello World', 0, 1)=%%", "Hello%20World"),
    C(
        "urlencode-query-only",
        "%%=URLEncode('http://x.test/a b?q=Hello World,', false, false)=%%",
        "http://x.test/a b?q=Hello%20World,",
    ),
    C(
        "urlencode-all-characters",
        "%%=URLEncode('http://x.test/?q=Hello World,é', true)=%%",
        "http://x.test/?q%3dHello+World%2c%c3%a9",
    ),
    C(
        "urlencode-all-of-everything",
        "%%=URLEncode('a b: (c)', true, true)=%%",
        "a+b%3a+(c)",
    ),
    C(
        "urlencode-runs-ampscript-in-the-url",
        '%%[ SET @u = "http://x.test/?n=%%=Add(1,2)=%%&w=%%=v(@w)=%%" SET @w = "a b" ]%%'
        "%%=URLEncode(@u)=%%",
        "http://x.test/?n=3&w=a%20b",
    ),
    # --- Date forms ---
    C(
        "datepart-rfc-1123",
        "%%[ SET @d = 'Mon, 2 Oct 2023 12:01:02' ]%%%%=DatePart(@d, 'M')=%%/"
        "%%=DatePart(@d, 'monthName')=%%/%%=DatePart(@d, 'D')=%%/%%=DatePart(@d, 'H')=%%/"
        "%%=DatePart(@d, 'MI')=%%",
        "10/October/02/12/1",
    ),
    C(
        "dateparse-short-offset",
        "%%=DateParse('2023-05-01 2:30PM-1:00', 1)=%%",
        "5/1/2023 3:30:00 PM",
    ),
    C(
        "dateparse-two-digit-year",
        "%%=FormatDate(DateParse('1/2/24'), 'yyyy-MM-dd')=%%",
        "2024-01-02",
    ),
    C(
        "dateparse-weekday-month-name",
        "%%=Format(DateParse('Monday, October 2, 2023 5:00 PM'), 'yyyy-MM-dd HH:mm')=%%",
        "2023-10-02 17:00",
    ),
    C("getsendtime-is-now", "%%=IIf(GetSendTime() == Now(), 'same', 'other')=%%", "same"),
    # --- Markers that render as nothing ---
    C(
        "impression-regions",
        "a%%=BeginImpressionRegion('Hero')=%%b%%=EndImpressionRegion()=%%c"
        "%%[ BeginImpressionRegion('x') EndImpressionRegion(true) ]%%",
        "abc",
    ),
    C("asset-blocks", "%%=BeginAssetBlock('x')=%%a%%=EndAssetBlock()=%%", "a"),
    # --- Content Builder's layout tags ---
    C("slot-empty", "Hello\n{{.slot foo}}{{/slot}}\nWorld", "Hello\n\nWorld"),
    C(
        "slot-block-data",
        '{{.slot main}}{{.block b1 htmlemail}}{{.data}}{"email": {}}{{/data}}'
        "Hi %%=Add(1, 2)=%%{{/block}}{{/slot}}",
        "Hi 3",
    ),
    C("handlebars-text-stays", "{{FirstName}} {{ .other }}", "{{FirstName}} {{ .other }}"),
    E("data-not-closed", "a\n{{.data}}{}", 2, 1, "{{.data}} is not closed"),
    # --- Content blocks ---
    C("contentblockbyname", "%%=ContentBlockByName('Greeting')=%%", "Hello Logan"),
    C("contentblock-any-case", "%%=ContentBlockByName('GREETING')=%%", "Hello Logan"),
    C(
        "contentblockbykey",
        "%%[ SET @who = 'Ann' ]%%%%=ContentBlockByKey('footer-key')=%%",
        "Footer for Ann",
    ),
    C("contentblockbyid", "%%=ContentBlockByID(42)=%%", "Block 42"),
    C("contentareabyname", "%%=ContentAreaByName('Legacy')=%%", "Classic area"),
    C(
        "contentblock-shares-variables",
        "%%[ SET @count = 1 ContentBlockByName('Counter') ContentBlockByName('Counter') ]%%"
        "%%=v(@count)=%%",
        "3",
    ),
    C("contentblock-statement-drops-output", "[%%[ ContentBlockByName('Writer') ]%%]", "[]"),
    C(
        "contentblock-inline-keeps-output",
        "[%%=ContentBlockByName('Writer')=%%]",
        "[Dynamic ab end]",
    ),
    C("contentblock-nested", "%%=ContentBlockByName('Nested')=%%", "<Hello Logan>"),
    C(
        "contentblock-missing-default",
        "[%%=ContentBlockByName('Nope', '', false, 'Default')=%%]",
        "[Default]",
    ),
    C("contentblock-missing-empty", "[%%=ContentBlockByName('Nope', '', 0)=%%]", "[]"),
    C(
        "contentblock-status-variable",
        "%%[ VAR @ok, @no ContentBlockByName('Greeting', '', 0, '', @ok) "
        "ContentBlockByName('Nope', '', 0, '', @no) ]%%%%=v(@ok)=%%/%%=v(@no)=%%",
        "0/-1",
    ),
    E("contentblock-missing-fails", "%%=ContentBlockByName('Nope')=%%", 1, 4, "no content block"),
    E(
        "contentblock-status-not-variable",
        "%%=ContentBlockByName('a', '', 0, '', 5)=%%",
        1,
        39,
        "@variable",
    ),
    E("contentblock-loop-is-bounded", "%%=ContentBlockByName('Loop')=%%", 1, 4, "nested more than"),
    E(
        "contentblock-errors-located",
        "%%=ContentBlockByName('Broken')=%%",
        1,
        4,
        "unknown function Frobnicate",
    ),
    E(
        "contentarea-by-id-none",
        "%%=ContentArea(7)=%%",
        1,
        4,
        "no content block has the content area ID",
    ),
    # --- TreatAsContent ---
    C("treatascontent", "%%=TreatAsContent(Concat('%', '%=Add(1,2)=%', '%'))=%%", "3"),
    C(
        "treatascontent-sets-variables",
        "%%[ FOR @i = 1 TO 3 DO TreatAsContent(Concat('%%[ SET @v', @i, ' = ', @i, ' ]%%')) NEXT ]%%"
        "%%=v(@v1)=%%%%=v(@v3)=%%",
        "13",
    ),
    C("treatascontentarea", "%%=TreatAsContentArea('k', 'Hi %%First Name%%')=%%", "Hi Logan"),
    C("treatascontent-empty", "[%%=TreatAsContent('')=%%]", "[]"),
    E(
        "treatascontent-errors-located",
        "%%=TreatAsContent('%%=Nope()=%%')=%%",
        1,
        4,
        "TreatAsContent: line 1, column 4",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    check(case, environment(case.data, content=BLOCKS))


def test_without_content_blocks_they_are_refused_located() -> None:
    with pytest.raises(AmpscriptError) as raised:
        compile_content("x\n %%=ContentBlockByName('a')=%%").render({}, environment())
    assert (raised.value.line, raised.value.column) == (2, 5)
    assert "no content blocks can be read here" in raised.value.message


def test_sends_render_missing_attributes_empty() -> None:
    program = compile_content("[%%Nope%%][%%[ IF 1 == 1 THEN ]%%%%Nope%%%%[ ENDIF ]%%]", False)
    assert program.render({}, environment()) == "[][]"
