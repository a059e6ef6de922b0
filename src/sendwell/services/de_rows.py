"""Writing data extension rows over REST: ``/hub/v1/dataevents`` upserts, one row, increments.

Rows are validated by the data extension's field types with the one row validator
(``audience_data.check_row``) and written with its ``upsert_row``. A rowset is applied in
order, as Marketing Cloud does: the rows before the first bad row are stored, the bad row and
every row after it are not, and the caller gets 10006 with every problem found in
``additionalErrors`` (Segment's production notes, triggered-transactional.md 7.1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, select

from sendwell.domain.errors import REST_GENERIC, REST_INVALID_TYPE, Invalid, RowsRejected, shown
from sendwell.services.audience_data import row_key, upsert_row
from sendwell.services.catalog import find_ref
from sendwell.services.row_values import RowProblem, check_row
from sendwell.services.rules import de_fields
from sendwell.store.tables import de_rows

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
NO_VALUES = "At least one existing field is required in the values property"


@dataclass(frozen=True)
class DataExtensionRef:
    """How a route names a data extension: ``key:{CustomerKey}`` or its ObjectID."""

    key: str | None = None
    object_id: str | None = None

    def describe(self) -> str:
        return f"key {shown(self.key)}" if self.key is not None else f"ID {shown(self.object_id)}"


def find_data_extension(conn: Connection, mid: int, ref: DataExtensionRef) -> Any:
    """The account's data extension named by ``ref``, or None.

    An ObjectID that is not a GUID is refused with Marketing Cloud's 10001 ("Parameter {guid}
    is invalid.", triggered-transactional.md 7.1).
    """
    if ref.key is not None:
        return find_ref(conn, mid, "DataExtension", {"CustomerKey": ref.key})
    if not GUID.fullmatch(ref.object_id or ""):
        raise Invalid("Parameter {guid} is invalid.", REST_INVALID_TYPE)
    return find_ref(conn, mid, "DataExtension", {"ObjectID": ref.object_id})


def primary_keys(de: Any) -> list[str]:
    return [f["Name"] for f in de_fields(de.props) if f.get("IsPrimaryKey")]


def parse_primary_keys(text: str) -> dict[str, str]:
    """``Email:a@b.c`` or ``A:1,B:2`` (the ``rows/{primaryKeys}`` path segment) as a dict."""
    keys: dict[str, str] = {}
    for part in text.split(","):
        name, colon, value = part.partition(":")
        if not colon or not name.strip():
            raise Invalid(
                f"The primary key {shown(part)} is not written as Column:value.", REST_GENERIC
            )
        keys[name.strip()] = value
    return keys


def check_shape(items: Any) -> list[dict[str, Any]]:
    """A rowset body: a JSON array of ``{"keys": {...}, "values": {...}}``; else 10000.

    FuelSDKWrapper's README passes lists of names and values, which it sends as arrays in
    ``keys`` and ``values``; Marketing Cloud's answer to that is not captured (refused here).
    """
    if not isinstance(items, list) or not items:
        raise Invalid("The request body must be a JSON array of rows.", REST_GENERIC)
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise Invalid(f"Row {index + 1} is not a JSON object.", REST_GENERIC)
        for part in ("keys", "values"):
            if item.get(part) is not None and not isinstance(item[part], Mapping):
                raise Invalid(
                    f"The {part} of row {index + 1} must be a JSON object of column names and "
                    "values.",
                    REST_GENERIC,
                )
    return list(items)


def check_key_names(de: Any, items: Sequence[Mapping[str, Any]]) -> None:
    """Every name in ``keys`` must be a primary key column: else 10000 and nothing is stored
    (the captured "Primary key 'subscriberkey' does not exist."; refusing the whole rowset for
    it, before any row is written, is inferred)."""
    names = {k.lower() for k in primary_keys(de)}
    for item in items:
        for name in item.get("keys") or {}:
            if str(name).lower() not in names:
                raise Invalid(f"Primary key '{name}' does not exist.", REST_GENERIC)


def item_problems(de: Any, item: Mapping[str, Any]) -> tuple[dict[str, str], list[RowProblem]]:
    """One rowset item's values (keys and values together) and what is wrong with them."""
    keys, values = dict(item.get("keys") or {}), dict(item.get("values") or {})
    data, problems = check_row(de.props, [*keys.items(), *values.items()], partial=True)
    pk = primary_keys(de)
    if len(pk) < len(de_fields(de.props)) and not _field_names(de, values):
        problems.insert(0, RowProblem(None, NO_VALUES))
    missing = [name for name in pk if not data.get(name)]
    if missing:
        problems.append(
            RowProblem(None, f"The primary key columns {', '.join(missing)} need a value.")
        )
    return data, problems


