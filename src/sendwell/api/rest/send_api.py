"""The REST Send API: ``/data/v1/integration/send/{integrationType}/{channel}/…``.

Gateway problems (token, scope, malformed JSON) answer with their HTTP status and Marketing
Cloud's ``{message, errorcode, documentation}``; Send API problems answer in the documented
``{IsError, Message}`` envelope (HTTP 200 by default, see ``send_api_error_status``), with
``message`` and ``errorcode`` added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from sendwell.api.docs import body_doc
from sendwell.api.rest import send_models as m
from sendwell.api.rest.auth import require_scope, scoped
from sendwell.api.rest.errors import REST_STATUS, RestError, rest_error
from sendwell.api.rest.json_body import MalformedJson, parse_json
from sendwell.config import resolve_secret_key
from sendwell.domain.errors import (
    REST_GENERIC,
    REST_INVALID_TYPE,
    REST_INVALID_VALUE,
    REST_MALFORMED_JSON,
    REST_MISSING_FIELD,
    SendwellError,
    bounded,
    shown,
)
from sendwell.domain.limits import MAX_PAGE
from sendwell.domain.permissions import SEND_API, Access
from sendwell.services import send_definitions, send_instances
from sendwell.services.accounts import Principal

PREFIX = "/data/v1/integration/send/{integration_type}/{channel}"
router = APIRouter(prefix=PREFIX, tags=["Send API"])
Model = TypeVar("Model", bound=BaseModel)

# The scopes that guard the Send API's routes (either family: domain.permissions.SEND_API).
READ = scoped(SEND_API, Access.READ)
WRITE = scoped(SEND_API, Access.WRITE)
SEND = scoped(SEND_API, Access.SEND)


class SendApiError(Exception):
    """A Send API error: the verb says what failed ("creating integrated send definition")."""

    def __init__(self, verb: str, message: str, code: int) -> None:
        message = bounded(message)
        super().__init__(message)
        self.verb, self.message, self.code = verb, message, code


async def send_api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SendApiError)
    text = f"Error {exc.verb}: {exc.message}"
    status = 200
    if request.app.state.settings.send_api_error_status == "semantic":
        status = REST_STATUS.get(exc.code, 400)
    return JSONResponse(
        {
            "IsError": True,
            "Message": text,
            "message": text,
            "errorcode": exc.code,
            "documentation": "",
        },
        status_code=status,
    )


def responses(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"model": model},
        "default": {"model": m.ErrorResult, "description": "Send API error"},
    }


def _route_check(integration_type: str, channel: str, verb: str) -> None:
    if integration_type.lower() != "salesforce":
        raise SendApiError(
            verb,
            f"integrationType {shown(integration_type)} is not supported; supported: salesforce",
            REST_INVALID_VALUE,
        )
    if channel.lower() != "email":
        raise SendApiError(
            verb, f"channel {shown(channel)} is not supported; supported: email", REST_INVALID_VALUE
        )


async def _parse(request: Request, model: type[Model], verb: str) -> Model:
    raw = await request.body()
    content_type = request.headers.get("content-type", "application/json")
    if raw and "json" not in content_type.lower():
        raise RestError(
            415,
            f"Unsupported media type {shown(content_type)}; send application/json",
            REST_GENERIC,
        )
    try:
        data = parse_json(raw)
    except MalformedJson as exc:
        raise RestError(400, str(exc), REST_MALFORMED_JSON) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise SendApiError(verb, f"Invalid data type: {problems}", REST_INVALID_TYPE) from None


def _page(request: Request, verb: str) -> tuple[int, int]:
    values = []
    for name, default in (("page", 1), ("pagesize", 50)):
        raw = next((v for k, v in request.query_params.items() if k.lower() == name), None)
        raw = None if raw is None else raw.strip()
        if raw is not None and not (raw.isascii() and raw.isdigit() and len(raw) < 20):
            raw = "0"
        value = default if raw is None else int(raw)
        if not 1 <= value <= MAX_PAGE:
            raise SendApiError(
                verb, f"{name} must be a number from 1 to {MAX_PAGE}", REST_INVALID_VALUE
            )
        values.append(value)
    return values[0], min(values[1], 500)


def _run(verb: str, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except SendwellError as exc:  # the REST layer's one mapping, in the Send API's envelope
        raise SendApiError(verb, exc.message, rest_error(exc)[1]) from None


def _engine(request: Request) -> Any:
    return request.app.state.engine


# --- instances (matched before /{definitionId}) ------------------------------------------------


@router.get(
    "/instance",
    summary="Get Instances",
    responses=responses(m.InstancesReply),
)
def get_instances(
    integration_type: str,
    channel: str,
    request: Request,
    principal: Principal = Depends(READ),
) -> dict[str, Any]:
    """Lists the account's send instances (scheduled, running and finished sends), newest first,
    paged by `page` and `pageSize`; as Marketing Cloud's Send API does. Auth: Bearer token with
    scope `email_read` or `marketing_cloud_connect_read`."""
    verb = "retrieving integrated send instances"
    _route_check(integration_type, channel, verb)
    page, size = _page(request, verb)
    with _engine(request).begin() as conn:
        total, items = _run(verb, lambda: send_instances.listing(conn, principal.mid, page, size))
    return {"Count": total, "Page": page, "PageSize": size, "Instances": items, "IsError": False}


@router.get(
    "/instance/{instance_id}", summary="Get Instance Status", responses=responses(m.InstanceReply)
)
def get_instance(
    integration_type: str,
    channel: str,
    instance_id: str,
    request: Request,
    principal: Principal = Depends(READ),
) -> dict[str, Any]:
    """One send instance: its status (Scheduled, Processing, Sending, Complete, Canceled, Error),
    times and counts, and the JobId that SOAP `Retrieve` of `Send` also knows; as Marketing Cloud's
    Send API does. Auth: Bearer token with scope `email_read` or `marketing_cloud_connect_read`."""
    verb = "retrieving integrated send instance"
    _route_check(integration_type, channel, verb)
    with _engine(request).begin() as conn:
        view = _run(verb, lambda: send_instances.status(conn, principal.mid, instance_id))
    return {**view, "IsError": False, "isError": False}


@router.get(
    "/instance/{instance_id}/cancel", summary="Cancel Instance", responses=responses(m.CancelReply)
)
def cancel_instance(
    integration_type: str,
    channel: str,
    instance_id: str,
    request: Request,
    principal: Principal = Depends(SEND),
) -> dict[str, Any]:
    """Cancels a scheduled or running send instance (what was sent stays sent); as Marketing Cloud's
    Send API does. Auth: Bearer token with scope `email_send` or `marketing_cloud_connect_send`."""
    verb = "canceling integrated send instance"
    _route_check(integration_type, channel, verb)
    with _engine(request).begin() as conn:
        status = _run(verb, lambda: send_instances.cancel(conn, principal.mid, instance_id))
    request.app.state.wake_workers()
    return {"Status": status, "IsError": False}


# --- definitions ---------------------------------------------------------------------------


@router.post(
    "",
    summary="Create Definition",
    status_code=201,
    openapi_extra=body_doc(m.CreateDefinitionRequest),
    responses={201: {"model": m.CreateDefinitionReply}, "default": {"model": m.ErrorResult}},
)
async def create_definition(
    integration_type: str,
    channel: str,
    request: Request,
    principal: Principal = Depends(WRITE),
) -> JSONResponse:
    """Creates a send definition: the email, send classification, sender profile and the Salesforce
    targets and exclusions (campaigns, reports, contacts, leads); with a `Schedule` it is scheduled
    in the same transaction, as Marketing Cloud's Send API does. Auth: Bearer token with scope
    `email_write` or `marketing_cloud_connect_write` (and a send scope with `Schedule`)."""
    verb = "creating integrated send definition"
    _route_check(integration_type, channel, verb)
    body = await _parse(request, m.CreateDefinitionRequest, verb)
    if body.EmailDefinition is None:
        raise SendApiError(verb, "EmailDefinition is required", REST_MISSING_FIELD)
    if body.Schedule is not None:
        principal = require_scope(principal, SEND_API, Access.SEND)
    reply = await run_in_threadpool(_create, request, principal, body, verb)
    if body.Schedule is not None:
        request.app.state.wake_workers()
    return JSONResponse({**reply, "IsError": False}, status_code=201)


def _create(
    request: Request, principal: Principal, body: m.CreateDefinitionRequest, verb: str
) -> dict[str, Any]:
    """The definition, and its instance if ``body`` has a Schedule, in one transaction: if
    scheduling fails, the definition is not created either (run in the thread pool)."""
    assert body.EmailDefinition is not None
    settings = request.app.state.settings
    with _engine(request).begin() as conn:
        created = _run(
            verb,
            lambda: send_definitions.create(
                conn, principal.mid, body.EmailDefinition.to_body(), resolve_secret_key(settings)
            ),
        )
        reply: dict[str, Any] = {
            "DefinitionId": created["DefinitionId"],
            "ExternalKey": created["ExternalKey"],
        }
        if body.Schedule is not None:
            schedule = body.Schedule.model_dump(exclude_none=True)
            instance = _run(
                "scheduling integrated send definition",
                lambda: send_instances.schedule(
                    conn, principal.mid, created["DefinitionId"], schedule, settings
                ),
            )
            reply["InstanceId"] = str(instance)
    return reply


@router.post(
    "/search",
    summary="Search Definitions",
    openapi_extra=body_doc(m.SearchRequest),
    responses=responses(m.SearchReply),
)
async def search_definitions(
    integration_type: str,
    channel: str,
    request: Request,
    principal: Principal = Depends(READ),
) -> dict[str, Any]:
    """Finds the account's send definitions by `Criteria` (name, key, status), paged; as Marketing
    Cloud's Send API does. Auth: Bearer token with scope `email_read` or
    `marketing_cloud_connect_read`."""
    verb = "searching integrated send definitions"
    _route_check(integration_type, channel, verb)
    body = await _parse(request, m.SearchRequest, verb)
    if body.Criteria is None:
        raise SendApiError(verb, "Criteria is required", REST_MISSING_FIELD)
    page, size = _page(request, verb)
    criteria = body.Criteria.model_dump(exclude_none=True)

    def find() -> tuple[int, list[dict[str, Any]]]:
        with _engine(request).connect() as conn:
            return _run(
                verb, lambda: send_definitions.search(conn, principal.mid, criteria, page, size)
            )

    total, items = await run_in_threadpool(find)
    return {"Count": total, "Page": page, "PageSize": size, "Definitions": items, "IsError": False}


@router.get(
    "/{definition_id}", summary="Get Definition by Id", responses=responses(m.DefinitionReply)
)
def get_definition(
    integration_type: str,
    channel: str,
    definition_id: str,
    request: Request,
    principal: Principal = Depends(READ),
) -> dict[str, Any]:
    """One send definition by its DefinitionId, as it was created; as Marketing Cloud's Send API
    does. Auth: Bearer token with scope `email_read` or `marketing_cloud_connect_read`."""
    verb = "retrieving integrated send definition"
    _route_check(integration_type, channel, verb)
    with _engine(request).connect() as conn:
        definition = _run(verb, lambda: send_definitions.get(conn, principal.mid, definition_id))
    return {"EmailDefinition": definition, "IsError": False}


@router.put(
    "/{definition_id}",
    summary="Update Definition by Id",
    openapi_extra=body_doc(m.UpdateDefinitionRequest),
    responses=responses(m.Result),
)
async def update_definition(
    integration_type: str,
    channel: str,
    definition_id: str,
    request: Request,
    principal: Principal = Depends(WRITE),
) -> dict[str, Any]:
    """Replaces a send definition's content, audience and options; as Marketing Cloud's Send API
    does. Auth: Bearer token with scope `email_write` or `marketing_cloud_connect_write`."""
    verb = "updating integrated send definition"
    _route_check(integration_type, channel, verb)
    body = await _parse(request, m.UpdateDefinitionRequest, verb)
    if body.EmailDefinition is None:
        raise SendApiError(verb, "EmailDefinition is required", REST_MISSING_FIELD)
    given = body.EmailDefinition.to_body()
    secret = resolve_secret_key(request.app.state.settings)

    def store() -> None:
        with _engine(request).begin() as conn:
            _run(
                verb,
                lambda: send_definitions.replace(conn, principal.mid, definition_id, given, secret),
            )

    await run_in_threadpool(store)
    return {"IsError": False}


@router.delete("/{definition_id}", summary="Delete Definition", responses=responses(m.Result))
def delete_definition(
    integration_type: str,
    channel: str,
    definition_id: str,
    request: Request,
    principal: Principal = Depends(WRITE),
) -> dict[str, Any]:
    """Deletes a send definition (its instances stay readable); as Marketing Cloud's Send API does.
    Auth: Bearer token with scope `email_write` or `marketing_cloud_connect_write`."""
    verb = "deleting integrated send definition"
    _route_check(integration_type, channel, verb)
    with _engine(request).begin() as conn:
        _run(verb, lambda: send_instances.delete_definition(conn, principal.mid, definition_id))
    return {"IsError": False}


@router.post(
    "/{definition_id}/schedule",
    summary="Schedule Send",
    openapi_extra=body_doc(m.ScheduleRequest),
    responses=responses(m.ScheduleReply),
)
async def schedule_send(
    integration_type: str,
    channel: str,
    definition_id: str,
    request: Request,
    principal: Principal = Depends(SEND),
) -> dict[str, Any]:
    """Schedules a send of the definition now (`StartImmediately`) or at `StartDateTime` (ISO 8601;
    without an offset it is Marketing Cloud system time, UTC−6), optionally throttled, as
    Marketing Cloud's Send API does; the instance is stored before the reply. Auth: Bearer token
    with scope `email_send` or `marketing_cloud_connect_send`."""
    verb = "scheduling integrated send definition"
    _route_check(integration_type, channel, verb)
    body = await _parse(request, m.ScheduleRequest, verb)
    if body.Schedule is None:
        raise SendApiError(verb, "Schedule is required", REST_MISSING_FIELD)
    given = body.Schedule.model_dump(exclude_none=True)
    settings = request.app.state.settings

    def store() -> int:
        with _engine(request).begin() as conn:
            return _run(
                verb,
                lambda: send_instances.schedule(
                    conn, principal.mid, definition_id, given, settings
                ),
            )

    instance = await run_in_threadpool(store)
    request.app.state.wake_workers()
    return {"InstanceId": str(instance), "IsError": False}


@router.get(
    "/{definition_id}/instance",
    summary="Get Instances by Definition",
    responses=responses(m.InstancesReply),
)
def get_instances_by_definition(
    integration_type: str,
    channel: str,
    definition_id: str,
    request: Request,
    principal: Principal = Depends(READ),
) -> dict[str, Any]:
    """Lists the send instances of one definition, newest first, paged; as Marketing Cloud's Send
    API does. Auth: Bearer token with scope `email_read` or `marketing_cloud_connect_read`."""
    verb = "retrieving integrated send definition"
    _route_check(integration_type, channel, verb)
    page, size = _page(request, verb)
    with _engine(request).begin() as conn:
        total, items = _run(
            verb, lambda: send_instances.listing(conn, principal.mid, page, size, definition_id)
        )
    return {"Count": total, "Page": page, "PageSize": size, "Instances": items, "IsError": False}
