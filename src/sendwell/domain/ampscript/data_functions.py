"""Lookup functions and rowsets: ``Lookup``, ``LookupRows``, ``LookupOrderedRows`` (and their
case-sensitive ``CS`` forms), ``Row``, ``Field``, ``RowCount``.

Data extensions are named by their name, as in Marketing Cloud emails; column names are
case-insensitive, and so are the values matched (``CS`` forms match values exactly). The
environment's ``DataSource`` reads the rows; at most 2,000 rows come back from one call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from sendwell.domain.ampscript.errors import FunctionError
from sendwell.domain.ampscript.registry import function
from sendwell.domain.ampscript.runtime import Context
from sendwell.domain.ampscript.values import (
    DB_NULL,
    Row,
    Rowset,
    Value,
    boolean,
    integer,
    number_or_none,
    text,
)

MAX_ROWS = 2000


def _pairs(first: int, minimum: int) -> object:
    """An arity rule: ``first`` fixed arguments, then column/value pairs."""

    def rule(count: int) -> str | None:
        if count < minimum or (count - first) % 2:
            return "arguments after the data extension must come in column/value pairs"
        return None

    return rule


def _rows(ctx: Context, args: Sequence[Value], case_sensitive: bool) -> list[Row]:
    """The matching rows, from the environment's cache or its data source (a new list)."""
    name = text(args[0])
    filters = tuple([(text(args[i]), text(args[i + 1])) for i in range(1, len(args), 2)])
    cache = ctx.env.lookups
    key = (name, filters, case_sensitive)
    rows = cache.get(key)
    if rows is None:
        source = ctx.env.data
        if source is None:
            raise FunctionError("no data extensions can be read here")
        found = source.rows(name, filters, case_sensitive)
        if found is None:
            raise FunctionError(f"no data extension is named {name!r}")
        rows = [Row({k: _cell(v) for k, v in row.items()}) for row in found]
        cache.put(key, rows)
    return list(rows)


def _cell(value: object) -> Value:
    if value is None:
        return DB_NULL
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


@function("Lookup", 4, None, arity_rule=_pairs(2, 4))
def _lookup(ctx: Context, args: Sequence[Value]) -> Value:
    rows = _rows(ctx, [args[0], *args[2:]], case_sensitive=False)
    if not rows:
        return DB_NULL
    column = text(args[1]).lower()
    if column not in rows[0].fields:
        raise FunctionError(f"the data extension has no column {text(args[1])!r}")
    return rows[0].fields[column]


@function("LookupRows", 3, None, arity_rule=_pairs(1, 3))
def _lookup_rows(ctx: Context, args: Sequence[Value]) -> Value:
    return Rowset(_rows(ctx, args, case_sensitive=False)[:MAX_ROWS])


@function("LookupRowsCS", 3, None, arity_rule=_pairs(1, 3))
def _lookup_rows_cs(ctx: Context, args: Sequence[Value]) -> Value:
    return Rowset(_rows(ctx, args, case_sensitive=True)[:MAX_ROWS])


def _ordered(ctx: Context, args: Sequence[Value], case_sensitive: bool) -> Value:
    count = integer(args[1], "the number of rows")
    order = _order(text(args[2]))
    rows = _rows(ctx, [args[0], *args[3:]], case_sensitive)
    for column, descending in reversed(order):  # stable sorts, last key first
        rows.sort(key=lambda row, c=column: _sort_key(row.fields.get(c)), reverse=descending)
    return Rowset(rows[: count if 0 < count < MAX_ROWS else MAX_ROWS])


@function("LookupOrderedRows", 5, None, arity_rule=_pairs(3, 5))
def _lookup_ordered_rows(ctx: Context, args: Sequence[Value]) -> Value:
    return _ordered(ctx, args, case_sensitive=False)


@function("LookupOrderedRowsCS", 5, None, arity_rule=_pairs(3, 5))
def _lookup_ordered_rows_cs(ctx: Context, args: Sequence[Value]) -> Value:
    return _ordered(ctx, args, case_sensitive=True)


def _order(spec: str) -> list[tuple[str, bool]]:
    """``"Score DESC, Name"`` as [(column, descending)]."""
    order = []
    for item in spec.split(","):
        words = item.split()
        if not words:
            continue
        direction = words[-1].upper() if len(words) > 1 else "ASC"
        if direction not in ("ASC", "DESC"):
            direction, column = "ASC", " ".join(words)
        else:
            column = " ".join(words[:-1])
        order.append((column.strip("[]").lower(), direction == "DESC"))
    if not order:
        raise FunctionError("the sort order names no column")
    return order


def _sort_key(value: Value) -> tuple[int, Decimal | str]:
    # Nulls first (as SQL sorts them ascending), then numbers by value, then text.
    if value is None or value == "":
        return (0, "")
    amount = number_or_none(value)
    if amount is not None:
        return (1, amount)
    return (2, text(value).casefold())


@function("Row", 2)
def _row(ctx: Context, args: Sequence[Value]) -> Value:
    rowset = args[0]
    if not isinstance(rowset, Rowset):
        raise FunctionError("the first argument must be a rowset")
    index = integer(args[1], "the row number")
    if not 1 <= index <= len(rowset.rows):
        raise FunctionError(f"row {index} does not exist: the rowset has {len(rowset.rows)}")
    return rowset.rows[index - 1]


@function("Field", 2, 3)
def _field(ctx: Context, args: Sequence[Value]) -> Value:
    row = args[0]
    if not isinstance(row, Row):
        raise FunctionError("the first argument must be a row")
    key = args[1]
    name = text(key).lower()
    if name in row.fields:
        return row.fields[name]
    position = number_or_none(key)
    if position is not None and position == position.to_integral_value():
        # Field(row, 1): the first field, as rowsets built from strings are read
        try:
            return row.at(int(position))  # type: ignore[return-value]
        except IndexError:
            pass
    if len(args) > 2 and not boolean(args[2]):
        return ""
    raise FunctionError(f"the row has no field {text(key)!r}")


@function("RowCount", 1)
def _row_count(ctx: Context, args: Sequence[Value]) -> Value:
    rowset = args[0]
    if not isinstance(rowset, Rowset):
        raise FunctionError("the argument must be a rowset")
    return Decimal(len(rowset.rows))


def rows_matching(
    rows: Sequence[Mapping[str, object]],
    filters: Sequence[tuple[str, str]],
    case_sensitive: bool,
) -> list[Mapping[str, object]]:
    """The rows whose columns equal the values (AND): a reference ``DataSource`` filter."""
    wanted = [(column.lower(), value) for column, value in filters]
    matched = []
    for row in rows:
        cells = {str(k).lower(): v for k, v in row.items()}
        if all(
            column in cells and same_cell(cells[column], value, case_sensitive)
            for column, value in wanted
        ):
            matched.append(row)
    return matched


def same_cell(cell: object, value: str, case_sensitive: bool) -> bool:
    """Whether a stored cell matches a looked-up value: as numbers if both are, else as text."""
    shown = text(_cell(cell)) if cell is not None else ""
    if shown == value or (not case_sensitive and shown.casefold() == value.casefold()):
        return True
    left, right = number_or_none(shown), number_or_none(value)
    return left is not None and right is not None and left == right
