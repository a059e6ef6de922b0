"""Marketing Cloud's ``/data/v1`` data extension row routes: asynchronous inserts and upserts
with their request status and results (``/data/v1/async``), and rowset reads
(``/data/v1/customobjectdata``), as triggered-transactional.md 7.2 and 7.3 describe them.

Query parameters are read by name whatever their case and with or without ``$``
(FuelSDKWrapper sends ``$pagesize``, others ``$pageSize``); dates are Marketing Cloud system
time without an offset, as in its samples.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from sendwell.api.rest.auth import object_scoped
from sendwell.api.rest.dataevents import REF, data_extension_ref
from sendwell.api.rest.errors import RestError
from sendwell.api.rest.json_body import json_value
from sendwell.domain.clock import to_system_time
from sendwell.domain.errors import REST_GENERIC, REST_INSUFFICIENT_PRIVILEGES, REST_INVALID_TYPE
from sendwell.domain.limits import MAX_ID, MAX_PAGE
from sendwell.domain.permissions import Access
from sendwell.domain.secrets import new_guid
from sendwell.services import async_rows, de_rows, rowsets
from sendwell.services.accounts import Principal

router = APIRouter(tags=["data extension rows"])
# The live answer to a token without the scope, checked before the key or the body
# (triggered-transactional.md 7.2).
REFUSED = ("Insufficient privileges to complete this action.", REST_INSUFFICIENT_PRIVILEGES)
READ = object_scoped("DataExtensionObject", Access.READ, REFUSED)
WRITE = object_scoped("DataExtensionObject", Access.WRITE, REFUSED)
NO_GUID = "00000000-0000-0000-0000-000000000000"  # .NET's empty Guid, for a key-named request


def query_value(request: Request, name: str) -> str | None:
    """A query parameter by name, in any case, with or without its ``$``."""
    wanted = name.lstrip("$").lower()
    for key, value in request.query_params.multi_items():
        if key.lstrip("$").lower() == wanted:
            return value
    return None


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter between ``low`` and ``high``; else 10001."""
    text = query_value(request, name)
    if text is None or text.strip() == "":
        return default
    if not text.strip().isdigit() or len(text.strip()) > 10 or not low <= int(text) <= high:
        raise RestError(
            400, f"{name} must be a whole number from {low} to {high}.", REST_INVALID_TYPE
        )
    return int(text)