def _field_names(de: Any, values: Mapping[str, Any]) -> set[str]:
    known = {f["Name"].lower() for f in de_fields(de.props)}
    return {name for name in values if str(name).lower() in known}


def apply_item(conn: Connection, de: Any, item: Mapping[str, Any]) -> list[RowProblem]:
    """Validate one rowset item and upsert it when it is good; its problems (empty when
    stored)."""
    data, problems = item_problems(de, item)
    if problems:
        return problems
    try:
        upsert_row(conn, de, data)
    except Invalid as exc:  # a new row without its required fields
        return [RowProblem(None, exc.message)]
    return []


def upsert_rowset(engine: Engine, mid: int, de: Any, items: Any) -> list[dict[str, Any]]:
    """Upsert a rowset in order; the rows before the first bad one are stored even when the
    call then fails with RowsRejected (10006). Returns the rows as sent."""
    rows = check_shape(items)
    check_key_names(de, rows)
    problems: list[RowProblem] = []
    with engine.begin() as conn:
        for item in rows:
            if problems:  # after the first bad row nothing is stored; its problems still count
                problems += item_problems(de, item)[1]
            else:
                problems += apply_item(conn, de, item)
    if problems:
        raise rejected(de, problems)
    return rows


def rejected(de: Any, problems: Sequence[RowProblem]) -> RowsRejected:
    """Marketing Cloud's 10006 "Unable to save rows for data extension ID …" with each distinct
    problem (``Column: message``) in ``additionalErrors``."""
    messages = [f"{p.column}: {p.message}" if p.column else p.message for p in problems]
    return RowsRejected(
        f"Unable to save rows for data extension ID {de.object_id}", list(dict.fromkeys(messages))
    )


def row_item(keys: Mapping[str, str], body: Any) -> dict[str, Any]:
    """The rowset item of a ``PUT …/rows/{primaryKeys}`` call: path keys, ``{"values"}`` body."""
    if not isinstance(body, Mapping) or not isinstance(body.get("values"), Mapping):
        raise Invalid('The request body must be {"values": {...}}.', REST_GENERIC)
    return {"keys": dict(keys), "values": dict(body["values"])}


def upsert_one(
    engine: Engine, mid: int, de: Any, keys: Mapping[str, str], body: Any
) -> dict[str, Any]:
    """``PUT …/rows/{primaryKeys}``: upsert one row; returns ``{"keys", "values"}``."""
    item = row_item(keys, body)
    upsert_rowset(engine, mid, de, [item])
    return item


def increment(
    engine: Engine, mid: int, de: Any, keys: Mapping[str, str], column: str, step: str
) -> None:
    """``PUT …/rows/{primaryKeys}/column/{column}/increment?step=N``: add ``step`` to a number
    column. A row that does not exist yet is created with the column at ``step`` (inferred:
    Marketing Cloud does not say)."""
    check_key_names(de, [{"keys": keys}])
    field = next((f for f in de_fields(de.props) if f["Name"].lower() == column.lower()), None)
    if field is None or field.get("FieldType") not in ("Number", "Decimal"):
        raise Invalid(f"The column {shown(column)} is not a number column.", REST_GENERIC)
    name = field["Name"]
    try:
        amount = Decimal(step)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise Invalid(f"The step {shown(step)} is not a number.", REST_GENERIC)
    with engine.begin() as conn:
        data, problems = item_problems(de, {"keys": keys, "values": {name: "0"}})
        if not problems:
            total = _current(conn, de, data, name) + amount
            problems = apply_item(conn, de, {"keys": keys, "values": {name: f"{total:f}"}})
    if problems:
        raise rejected(de, problems)


def _current(conn: Connection, de: Any, data: Mapping[str, str], column: str) -> Decimal:
    row = conn.execute(
        select(de_rows.c.data).where(
            de_rows.c.de_id == de.id, de_rows.c.row_key == row_key(de.props, data)
        )
    ).first()
    return Decimal((row.data.get(column) if row else "") or "0")
