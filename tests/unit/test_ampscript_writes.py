"""Data extension writes from content (InsertDE … ClaimRowValue): their signatures, what they
write, what they return, and that a recipient rendered again writes nothing twice."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.ampscript_support import Case, MemoryWrites, Tables, check, environment

from sendwell.domain.ampscript import Context, RenderEnvironment, compile_content


def tables() -> Tables:
    return Tables(
        {
            "Log": [{"Key": "k0", "Note": "old"}],
            "Coupons": [
                {"Code": "C1", "IsClaimed": "false", "Email": None},
                {"Code": "C2", "IsClaimed": "false", "Email": None},
            ],
        }
    )


def env_with_writes(**options: Any) -> tuple[RenderEnvironment, MemoryWrites]:
    data = tables()
    writes = MemoryWrites(data)
    env = RenderEnvironment(data=data, writes=writes, **options)
    return env, writes


CASES = [
    Case(
        "insertde",
        "%%[ InsertDE('Log', 'Key', 'k1', 'Note', 'hi') ]%%%%=Lookup('Log', 'Note', 'Key', 'k1')=%%",
        "hi",
    ),
    Case("insertdata-counts", "%%=InsertData('Log', 'Key', 'k2')=%%", "1"),
    Case("insertde-shows-nothing", "[%%=InsertDE('Log', 'Key', 'k3')=%%]", "[]"),
    Case(
        "updatede",
        "%%[ UpdateDE('Log', 1, 'Key', 'k0', 'Note', 'new') ]%%%%=Lookup('Log', 'Note', 'Key', 'k0')=%%",
        "new",
    ),
    Case("updatedata-counts", "%%=UpdateData('Log', 1, 'Key', 'nope', 'Note', 'x')=%%", "0"),
    Case(
        "upsertde-inserts",
        "%%[ UpsertDE('Log', 1, 'Key', 'k9', 'Note', 'n9') ]%%%%=Lookup('Log', 'Note', 'Key', 'k9')=%%",
        "n9",
    ),
    Case("upsertdata-updates", "%%=UpsertData('Log', 1, 'Key', 'k0', 'Note', 'u')=%%", "1"),
    Case(
        "deletedata",
        "%%=DeleteData('Log', 'Key', 'k0')=%%/%%=RowCount(LookupRows('Log', 'Key', 'k0'))=%%",
        "1/0",
    ),
    Case("deletede", "%%[ DeleteDE('Log', 'Key', 'k0') ]%%%%=DataExtensionRowCount('Log')=%%", "0"),
    Case(
        "claimrow",
        "%%[ SET @r = ClaimRow('Coupons', 'IsClaimed', 'Email', 'a@x.test') ]%%%%=Field(@r, 'Code')=%%",
        "C1",
    ),
    Case(
        "claimrow-same-key-same-row",
        "%%=Field(ClaimRow('Coupons', 'IsClaimed', 'Email', 'a@x.test'), 'Code')=%%"
        "%%=Field(ClaimRow('Coupons', 'IsClaimed', 'Email', 'a@x.test'), 'Code')=%%"
        "%%=Field(ClaimRow('Coupons', 'IsClaimed', 'Email', 'b@x.test'), 'Code')=%%",
        "C1C1C2",
    ),
    Case(
        "claimrowvalue-default",
        "%%=ClaimRowValue('Coupons', 'Code', 'IsClaimed', 'NONE', 'Email', 'a')=%%"
        "%%=ClaimRowValue('Coupons', 'Code', 'IsClaimed', 'NONE', 'Email', 'b')=%%"
        "%%=ClaimRowValue('Coupons', 'Code', 'IsClaimed', 'NONE', 'Email', 'c')=%%",
        "C1C2NONE",
    ),
    Case(
        "claimrow-none-left",
        "%%[ ClaimRow('Coupons', 'IsClaimed', 'Email', 'a') ClaimRow('Coupons', 'IsClaimed', 'Email', 'b')\n"
        "SET @r = ClaimRow('Coupons', 'IsClaimed', 'Email', 'c') ]%%",
        error=(2, 10, "no unclaimed row"),
    ),
    Case(
        "insertde-pairs",
        "%%[ InsertDE('Log', 'Key', 'k', 'Note') ]%%",
        error=(1, 5, "column/value pairs"),
    ),
    Case(
        "updatede-count-too-big",
        "%%[ UpdateDE('Log', 3, 'Key', 'k0', 'Note', 'x') ]%%",
        error=(1, 5, "do not fit"),
    ),
    Case(
        "insertde-unknown-de",
        "%%[ InsertDE('Nope', 'a', 'b') ]%%",
        error=(1, 5, "no data extension"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    env, _ = env_with_writes()
    check(case, env)


def test_without_a_writer_writes_are_refused_located() -> None:
    with pytest.raises(Exception) as raised:
        compile_content("a\n%%[ InsertDE('Log', 'Key', 'k') ]%%").render({}, environment())
    assert "cannot be changed here" in str(raised.value)
    assert "line 2, column 5" in str(raised.value)


def render_recipient(program: Any, env: RenderEnvironment, seq: int) -> str:
    context = Context({}, env)
    context.recipient = seq
    program.run(context)
    return program.template.fill(context.slots)


def test_a_recipient_rendered_again_writes_nothing_twice() -> None:
    env, writes = env_with_writes()
    program = compile_content(
        "%%[ FOR @i = 1 TO 2 DO InsertDE('Log', 'Key', Concat('r', @i)) NEXT ]%%"
        "%%=InsertData('Log', 'Key', 'once')=%%"
    )
    assert render_recipient(program, env, 7) == "1"
    assert len(writes.applied) == 3  # the loop's two and the one after: each call site and run
    assert render_recipient(program, env, 7) == "1"  # the chunk retried: same answers
    assert len(writes.applied) == 3
    render_recipient(program, env, 8)  # another recipient writes its own
    assert len(writes.applied) == 6


def test_without_a_recipient_every_render_writes() -> None:
    env, writes = env_with_writes()
    program = compile_content("%%[ InsertDE('Log', 'Key', 'x') ]%%")
    program.render({}, env)
    program.render({}, env)
    assert len(writes.applied) == 2
