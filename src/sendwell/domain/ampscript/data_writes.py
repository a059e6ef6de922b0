"""Writing to data extensions from content: ``InsertDE``, ``UpdateDE``, ``UpsertDE``,
``DeleteDE``, their ``*Data`` forms (which return the number of rows changed), ``ClaimRow`` and
``ClaimRowValue``.

The environment's ``DataWriter`` applies them. Each write carries a key made of the recipient
(a send's ledger seq), the content's hash, the call's line and column and how many times that
call ran for this recipient: a recipient rendered again (its chunk retried) writes nothing
twice, as Marketing Cloud writes each once per subscriber. Lookups after a write read the data
anew. Signatures are Marketing Cloud's:

* ``InsertDE(de, column, value, …)``, ``DeleteDE(de, column, value, …)``;
* ``UpdateDE(de, n, n filter column/value pairs, column, value, …)``, ``UpsertDE`` alike;
* ``ClaimRow(de, claimed column, key column, key value, …)``: the row;
* ``ClaimRowValue(de, column, claimed column, default, key column, key value, …)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sendwell.domain.ampscript.data_functions import _cell  # one reading of stored cells
from sendwell.domain.ampscript.errors import FunctionError
from sendwell.domain.ampscript.registry import function
from sendwell.domain.ampscript.runtime import Context, DataWrite, DataWriteFailure
from sendwell.domain.ampscript.values import Row, Value, integer, text


def _pairs(args: Sequence[Value], what: str) -> tuple[tuple[str, str], ...]:
    if len(args) % 2:
        raise FunctionError(f"{what} must come in column/value pairs")
    pairs = tuple((text(args[i]), text(args[i + 1])) for i in range(0, len(args), 2))
    if any(not column.strip() for column, _ in pairs):
        raise FunctionError("a column name is empty")
    return pairs


def _key(ctx: Context, site: tuple[int, int]) -> str | None:
    """The write's once-only key, or None when the render has no recipient identity."""
    if ctx.recipient is None:
        return None
    place = (ctx.program, *site)
    counts = ctx.writes if ctx.writes is not None else {}
    ctx.writes = counts
    ran = counts[place] = counts.get(place, 0) + 1
    return f"{ctx.recipient}:{ctx.program}:{site[0]}:{site[1]}:{ran}"


def _write(ctx: Context, kind: str, site: tuple[int, int], args: Sequence[Value]) -> int:
    writer = ctx.env.writes
    if writer is None:
        raise FunctionError("data extensions cannot be changed here")
    name = text(args[0])
    if not name.strip():
        raise FunctionError("the data extension name is empty")
    if kind in ("insert", "delete"):
        filters, values = (), _pairs(args[1:], "arguments after the data extension")
        if kind == "delete":
            filters, values = values, ()
    else:
        count = integer(args[1], "the number of filter columns")
        if count < 1 or 2 + 2 * count > len(args):
            raise FunctionError(f"{count} filter column/value pairs do not fit the arguments")
        filters = _pairs(args[2 : 2 + 2 * count], "filter columns")
        values = _pairs(args[2 + 2 * count :], "columns to set")
        if not values:
            raise FunctionError("no column to set")
    request = DataWrite(kind, name, filters, values, _key(ctx, site))
    try:
        changed = writer.write(request)
    except DataWriteFailure as exc:
        raise FunctionError(exc.message) from None
    ctx.env.lookups.forget(name)
    return changed


def _register(name: str, kind: str, counts: bool, minimum: int) -> None:
    def run(ctx: Context, args: Sequence[Value]) -> Value:
        changed = _write(ctx, kind, args[0], args[1:])  # type: ignore[arg-type]
        return Decimal(changed) if counts else ""

    function(name, minimum, None, sited=True)(run)


for _name, _kind, _minimum in (
    ("Insert", "insert", 3),
    ("Update", "update", 6),
    ("Upsert", "upsert", 6),
    ("Delete", "delete", 3),
):
    _register(f"{_name}DE", _kind, False, _minimum)
    _register(f"{_name}Data", _kind, True, _minimum)


def _claim(
    ctx: Context, site: tuple[int, int], name: str, column: str, keys: Sequence[Value]
) -> Row | None:
    writer = ctx.env.writes
    if writer is None:
        raise FunctionError("data extensions cannot be changed here")
    pairs = _pairs(keys, "key columns")
    try:
        found = writer.claim(name, column, pairs, _key(ctx, site))
    except DataWriteFailure as exc:
        raise FunctionError(exc.message) from None
    ctx.env.lookups.forget(name)
    return None if found is None else Row({k: _cell(v) for k, v in found.items()})


@function("ClaimRow", 4, None, sited=True)
def _claim_row(ctx: Context, args: Sequence[Value]) -> Value:
    site, name, column = args[0], text(args[1]), text(args[2])
    row = _claim(ctx, site, name, column, args[3:])  # type: ignore[arg-type]
    if row is None:
        raise FunctionError(f"{name!r} has no unclaimed row left")
    return row


@function("ClaimRowValue", 6, None, sited=True)
def _claim_row_value(ctx: Context, args: Sequence[Value]) -> Value:
    site, name, wanted, column, default = (
        args[0],
        text(args[1]),
        text(args[2]),
        text(args[3]),
        args[4],
    )
    row = _claim(ctx, site, name, column, args[5:])  # type: ignore[arg-type]
    if row is None:
        return default
    if wanted.lower() not in row.fields:
        raise FunctionError(f"the data extension has no column {wanted!r}")
    return row.fields[wanted.lower()]
