"""Marketing Cloud's legacy REST triggered send: ``/messaging/v1/messageDefinitionSends``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from sendwell.api.rest.auth import scoped
from sendwell.api.rest.errors import RestError
from sendwell.api.rest.json_body import MalformedJson, parse_json
from sendwell.domain.errors import REST_MALFORMED_JSON
from sendwell.domain.permissions import EMAIL, Access
from sendwell.domain.secrets import new_guid
from sendwell.services import legacy_triggered
from sendwell.services.accounts import Principal

router = APIRouter(prefix="/messaging/v1/messageDefinitionSends", tags=["triggered sends (REST)"])
SEND = scoped(EMAIL, Access.SEND)
READ = scoped(EMAIL, Access.READ)
MAX_BATCH = 2000  # not documented for sendBatch; the transactional API's limit (inferred)


async def _body(request: Request) -> Any:
    try:
        return parse_json(await request.body())
    except MalformedJson as exc:
        raise RestError(400, str(exc), REST_MALFORMED_JSON) from None


@router.post("/{definition}/send", summary="Send a triggered message to one recipient")
async def send(definition: str, request: Request, principal: Principal = Depends(SEND)) -> Any:
    """Queues one message of the TriggeredSendDefinition named `key:{CustomerKey}` or by its
    ObjectID to `To` (`Address`, `SubscriberKey`, `ContactAttributes.SubscriberAttributes`),
    with an optional `From` override; 202 with its `recipientSendId`, as Marketing Cloud's
    `POST /messaging/v1/messageDefinitionSends/key:{key}/send`. Auth: Bearer token with
    email_send."""
    body = await _body(request)
    if not isinstance(body, dict):
        raise RestError(400, "The request body must be a JSON object", REST_MALFORMED_JSON)
    with request.app.state.engine.begin() as conn:
        (response,) = legacy_triggered.send(conn, principal.mid, definition, [body])
    request.app.state.wake_workers()
    if response == legacy_triggered.NO_ADDRESS:  # documented bare, without a requestId
        return JSONResponse(response, status_code=202)
    request_id = response["recipientSendId"] or new_guid()
    return JSONResponse({"requestId": request_id, "responses": [response]}, status_code=202)


@router.post("/{definition}/sendBatch", summary="Send triggered messages to several recipients")
async def send_batch(
    definition: str, request: Request, principal: Principal = Depends(SEND)
) -> Any:
    """Queues one message per element of a JSON array of `send` bodies; 202 with one response
    per element, as Marketing Cloud's `POST
    /messaging/v1/messageDefinitionSends/key:{key}/sendBatch`. Auth: Bearer token with
    email_send."""
    body = await _body(request)
    if not isinstance(body, list) or not body or len(body) > MAX_BATCH:
        raise RestError(400, f"The body must be an array of 1 to {MAX_BATCH} sends", 10005)
    with request.app.state.engine.begin() as conn:
        responses = legacy_triggered.send(conn, principal.mid, definition, body)
    request.app.state.wake_workers()
    return JSONResponse({"requestId": new_guid(), "responses": responses}, status_code=202)


@router.get(
    "/{definition}/deliveryRecords/{recipient_send_id}",
    summary="Delivery record of a triggered message",
)
def delivery_record(
    definition: str, recipient_send_id: str, request: Request, principal: Principal = Depends(READ)
) -> Any:
    """Whether the message of a `recipientSendId` was sent (`deliveryTime`), is queued, or
    failed (`messageErrors`), as Marketing Cloud's `GET
    …/messageDefinitionSends/key:{key}/deliveryRecords/{recipientSendId}`. Auth: Bearer token
    with email_read."""
    offset = request.app.state.settings.system_utc_offset_minutes
    with request.app.state.engine.connect() as conn:
        return legacy_triggered.delivery_record(
            conn, principal.mid, definition, recipient_send_id, offset
        )
