"""Asynchronous row writes: ``/data/v1/async/dataextensions/…/rows``, ``/hub/v1/dataeventsasync``.

A request is stored as sent (``store.row_requests``) and answered at once with its requestId;
a worker of the send pipeline (``process_next``) takes it, writes its rows and records one
result per row, in order, in the same transaction: a worker that dies half-way leaves nothing
written, and the request is taken up again when its lease lapses. Its status moves Pending →
Executing → Complete (``resultStatus`` OK, or Has Errors when a row was refused).

Inserts and upserts take each row on its own (a bad row is an Error result, the others are
written); a ``dataeventsasync`` rowset keeps the synchronous route's order rule (the rows
after the first bad one are not written).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, select

from sendwell.domain.errors import REST_GENERIC, Invalid, SendwellError
from sendwell.domain.secrets import new_guid
from sendwell.services.audience_data import insert_rows, row_key, upsert_row
from sendwell.services.catalog import find_ref
from sendwell.services.de_rows import apply_item, check_key_names, check_shape, primary_keys
from sendwell.services.row_values import check_row
from sendwell.store import row_requests
from sendwell.store.tables import de_rows

INSERT, UPSERT, DATAEVENTS = "insert", "upsert", "dataevents"
OK = {"status": "OK"}
NOT_PROCESSED = "The row was not processed: a row before it was refused."


def check_items(body: Any) -> list[dict[str, Any]]:
    """The rows of a ``{"items": [{column: value, …}, …]}`` body; else 10000."""
    items = body.get("items") if isinstance(body, Mapping) else None
    if not isinstance(items, list) or not items:
        raise Invalid(
            'The request body must be {"items": [rows]} with at least one row.', REST_GENERIC
        )
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise Invalid(f"Item {index + 1} is not a JSON object.", REST_GENERIC)
    return list(items)


def submit(engine: Engine, mid: int, de: Any, kind: str, items: list[Any]) -> str:
    """Store a request for the workers; its requestId."""
    if kind == DATAEVENTS:
        check_shape(items)
    request_id = new_guid()
    with engine.begin() as conn:
        row_requests.add_request(conn, request_id, mid, de.id, kind, items)
    return request_id


def find_request(engine: Engine, mid: int, request_id: str) -> Any:
    """The account's request with this requestId, or None."""
    with engine.connect() as conn:
        return row_requests.find_request(conn, mid, request_id)


def process_next(engine: Engine, lease_seconds: int) -> bool:
    """One unit of the workers' work: do the oldest waiting request; False when none waits."""
    claimed = row_requests.claim_next(engine, lease_seconds)
    if claimed is None:
        return False
    with engine.connect() as conn, conn.begin() as transaction:
        de = find_ref(conn, claimed.mid, "DataExtension", {"ID": claimed.de_id})
        results = _results(conn, de, claimed.kind, claimed.items)
        has_errors = any(r["status"] != "OK" for r in results)
        if not row_requests.finish(conn, claimed, results, has_errors):
            transaction.rollback()  # another worker took it over after our lease lapsed
    return True


def _results(conn: Connection, de: Any, kind: str, items: list[Any]) -> list[dict[str, Any]]:
    if de is None:
        return [_error("CustomObjectNotFound", "The data extension no longer exists.")] * len(items)
    if kind == DATAEVENTS:
        return _rowset(conn, de, items)
    return [_flat_row(conn, de, item, upsert=kind == UPSERT) for item in items]


def _error(code: str, message: str) -> dict[str, Any]:
    return {"errorCode": code, "message": message, "status": "Error"}


def _flat_row(conn: Connection, de: Any, item: Mapping[str, Any], upsert: bool) -> dict[str, Any]:
    """Insert (or upsert) one ``{column: value}`` row on its own; its result.

    The error codes other than Marketing Cloud's documented UnexpectedError for a duplicate
    primary key are inferred (ValidationError for a value its field refuses).
    """
    data, problems = check_row(de.props, list(item.items()), partial=upsert)
    if problems:
        messages = [f"{p.column}: {p.message}" if p.column else p.message for p in problems]
        return _error("ValidationError", " ".join(messages))
    key = row_key(de.props, data)
    if primary_keys(de) and key is None:
        return _error("ValidationError", "The row needs a value in each primary key column.")
    if upsert:
        try:
            upsert_row(conn, de, data)
        except SendwellError as exc:
            return _error("ValidationError", exc.message)
        return dict(OK)
    if (
        key is not None
        and conn.execute(
            select(de_rows.c.id).where(de_rows.c.de_id == de.id, de_rows.c.row_key == key)
        ).first()
    ):
        return _error(
            "UnexpectedError",
            f"Violation of PRIMARY KEY constraint. Cannot insert duplicate key in object "
            f"'{de.customer_key}'. The duplicate key value is ({key.replace(chr(31), ', ')}).",
        )
    insert_rows(conn, de, [data])
    return dict(OK)


def _rowset(conn: Connection, de: Any, items: list[Any]) -> list[dict[str, Any]]:
    try:
        check_key_names(de, items)
    except Invalid as exc:
        return [_error("ValidationError", exc.message)] * len(items)
    results: list[dict[str, Any]] = []
    refused = False
    for item in items:
        if refused:
            results.append(_error("NotProcessed", NOT_PROCESSED))
            continue
        problems = apply_item(conn, de, item)
        refused = bool(problems)
        results.append(
            _error("ValidationError", " ".join(p.message for p in problems))
            if problems
            else dict(OK)
        )
    return results
