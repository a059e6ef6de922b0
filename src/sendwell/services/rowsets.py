"""Reading data extension rows over REST: ``GET /data/v1/customobjectdata/key/{key}/rowset``.

A first read keeps its query (filter, fields, order, top, page size) under a request token
(``store.cursors``, an hour); ``…/token/{requestToken}/rowset?$page=N`` pages on with it.
Rows come back as Marketing Cloud shows them (``domain.rowsets.shown_value``): column names
lower-cased, primary key columns in ``keys`` and the others in ``values``, every value a string.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from sendwell.domain.clock import utcnow
from sendwell.domain.errors import REST_GENERIC, Invalid, shown
from sendwell.domain.filters import Complex, Filter, Simple
from sendwell.domain.rowsets import parse_order_by, parse_rowset_filter, shown_value
from sendwell.domain.secrets import new_guid
from sendwell.services.catalog import find_ref
from sendwell.services.row_values import field_value
from sendwell.services.rules import de_fields
from sendwell.store.cursors import KEPT_FOR, load_cursor, save_cursor
from sendwell.store.rowsets import read_page

DEFAULT_PAGE_SIZE = 2500  # Marketing Cloud's default (triggered-transactional.md 7.3)
# The largest page served: larger $pageSize values are cut to it (inferred: Marketing Cloud's
# rowset pages are documented up to 2,500 rows).
MAX_PAGE_SIZE = 2500


@dataclass(frozen=True)
class RowsetQuery:
    """What a rowset read asks for, as kept under its request token."""

    filter: str = ""
    fields: str = ""
    order_by: str = ""
    top: int = 0
    page_size: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class RowsetPage:
    de: Any
    token: str
    expires_at: datetime
    page: int
    page_size: int
    count: int
    top: int
    items: list[dict[str, Any]]

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.count


def first_page(engine: Engine, mid: int, de: Any, query: RowsetQuery, page: int) -> RowsetPage:
    """Page ``page`` of the rows ``query`` selects, under a new request token."""
    found = _read(engine, de, query, page, new_guid())  # a bad query keeps no token
    with engine.begin() as conn:
        save_cursor(conn, found.token, mid, {"mid": mid, "de_id": de.id, **query.__dict__})
    return found


def next_page(engine: Engine, mid: int, token: str, page: int) -> RowsetPage:
    """Page ``page`` of the read kept under ``token``; 10000 when the token is unknown or
    expired, or its data extension was deleted since."""
    with engine.connect() as conn:
        state = load_cursor(conn, token)
        de = None
        if state and state.get("mid") == mid:
            de = find_ref(conn, mid, "DataExtension", {"ID": state["de_id"]})
    if de is None:
        raise Invalid(f"The requestToken {shown(token)} is not valid or has expired.", REST_GENERIC)
    query = RowsetQuery(**{k: v for k, v in state.items() if k not in ("mid", "de_id")})
    return _read(engine, de, query, page, token)


def _read(engine: Engine, de: Any, query: RowsetQuery, page: int, token: str) -> RowsetPage:
    fields = {f["Name"]: f for f in de_fields(de.props)}
    by_lower = {name.lower(): name for name in fields}

    def canonical(name: str, part: str) -> str:
        if name.lower() not in by_lower:
            raise Invalid(f"The {part} names an unknown column {shown(name)}.", REST_GENERIC)
        return by_lower[name.lower()]

    tree = _typed(parse_rowset_filter(query.filter), fields, canonical)
    order = [(canonical(n, "$orderBy"), desc) for n, desc in parse_order_by(query.order_by)]
    wanted = [canonical(n.strip(), "$fields") for n in query.fields.split(",") if n.strip()]
    types = {name: f.get("FieldType", "Text") for name, f in fields.items()}
    with engine.connect() as conn:
        count, rows = read_page(
            conn,
            de.id,
            types,
            tree,
            order,
            (page - 1) * query.page_size,
            query.page_size,
            query.top,
        )
    return RowsetPage(
        de,
        token,
        utcnow() + KEPT_FOR,
        page,
        query.page_size,
        count,
        query.top,
        [_shown_row(fields, data, wanted) for data in rows],
    )


def _typed(tree: Filter | None, fields: dict[str, Any], canonical: Any) -> Filter | None:
    """The filter with canonical column names, and values of date columns read as dates are
    stored (``5/22/2010`` and ``2010-05-22`` name the same day)."""
    if tree is None:
        return None
    if isinstance(tree, Complex):
        return Complex(tree.operator, tuple(_typed(o, fields, canonical) for o in tree.operands))  # type: ignore[misc]
    name = canonical(tree.property, "$filter")
    field = fields[name]
    values = tree.values
    if field.get("FieldType") == "Date" and tree.operator != "like":
        try:
            values = tuple(field_value(field, v) for v in values)
        except Invalid as exc:
            raise Invalid(f"The $filter value is not valid: {exc.message}", REST_GENERIC) from None
    return Simple(name, tree.operator, values)


def _shown_row(
    fields: dict[str, Any], data: dict[str, str], wanted: list[str]
) -> dict[str, dict[str, str]]:
    """One row as Marketing Cloud's rowset read shows it. ``$fields`` narrows ``values``; the
    primary key stays in ``keys`` whatever it names (inferred: the key identifies the row)."""
    keys: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, field in fields.items():
        text = shown_value(field.get("FieldType", "Text"), data.get(name))
        if field.get("IsPrimaryKey"):
            keys[name.lower()] = text
        elif not wanted or name in wanted:
            values[name.lower()] = text
    return {"keys": keys, "values": values}
