"""Reading a data extension's rows a page at a time: filtered, ordered and counted in SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Numeric, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from sendwell.domain.errors import REST_GENERIC, Invalid, shown
from sendwell.domain.filters import Filter
from sendwell.store.filter_sql import to_sql
from sendwell.store.tables import de_rows

NUMERIC = ("Number", "Decimal")


def _column(name: str, kind: str) -> ColumnElement[Any]:
    return de_rows.c.data[name].as_string()


def read_page(
    conn: Connection,
    de_id: int,
    field_types: Mapping[str, str],
    tree: Filter | None,
    order: Sequence[tuple[str, bool]],
    offset: int,
    limit: int,
    top: int = 0,
) -> tuple[int, list[dict[str, str]]]:
    """The number of rows matching ``tree`` (at most ``top`` when given) and one page of them.

    ``field_types`` maps each field's canonical name to its type; ``order`` holds (canonical
    name, descending) pairs, then rows come in the order they were stored. Empty values sort
    first, as in Marketing Cloud's SQL Server.
    """
    by_lower = {name.lower(): (name, kind) for name, kind in field_types.items()}

    def column_for(prop: str) -> tuple[ColumnElement[Any], str]:
        if prop.lower() not in by_lower:
            raise Invalid(f"The $filter names an unknown column {shown(prop)}.", REST_GENERIC)
        name, kind = by_lower[prop.lower()]
        return _column(name, kind), kind

    matching = select(de_rows.c.id, de_rows.c.data).where(
        de_rows.c.de_id == de_id, to_sql(tree, column_for)
    )
    count = int(conn.execute(select(func.count()).select_from(matching.subquery())).scalar_one())
    if top > 0:
        count = min(count, top)
        limit = max(0, min(limit, top - offset))
    ordering: list[Any] = []
    for name, descending in order:
        expr: ColumnElement[Any] = _column(name, field_types[name])
        if field_types[name] in NUMERIC:
            expr = cast(func.nullif(expr, ""), Numeric(38, 10))
        ordering.append(expr.desc().nulls_last() if descending else expr.asc().nulls_first())
    ordering.append(de_rows.c.id)
    if limit <= 0:
        return count, []
    rows = conn.execute(matching.order_by(*ordering).offset(offset).limit(limit)).all()
    return count, [dict(r.data) for r in rows]
