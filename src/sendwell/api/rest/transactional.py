"""The Transactional Messaging API: ``/messaging/v1/email/definitions`` and ``…/messages``.

Definitions are created (201), listed, read, patched and deleted; their queue is measured and
dropped; messages are sent to one recipient or up to 2,000 (202 with each messageKey, and per
recipient errors when some failed), followed by messageKey, and the messages not sent are a
feed. Errors are Marketing Cloud's MCMS_UTM messages and codes (domain errors, mapped once in
``api/rest/errors.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from sendwell.api.rest.auth import scoped
from sendwell.api.rest.errors import RestError
from sendwell.api.rest.json_body import json_object
from sendwell.domain.errors import REST_INVALID_VALUE
from sendwell.domain.limits import MAX_PAGE
from sendwell.domain.permissions import EMAIL, Access
from sendwell.domain.secrets import new_guid
from sendwell.services import transactional_definitions as definitions
from sendwell.services import transactional_messages as messages
from sendwell.services.accounts import Principal

router = APIRouter(prefix="/messaging/v1/email", tags=["Transactional Messaging API"])
READ = scoped(EMAIL, Access.READ)
WRITE = scoped(EMAIL, Access.WRITE)
SEND = scoped(EMAIL, Access.SEND)


def _offset(request: Request) -> int:
    return request.app.state.settings.system_utc_offset_minutes


def _param(request: Request, *names: str) -> str | None:
    """A query parameter by any of its spellings (``$pageSize``, ``pageSize``, ``$pagesize``)."""
    wanted = {n.lower() for n in names}
    for key, value in request.query_params.items():
        if key.lower() in wanted:
            return value
    return None


def _number(request: Request, default: int, *names: str) -> int:
    raw = _param(request, *names)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 0 < int(raw) <= MAX_PAGE:
        raise RestError(400, f"{names[0]} must be a positive number", REST_INVALID_VALUE)
    return int(raw)


@router.post("/definitions", summary="Create a transactional send definition", status_code=201)
async def create_definition(request: Request, principal: Principal = Depends(WRITE)) -> Any:
    """Creates a definition (`definitionKey`, `name`, `content.customerKey`,
    `subscriptions.list`, optional `classification`, `status`, `options`) and answers it
    whole with 201, as Marketing Cloud's `POST /messaging/v1/email/definitions` does; a key in
    use is 409 (30004). Auth: Bearer token with email_write."""
    body = await json_object(request)
    with request.app.state.engine.begin() as conn:
        row = definitions.create(conn, principal.mid, body)
    return {"requestId": new_guid(), **definitions.view(row, _offset(request))}


@router.get("/definitions", summary="List transactional send definitions")
def list_definitions(request: Request, principal: Principal = Depends(READ)) -> Any:
    """Lists definitions, filtered by `$filter=status eq active` (or `neq`), paged with
    `$page`/`$pageSize`, sorted with `$orderBy` (definitionKey, name, createdDate,
    modifiedDate, with asc or desc), as Marketing Cloud's `GET
    /messaging/v1/email/definitions` does. Auth: Bearer token with email_read."""
    page = _number(request, 1, "$page", "page")
    size = _number(request, 50, "$pageSize", "pageSize")
    order = _param(request, "$orderBy", "orderBy") or "createdDate"
    with request.app.state.engine.connect() as conn:
        count, items = definitions.listing(
            conn, principal.mid, _status_filter(request), page, size, order, _offset(request)
        )
    return {
        "requestId": new_guid(),
        "definitions": items,
        "count": count,
        "page": page,
        "pageSize": size,
    }


def _status_filter(request: Request) -> tuple[str, str] | None:
    text = _param(request, "$filter", "filter", "status")
    if not text:
        return None
    parts = text.split()
    if len(parts) == 1:  # ?status=active (the OpenAPI spelling)
        parts = ["status", "eq", parts[0]]
    if len(parts) != 3 or parts[0].lower() != "status" or parts[1].lower() not in ("eq", "neq"):
        raise RestError(
            400, "MCMS_UTM_Validation_InvalidValue: $filter must be status eq|neq value", 10005
        )
    value = parts[2].strip("'\"").lower()
    if value not in ("active", "inactive", "deleted"):
        raise RestError(400, "MCMS_UTM_Validation_InvalidValue: status", 10005)
    return parts[1].lower(), value


@router.get("/definitions/{definition_key}", summary="Get a transactional send definition")
def get_definition(
    definition_key: str, request: Request, principal: Principal = Depends(READ)
) -> Any:
    """The definition with that key, whole, as Marketing Cloud's `GET
    /messaging/v1/email/definitions/{definitionKey}` answers; another account's or an unknown
    key is 404 (30003). Auth: Bearer token with email_read."""
    with request.app.state.engine.connect() as conn:
        row = definitions.definition(conn, principal.mid, definition_key)
    return {"requestId": new_guid(), **definitions.view(row, _offset(request))}


@router.patch("/definitions/{definition_key}", summary="Update a transactional send definition")
async def patch_definition(
    definition_key: str, request: Request, principal: Principal = Depends(WRITE)
) -> Any:
    """Changes any of `name`, `description`, `status` (Active mails, Inactive queues),
    `classification`, `content`, `subscriptions`, `options`; the key is fixed. As Marketing
    Cloud's `PATCH /messaging/v1/email/definitions/{definitionKey}`. Auth: Bearer token with
    email_write."""
    body = await json_object(request)
    with request.app.state.engine.begin() as conn:
        row = definitions.patch(conn, principal.mid, definition_key, body)
    request.app.state.wake_workers()
    return {"requestId": new_guid(), **definitions.view(row, _offset(request))}


@router.delete("/definitions/{definition_key}", summary="Delete a transactional send definition")
def delete_definition(
    definition_key: str, request: Request, principal: Principal = Depends(WRITE)
) -> Any:
    """Archives the definition under a new key (answered as `deletedDefinitionKey`; the old
    key may be used again) and drops what it had queued, as Marketing Cloud's `DELETE
    /messaging/v1/email/definitions/{definitionKey}`. Auth: Bearer token with email_write."""
    with request.app.state.engine.begin() as conn:
        archived = definitions.delete(conn, principal.mid, definition_key)
    return {"requestId": new_guid(), "message": "Success", "deletedDefinitionKey": archived}


@router.get("/definitions/{definition_key}/queue", summary="Queue metrics of a definition")
def queue(definition_key: str, request: Request, principal: Principal = Depends(READ)) -> Any:
    """How many messages the definition accepted and has not processed, and the age in
    seconds of the oldest (`count`, `ageSeconds`), as Marketing Cloud's `GET
    …/definitions/{definitionKey}/queue`. Auth: Bearer token with email_read."""
    with request.app.state.engine.connect() as conn:
        count, age = definitions.queue_metrics(conn, principal.mid, definition_key)
    return {"requestId": new_guid(), "count": count, "ageSeconds": age}


@router.delete("/definitions/{definition_key}/queue", summary="Delete a definition's queue")
def delete_queue(
    definition_key: str, request: Request, principal: Principal = Depends(WRITE)
) -> Any:
    """Drops the messages an Inactive definition has queued (each EmailNotSent,
    QueuedTransactionDeleted); an Active one is 400 (30001), as Marketing Cloud's `DELETE
    …/definitions/{definitionKey}/queue`. Auth: Bearer token with email_write."""
    with request.app.state.engine.begin() as conn:
        definitions.clear_queue(conn, principal.mid, definition_key)
    return {"requestId": new_guid(), "message": "Queued"}  # (sic) Marketing Cloud's word


def _send(request: Request, mid: int, body: Any, key: str | None) -> messages.SendResult:
    """Queue a send in a thread: waiting for the database (another writer) never holds up the
    event loop, and on PostgreSQL requests are queued side by side."""
    with request.app.state.engine.begin() as conn:
        result = messages.send(conn, mid, body, path_key=key)
    request.app.state.wake_workers()
    return result


def _reply(result: messages.SendResult) -> JSONResponse:
    responses = messages.accepted(result.responses)
    if result.failed and result.failed == len(result.responses):
        first = result.responses[0]
        if len(result.responses) == 1:
            body = {"message": first.message, "errorcode": first.errorcode, "documentation": ""}
            return JSONResponse(body, status_code=400)
        body = {
            "message": "MCMS_UTM_Validation_NoValidSubscribers: no recipient could be queued",
            "errorcode": 109103,
            "documentation": "",
            "responses": responses,
        }
        return JSONResponse(body, status_code=400)
    body: dict[str, Any] = {"requestId": new_guid(), "errorcode": 0, "responses": responses}
    if result.failed:
        body.update(
            errorcode=109001,
            message=f"MCMS_UTM_ResponsesHasErrors: {result.failed} subscribers failed to queue "
            f"out of {len(result.responses)}",
        )
    return JSONResponse(body, status_code=202)


@router.post("/messages/{message_key}", summary="Send a message to one recipient")
async def send_one(
    message_key: str, request: Request, principal: Principal = Depends(SEND)
) -> JSONResponse:
    """Queues one message of `definitionKey` to `recipient` (`contactKey`, `to`,
    `attributes`) under the messageKey of the path (unique for 72 hours), answered 202, as
    Marketing Cloud's `POST /messaging/v1/email/messages/{messageKey}`. Auth: Bearer token
    with email_send."""
    body = await json_object(request)
    result = await run_in_threadpool(_send, request, principal.mid, body, message_key)
    return _reply(result)


@router.post("/messages", summary="Send a message to each of up to 2,000 recipients")
@router.post("/messages/", include_in_schema=False)
async def send_batch(request: Request, principal: Principal = Depends(SEND)) -> JSONResponse:
    """Queues one message of `definitionKey` to each of `recipients` (at most 2,000; each with
    `contactKey`, `to`, optional `messageKey` and `attributes`; top-level `attributes` for
    all), 202 with each messageKey and the errors of those not queued, as Marketing Cloud's
    `POST /messaging/v1/email/messages`. Auth: Bearer token with email_send."""
    body = await json_object(request)
    result = await run_in_threadpool(_send, request, principal.mid, body, None)
    return _reply(result)


@router.get("/messages/", summary="Messages not sent, oldest first")
@router.get("/messages", include_in_schema=False)
def not_sent(request: Request, principal: Principal = Depends(READ)) -> Any:
    """The feed of messages not sent (`type=notSent`, required), after `lastEventId`, at most
    `$pagesize` per call, as Marketing Cloud's `GET /messaging/v1/email/messages/?type=notSent`
    answers (with `lastEventID` to continue from). Auth: Bearer token with email_read."""
    if (_param(request, "type") or "").lower() != "notsent":
        raise RestError(400, "MCMS_UTM_Validation_InvalidValue_type: type must be notSent", 10005)
    size = _number(request, 20, "$pagesize", "$pageSize", "pageSize")
    raw = _param(request, "lastEventId") or "0"
    if not raw.isdigit() or int(raw) > MAX_PAGE:
        raise RestError(400, "MCMS_UTM_Validation_InvalidValue_lastEventId", 10005)
    with request.app.state.engine.connect() as conn:
        feed = messages.not_sent_feed(conn, principal.mid, int(raw), size, _offset(request))
    return {"requestId": new_guid(), **feed}


@router.get("/messages/{message_key}", summary="Status of a message by messageKey")
def message_status(message_key: str, request: Request, principal: Principal = Depends(READ)) -> Any:
    """Whether the newest message with that messageKey is queued, sent or not sent (with the
    reason's statusCode and statusMessage), as Marketing Cloud's `GET
    /messaging/v1/email/messages/{messageKey}`; unknown keys are 404. Auth: Bearer token with
    email_read."""
    with request.app.state.engine.connect() as conn:
        found = messages.status(conn, principal.mid, message_key, _offset(request))
    return {"requestId": new_guid(), **found}
