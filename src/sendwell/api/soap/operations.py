"""The partner API operations: decoded request dict in, response dict out.

Each operation resolves the acting account (``Client/ID``), runs one service call per object in
its own transaction, and turns domain errors into per-object results. Nothing here knows about
HTTP; ``views`` does the envelope, this module the meaning.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from sendwell.api.soap import saving
from sendwell.api.soap.codec import DecodeError
from sendwell.api.soap.retrieve import (
    describe,
    project,
    property_type,
    read_filter_dates,
    resolve_properties,
)
from sendwell.api.soap.scalars import incoming_date
from sendwell.domain.clock import SYSTEM_UTC_OFFSET_MINUTES
from sendwell.domain.errors import (
    ERR_CANNOT_PERFORM,
    ERR_GENERAL,
    ERR_NOT_FOUND,
    ERR_UNSUPPORTED_TYPE,
    ESD_NOT_IMPLEMENTED,
    NotFound,
    SendwellError,
    shown,
)
from sendwell.domain.filters import parse_filter, properties_of
from sendwell.domain.jobs import CONTROL_ACTIONS as JOB_CONTROL_ACTIONS
from sendwell.domain.limits import bounded_echo, check_lengths
from sendwell.domain.permissions import Access
from sendwell.services.accounts import Principal
from sendwell.services.registry import DATA_EXTENSION_OBJECT, KINDS, OBJECT_AREAS, WRITE_ACCESS
from sendwell.services.send_control import control, latest_job_of_definition
from sendwell.services.sends import start_send
from sendwell.store.cursors import load_cursor, save_cursor

PAGE_SIZE = 2500
# Perform actions that control a running send (Marketing Cloud reserves stop/pause/restart).
CONTROL_ACTIONS = {"stop": "cancel", "restart": "resume"}


@dataclass
class Context:
    engine: Engine
    principal: Principal
    on_send_started: Callable[[], None]
    # Marketing Cloud's system time (UTC plus these minutes), for dates written as text.
    system_offset_minutes: int = SYSTEM_UTC_OFFSET_MINUTES

    def require(self, type_name: str, access: Access, operation: str) -> None:
        """Refuse (``InsufficientPrivileges``) unless the caller's scopes allow ``access`` to
        the area of ``type_name``; WS-Security users have every right."""
        self.principal.require(OBJECT_AREAS[type_name], access, f"{operation} on {type_name}")


def _request_id() -> str:
    return str(uuid.uuid4())


def _client_mid(
    options: Mapping[str, Any] | None, obj: Mapping[str, Any] | None = None
) -> int | None:
    for source in (obj or {}, options or {}):
        client = source.get("Client") or {}
        value = client.get("ID") or client.get("ClientID")
        if value:
            return int(value)
    return None


def _overall(results: list[dict[str, Any]]) -> str:
    errors = sum(1 for r in results if r["StatusCode"] == "Error")
    if not errors:
        return "OK"
    return "Error" if errors == len(results) else "Has Errors"


def _error_result(exc: SendwellError, ordinal: int) -> dict[str, Any]:
    return {
        "StatusCode": "Error",
        "StatusMessage": exc.message,
        "OrdinalID": ordinal,
        "ErrorCode": exc.code,
    }


def write_objects(ctx: Context, op: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """Create, Update or Delete: one result per object, each in its own transaction."""
    results: list[dict[str, Any]] = []
    started = False
    for ordinal, obj in enumerate(request.get("Objects") or []):
        type_name = obj.get("__type__", "APIObject")
        try:
            kind = KINDS.get(type_name)
            if kind is None:
                raise SendwellError(
                    f"This operation does not support the APIObject of type [{type_name}]",
                    ERR_UNSUPPORTED_TYPE,
                )
            ctx.require(type_name, WRITE_ACCESS.get(type_name, Access.WRITE), op)
            check_lengths(type_name, obj)
            mid = ctx.principal.acting_mid(_client_mid(request.get("Options"), obj))
            options = request.get("Options")
            action = saving.save_action(options, type_name)
            with ctx.engine.begin() as conn:
                stored, done = saving.save(
                    kind, op, action, conn, mid, saving.without_unsaved(options, obj)
                )
            result: dict[str, Any] = {
                "StatusCode": "OK",
                "StatusMessage": f"{type_name} {done}",
                "OrdinalID": ordinal,
            }
            # A kind may shape its own result (TriggeredSendCreateResult) and say that it
            # queued messages for the workers.
            own = stored.pop("__result__", None)
            if stored.pop("__started__", False):
                started = True
            if op == "Create":
                result.update(NewID=int(stored.get("ID") or 0), NewObjectID=stored.get("ObjectID"))
            if own:
                result = {**result, **own}
            result["Object"] = stored
        except SendwellError as exc:
            result = _error_result(exc, ordinal)
            if op == "Create":
                result["NewID"] = 0
            result["Object"] = bounded_echo(obj)
        results.append(result)
    if started:
        ctx.on_send_started()
    return {"Results": results, "RequestID": _request_id(), "OverallStatus": _overall(results)}


def perform(ctx: Context, request: Mapping[str, Any]) -> dict[str, Any]:
    """Perform: ``start`` on EmailSendDefinitions (the send spine); cancel/pause/resume on
    EmailSendDefinitions (their newest send) and on Sends (by JobID)."""
    action = (request.get("Action") or "").strip()
    definitions = (request.get("Definitions") or {}).get("Definition") or []
    results: list[dict[str, Any]] = []
    started = False
    for ordinal, definition in enumerate(definitions):
        type_name = definition.get("__type__", "APIObject")
        try:
            if type_name == "Send":  # a send job by its JobID: cancel, pause, resume
                results.append(perform_on_send(ctx, request, action, definition))
                continue
            if type_name != "EmailSendDefinition":
                raise SendwellError(
                    f"Cannot perform {shown(action)} on objects of type {type_name}",
                    ERR_CANNOT_PERFORM,
                )
            verb = CONTROL_ACTIONS.get(action.lower(), action.lower())
            if verb not in ("start", "pause", "resume", "cancel"):
                raise SendwellError(
                    f"The action {shown(action)} is not supported for EmailSendDefinition; use "
                    "start, pause, restart or stop.",
                    ESD_NOT_IMPLEMENTED,
                )
            ctx.require(type_name, Access.SEND, f"Perform {action}")
            check_lengths(type_name, definition)
            mid = ctx.principal.acting_mid(_client_mid(request.get("Options"), definition))
            with ctx.engine.begin() as conn:
                if verb == "start":
                    send = start_send(conn, mid, definition, definition.get("SenderProfile"))
                    job_id, interaction, echo = (
                        send.job_id,
                        send.interaction_object_id,
                        send.definition,
                    )
                else:  # pause / restart / stop act on the definition's newest send
                    row = KINDS["EmailSendDefinition"].find(conn, mid, definition)
                    job_id = latest_job_of_definition(conn, mid, row.id)
                    status = control(conn, mid, job_id, verb)
                    interaction, echo = (
                        status,
                        {
                            "__type__": "EmailSendDefinition",
                            "ObjectID": row.object_id,
                            "CustomerKey": row.customer_key,
                        },
                    )
            started = True
            results.append(
                {
                    "StatusCode": "OK",
                    "StatusMessage": "EmailSendDefinition performed",
                    "Object": echo,
                    "Task": {
                        "StatusCode": "OK",
                        "StatusMessage": "OK" if verb == "start" else interaction,
                        "ID": str(job_id),
                        **({"InteractionObjectID": interaction} if verb == "start" else {}),
                    },
                }
            )
        except SendwellError as exc:
            results.append({**_error_result(exc, ordinal), "Object": bounded_echo(definition)})
    if started:
        ctx.on_send_started()
    return {
        "Results": {"Result": results},
        "OverallStatus": _overall(results) if results else "OK",
        "OverallStatusMessage": "",
        "RequestID": _request_id(),
    }


# ---- Perform on a Send: control one send job (a scheduled one too) by its JobID --------------


def perform_on_send(
    ctx: Context, request: Mapping[str, Any], action: str, send: Mapping[str, Any]
) -> dict[str, Any]:
    """``cancel``, ``pause`` or ``resume`` (``stop``, ``restart``) on ``Send{ID}``, as Marketing
    Cloud cancels a scheduled send; a cancelled Scheduled send never goes."""
    verb = CONTROL_ACTIONS.get(action.lower(), action.lower())
    if verb not in JOB_CONTROL_ACTIONS:
        raise SendwellError(
            f"The action {shown(action)} is not supported for Send; use cancel, pause or resume.",
            ERR_CANNOT_PERFORM,
        )
    ctx.require("Send", Access.SEND, f"Perform {action}")
    if send.get("ID") is None:
        raise SendwellError("The Send needs its ID (the JobID).", ERR_GENERAL)
    mid = ctx.principal.acting_mid(_client_mid(request.get("Options"), send))
    try:
        with ctx.engine.begin() as conn:
            status = control(conn, mid, send["ID"], verb)
    except NotFound as exc:  # the store's code is REST's; SOAP's is 3
        raise NotFound(exc.message, ERR_NOT_FOUND) from None
    return {
        "StatusCode": "OK",
        "StatusMessage": "Send performed",
        "Object": {"__type__": "Send", "ID": send["ID"]},
        "Task": {"StatusCode": "OK", "StatusMessage": status, "ID": str(send["ID"])},
    }


def retrieve(ctx: Context, request: Mapping[str, Any]) -> dict[str, Any]:
    """Retrieve with Properties, a filter and paging by ContinueRequest."""
    req = dict(request.get("RetrieveRequest") or {})
    request_id = _request_id()
    try:
        state = _continue(ctx, req) if req.get("ContinueRequest") else _new_state(ctx, req)
        items, more = _page(ctx, state)
    except SendwellError as exc:
        return {"OverallStatus": f"Error: {exc.message}", "RequestID": request_id}
    results = [project(item, state["paths"]) for item in items]
    if more:
        state["offset"] += len(items)
        with ctx.engine.begin() as conn:
            save_cursor(conn, request_id, state["mid"], state)
    return {
        "OverallStatus": "MoreDataAvailable" if more else "OK",
        "RequestID": request_id,
        "Results": results,
    }


def _new_state(ctx: Context, req: Mapping[str, Any]) -> dict[str, Any]:
    object_type = (req.get("ObjectType") or "").strip()
    de_name = None
    type_name = object_type
    if object_type.lower().startswith("dataextensionobject[") and object_type.endswith("]"):
        type_name, de_name = "DataExtensionObject", object_type[len("DataExtensionObject[") : -1]
    kind_name = next((k for k in KINDS if k.lower() == type_name.lower()), None)
    if kind_name is None:
        raise SendwellError(
            f"Object type {shown(object_type)} is not supported for retrieve.", ERR_UNSUPPORTED_TYPE
        )
    ctx.require(kind_name, Access.READ, "Retrieve")
    client_ids = req.get("ClientIDs") or []
    mid = ctx.principal.acting_mid(
        _client_mid(None, {"Client": client_ids[0]} if client_ids else None)
    )
    properties = req.get("Properties") or []
    if not properties:
        raise SendwellError("The Properties of the retrieve are missing.", ERR_GENERAL)
    paths = resolve_properties(kind_name, properties, de_name is not None)
    raw_filter = req.get("Filter")
    if de_name is None:  # typed properties: values must read as their type (int, dateTime)
        tree = parse_filter(raw_filter, lambda prop: property_type(kind_name, prop))
        resolve_properties(kind_name, sorted(properties_of(tree)), False, what="filter")
        raw_filter = read_filter_dates(
            kind_name, raw_filter, lambda text: incoming_date(text, ctx.system_offset_minutes)
        )
    else:  # data extension rows hold text; their filters compare it
        parse_filter(raw_filter)
    batch = int((req.get("Options") or {}).get("BatchSize") or PAGE_SIZE)
    return {
        "mid": mid,
        "type": kind_name,
        "de_name": de_name,
        "paths": paths,
        "filter": _plain(raw_filter),
        "offset": 0,
        "batch": max(1, min(batch, PAGE_SIZE)),
    }


def _continue(ctx: Context, req: Mapping[str, Any]) -> dict[str, Any]:
    with ctx.engine.connect() as conn:
        state = load_cursor(conn, req["ContinueRequest"])
    if state is None:
        raise SendwellError("The ContinueRequest is unknown or has expired.", ERR_GENERAL)
    ctx.principal.acting_mid(state["mid"])  # the same caller, or one allowed there
    ctx.require(state["type"], Access.READ, "Retrieve")
    return state


def _page(ctx: Context, state: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    tree = parse_filter(state["filter"])
    with ctx.engine.connect() as conn:
        if state["de_name"] is not None:
            return DATA_EXTENSION_OBJECT.retrieve_rows(
                conn, state["mid"], state["de_name"], tree, state["offset"], state["batch"]
            )
        return KINDS[state["type"]].retrieve(
            conn, state["mid"], tree, state["offset"], state["batch"]
        )


def _plain(value: Any) -> Any:
    """Filter dicts as JSON (dates as ISO text) for the continuation state."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def describe_objects(ctx: Context, request: Mapping[str, Any]) -> dict[str, Any]:
    wanted = ((request.get("DescribeRequests") or {}).get("ObjectDefinitionRequest")) or []
    definitions = []
    for item in wanted:
        name = item.get("ObjectType") or ""
        kind = next((k for k in KINDS if k.lower() == name.lower()), None)
        if kind is None:
            raise DecodeError(f"Object type {shown(name)} is not supported.")
        ctx.require(kind, Access.READ, "Describe")  # a fault: Describe has no status to carry it
        definitions.append(describe(kind))
    return {"ObjectDefinition": definitions, "RequestID": _request_id()}


def version_info(ctx: Context, request: Mapping[str, Any]) -> dict[str, Any]:
    from sendwell import __version__

    return {
        "VersionInfo": {
            "Version": f"Sendwell {__version__}",
            "VersionDate": datetime(2026, 11, 25),
            "Notes": "Sendwell partner API",
        },
        "RequestID": _request_id(),
    }
