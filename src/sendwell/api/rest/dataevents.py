"""Marketing Cloud's synchronous data extension row routes, ``/hub/v1/dataevents``, and their
asynchronous twins ``/hub/v1/dataeventsasync`` (202, body ``""``, written by a worker).

A data extension is named in the path as ``key:{CustomerKey}`` or by its ObjectID (one path
parameter, ``{ref}``, read as Marketing Cloud's two spellings). Rows are validated by the data
extension's field types; errors are Marketing Cloud's JSON bodies (triggered-transactional.md
7.1), raised as domain errors and mapped by ``api.rest.errors``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from sendwell.api.rest.auth import object_scoped
from sendwell.api.rest.errors import RestError
from sendwell.api.rest.json_body import json_value
from sendwell.domain.errors import REST_GENERIC, REST_NOT_AUTHORIZED
from sendwell.domain.permissions import Access
from sendwell.services import async_rows, de_rows
from sendwell.services.accounts import Principal
from sendwell.services.de_rows import DataExtensionRef

router = APIRouter(tags=["data extension rows"])
# A token without data_extensions_write is answered "Not Authorized" on these routes (a live
# probe, triggered-transactional.md 7.1); its HTTP status is not recorded: 403 here.
WRITE = object_scoped("DataExtensionObject", Access.WRITE, ("Not Authorized", REST_NOT_AUTHORIZED))
REF = Path(description="`key:{CustomerKey}` or the data extension's ObjectID (a GUID)")
PRIMARY_KEYS = Path(
    description="The row's primary key as `Column:value`; several as `A:1,B:2`",
    alias="primaryKeys",
)


def data_extension_ref(ref: str) -> DataExtensionRef:
    """``key:{CustomerKey}`` or an ObjectID, as the path names a data extension."""
    if ref[:4].lower() == "key:":
        return DataExtensionRef(key=ref[4:])
    return DataExtensionRef(object_id=ref)


def data_extension(request: Request, mid: int, ref: str) -> Any:
    """The data extension the path names, or Marketing Cloud's 404 (its body inferred: no
    capture of an unknown key on these routes)."""
    named = data_extension_ref(ref)
    with request.app.state.engine.connect() as conn:
        de = de_rows.find_data_extension(conn, mid, named)
    if de is None:
        raise RestError(404, f"Unable to find data extension with {named.describe()}", REST_GENERIC)
    return de


@router.post("/hub/v1/dataevents/{ref}/rowset", summary="Upsert data extension rows")
async def upsert_rowset(
    request: Request, ref: str = REF, principal: Principal = Depends(WRITE)
) -> JSONResponse:
    """Upserts a JSON array of `{"keys": {...}, "values": {...}}` rows in order and answers 200
    with the array as sent, as Marketing Cloud's `POST /hub/v1/dataevents/key:{key}/rowset` (and
    `/hub/v1/dataevents/{id}/rowset`). The rows before the first bad row are stored; the call
    then fails with 10006 listing each problem in `additionalErrors`. Auth: Bearer token with
    data_extensions_write."""
    body = await json_value(request)
    de = data_extension(request, principal.mid, ref)
    rows = de_rows.upsert_rowset(request.app.state.engine, principal.mid, de, body)
    return JSONResponse(rows)


@router.put("/hub/v1/dataevents/{ref}/rows/{primaryKeys}", summary="Upsert one data extension row")
async def upsert_row(
    request: Request,
    ref: str = REF,
    primary_keys: str = PRIMARY_KEYS,
    principal: Principal = Depends(WRITE),
) -> dict[str, Any]:
    """Upserts the row named by its primary key in the path with the body's `{"values": {...}}`
    and answers `{"keys", "values"}`, as Marketing Cloud's
    `PUT /hub/v1/dataevents/key:{key}/rows/{primaryKeys}`. Auth: Bearer token with
    data_extensions_write."""
    body = await json_value(request)
    de = data_extension(request, principal.mid, ref)
    keys = de_rows.parse_primary_keys(primary_keys)
    return de_rows.upsert_one(request.app.state.engine, principal.mid, de, keys, body)


@router.put(
    "/hub/v1/dataevents/{ref}/rows/{primaryKeys}/column/{column}/increment",
    summary="Increment a number column of a data extension row",
)
def increment(
    request: Request,
    column: str,
    ref: str = REF,
    primary_keys: str = PRIMARY_KEYS,
    step: str = Query("1", description="The amount to add (default 1)"),
    principal: Principal = Depends(WRITE),
) -> Response:
    """Adds `step` to a Number or Decimal column of the row named by its primary key (a new
    row starts from 0) and answers 200 with no body, as Marketing Cloud's
    `PUT /hub/v1/dataevents/key:{key}/rows/{primaryKeys}/column/{column}/increment?step=N`.
    Auth: Bearer token with data_extensions_write."""
    de = data_extension(request, principal.mid, ref)
    keys = de_rows.parse_primary_keys(primary_keys)
    de_rows.increment(request.app.state.engine, principal.mid, de, keys, column, step)
    return Response(status_code=200)


@router.post("/hub/v1/dataeventsasync/{ref}/rowset", summary="Upsert rows, asynchronously")
async def upsert_rowset_async(
    request: Request, ref: str = REF, principal: Principal = Depends(WRITE)
) -> JSONResponse:
    """Takes the same rowset as `POST /hub/v1/dataevents/{ref}/rowset` and answers 202 with
    body `""` at once; a worker writes the rows later, with the same order rule. As Marketing
    Cloud's `POST /hub/v1/dataeventsasync/key:{key}/rowset`. Auth: Bearer token with
    data_extensions_write."""
    body = await json_value(request)
    de = data_extension(request, principal.mid, ref)
    return _queued(request, principal.mid, de, body)


@router.put(
    "/hub/v1/dataeventsasync/{ref}/rows/{primaryKeys}",
    summary="Upsert one data extension row, asynchronously",
)
async def upsert_row_async(
    request: Request,
    ref: str = REF,
    primary_keys: str = PRIMARY_KEYS,
    principal: Principal = Depends(WRITE),
) -> JSONResponse:
    """Takes the same `{"values": {...}}` as `PUT /hub/v1/dataevents/{ref}/rows/{primaryKeys}`
    and answers 202 with body `""`; a worker writes the row later. As Marketing Cloud's
    `PUT /hub/v1/dataeventsasync/key:{key}/rows/{primaryKeys}`. Auth: Bearer token with
    data_extensions_write."""
    body = await json_value(request)
    de = data_extension(request, principal.mid, ref)
    item = de_rows.row_item(de_rows.parse_primary_keys(primary_keys), body)
    return _queued(request, principal.mid, de, [item])


def _queued(request: Request, mid: int, de: Any, rows: Any) -> JSONResponse:
    async_rows.submit(request.app.state.engine, mid, de, async_rows.DATAEVENTS, rows)
    request.app.state.wake_workers()
    return JSONResponse("", status_code=202)