def _params(*names: str) -> dict[str, Any]:
    return {
        "parameters": [
            {"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
            for n in names
        ]
    }


def system_time(request: Request, moment: datetime | None) -> str | None:
    """A stored UTC moment as Marketing Cloud writes it: system time, ``2017-10-27T16:00:38.98``."""
    if moment is None:
        return None
    offset = request.app.state.settings.system_utc_offset_minutes
    whole, _, fraction = (
        to_system_time(moment, offset).isoformat(timespec="milliseconds").partition(".")
    )
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def _result_message(request_id: str, code: str, message: str) -> dict[str, Any]:
    return {
        "requestId": request_id,
        "resultMessages": [
            {
                "resultType": "Operational",
                "resultClass": "Error",
                "resultCode": code,
                "message": message,
            }
        ],
    }


async def _submit(request: Request, principal: Principal, ref: str, kind: str) -> JSONResponse:
    body = await json_value(request)
    named = data_extension_ref(ref)
    engine = request.app.state.engine
    with engine.connect() as conn:
        de = de_rows.find_data_extension(conn, principal.mid, named)
    if de is None:
        # Documented with HTTP 200; Segment's production code meets it as a 400, and a 2xx
        # would have clients poll a request that does not exist: 400 here.
        identifier = f"[Id: {named.object_id or NO_GUID}, Key: {named.key or ''}]"
        return JSONResponse(
            _result_message(
                new_guid(),
                "CustomObjectNotFound",
                "Failed to resolve the Custom Object from the provided ObjectReferenceIdentifier "
                f"{identifier}.",
            ),
            status_code=400,
        )
    items = async_rows.check_items(body)
    request_id = async_rows.submit(engine, principal.mid, de, kind, items)
    request.app.state.wake_workers()
    return JSONResponse({"requestId": request_id}, status_code=202)


@router.post("/data/v1/async/dataextensions/{ref}/rows", summary="Insert rows, asynchronously")
async def insert_rows_async(
    request: Request, ref: str = REF, principal: Principal = Depends(WRITE)
) -> JSONResponse:
    """Queues `{"items": [{column: value, ...}]}` for insertion and answers 202 with its
    `requestId`; a worker inserts each row on its own (a row whose primary key exists, or that
    its fields refuse, is an Error result). As Marketing Cloud's
    `POST /data/v1/async/dataextensions/key:{key}/rows` (and `/{id}/rows`). Auth: Bearer token
    with data_extensions_write."""
    return await _submit(request, principal, ref, async_rows.INSERT)


@router.put("/data/v1/async/dataextensions/{ref}/rows", summary="Upsert rows, asynchronously")
async def upsert_rows_async(
    request: Request, ref: str = REF, principal: Principal = Depends(WRITE)
) -> JSONResponse:
    """Queues `{"items": [...]}` for upsert by primary key and answers 202 with its
    `requestId`, as Marketing Cloud's `PUT /data/v1/async/dataextensions/key:{key}/rows` (and
    `/{id}/rows`). Auth: Bearer token with data_extensions_write."""
    return await _submit(request, principal, ref, async_rows.UPSERT)


def _not_found(request_id: str) -> JSONResponse:
    return JSONResponse(
        _result_message(
            new_guid(),
            "AsyncRequestStatusNotFound",
            "Unable to locate an Async Request Status Record for the provided RequestId: "
            f"{request_id}.",
        )
    )


@router.get("/data/v1/async/{requestId}/status", summary="Status of an asynchronous request")
def request_status(
    request: Request, requestId: str, principal: Principal = Depends(READ)
) -> JSONResponse:
    """The request's `requestStatus` (Pending, Executing, Complete) and, once done, its
    `resultStatus` (OK, or Has Errors when a row was refused), with its call, pickup and
    completion times, as Marketing Cloud's `GET /data/v1/async/{requestId}/status`; an unknown
    requestId is a 200 with `AsyncRequestStatusNotFound`. Auth: Bearer token with
    data_extensions_read."""
    found = async_rows.find_request(request.app.state.engine, principal.mid, requestId)
    if found is None:
        return _not_found(requestId)
    status: dict[str, Any] = {"callDateTime": system_time(request, found.created_at)}
    if found.completed_at is not None:
        status["completionDateTime"] = system_time(request, found.completed_at)
    status["hasErrors"] = bool(found.has_errors)
    if found.picked_up_at is not None:
        status["pickupDateTime"] = system_time(request, found.picked_up_at)
    status["requestStatus"] = found.status
    if found.status == "Complete":
        status["resultStatus"] = "Has Errors" if found.has_errors else "OK"
    status["requestId"] = found.request_id
    return JSONResponse({"status": status, "requestId": new_guid()})


@router.get(
    "/data/v1/async/{requestId}/results",
    summary="Per-row results of an asynchronous request",
    openapi_extra=_params("page", "pageSize", "includeDetail"),
)
def request_results(
    request: Request, requestId: str, principal: Principal = Depends(READ)
) -> JSONResponse:
    """One result per submitted row, in order (`status` OK or Error, with `errorCode` and
    `message`), 50 a page by default; with `includeDetail=true` each carries the row as sent.
    As Marketing Cloud's `GET /data/v1/async/{requestId}/results`. Auth: Bearer token with
    data_extensions_read."""
    found = async_rows.find_request(request.app.state.engine, principal.mid, requestId)
    if found is None:
        return _not_found(requestId)
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    size = query_int(request, "pageSize", 50, 1, 2500)
    results = list(found.results or [])
    if (query_value(request, "includeDetail") or "").lower() == "true":
        results = [{**r, "item": item} for r, item in zip(results, found.items, strict=False)]
    return JSONResponse(
        {
            "page": page,
            "pageSize": size,
            "count": len(results),
            "items": results[(page - 1) * size : page * size],
            "requestId": found.request_id,
        }
    )


ROWSET_PARAMS = _params("$page", "$pageSize", "$filter", "$fields", "$orderBy", "$top")


def _rowset_reply(found: rowsets.RowsetPage) -> dict[str, Any]:
    base = f"/v1/customobjectdata/token/{found.token}/rowset?$page="
    links = {"self": f"{base}{found.page}"}
    if found.has_next:
        links["next"] = f"{base}{found.page + 1}"
    reply: dict[str, Any] = {
        "links": links,
        "requestToken": found.token,
        "tokenExpireDateUtc": found.expires_at.isoformat(timespec="milliseconds"),
        "customObjectId": found.de.object_id,
        "customObjectKey": found.de.customer_key,
        "pageSize": found.page_size,
        "page": found.page,
        "count": found.count,
        "top": found.top,
    }
    if found.items:  # an empty page has no items key (sfmc-devtools' fixture)
        reply["items"] = found.items
    return reply


@router.get(
    "/data/v1/customobjectdata/key/{key}/rowset",
    summary="Read data extension rows",
    openapi_extra=ROWSET_PARAMS,
)
def read_rowset(request: Request, key: str, principal: Principal = Depends(READ)) -> dict[str, Any]:
    """A page of the data extension's rows (`$page`, `$pageSize` up to 2,500, default 2,500),
    filtered by `$filter` (`Col eq 'v'`, neq, gt, gte, lt, lte, like, `in ('a','b')`, `IS NULL`,
    `IS NOT NULL`, nested `(L AND R)` / `(L OR R)`), narrowed by `$fields`, ordered by
    `$orderBy` (`Col ASC,Col2 DESC`), at most `$top` in all; column names lower-cased, every
    value a string, `links.next` when more remain. As Marketing Cloud's
    `GET /data/v1/customobjectdata/key/{key}/rowset`. Auth: Bearer token with
    data_extensions_read."""
    engine = request.app.state.engine
    with engine.connect() as conn:
        de = de_rows.find_data_extension(conn, principal.mid, de_rows.DataExtensionRef(key=key))
    if de is None:
        raise RestError(404, f"Unable to find data extension with key '{key}'", REST_GENERIC)
    query = rowsets.RowsetQuery(
        filter=query_value(request, "filter") or "",
        fields=query_value(request, "fields") or "",
        order_by=query_value(request, "orderBy") or "",
        top=query_int(request, "top", 0, 0, MAX_ID),
        page_size=min(
            query_int(request, "pageSize", rowsets.DEFAULT_PAGE_SIZE, 1, MAX_ID),
            rowsets.MAX_PAGE_SIZE,
        ),
    )
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    return _rowset_reply(rowsets.first_page(engine, principal.mid, de, query, page))


@router.get(
    "/data/v1/customobjectdata/token/{token}/rowset",
    summary="Read the next page of data extension rows",
    openapi_extra=_params("$page"),
)
def read_rowset_page(
    request: Request, token: str, principal: Principal = Depends(READ)
) -> dict[str, Any]:
    """Page `$page` of an earlier rowset read, by the `requestToken` it answered (its
    `links.next`), for an hour; as Marketing Cloud's
    `GET /data/v1/customobjectdata/token/{requestToken}/rowset`. Auth: Bearer token with
    data_extensions_read."""
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    found = rowsets.next_page(request.app.state.engine, principal.mid, token, page)
    return _rowset_reply(found)
