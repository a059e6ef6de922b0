"""The partner API's ``Configure``, ``Execute`` and ``Extract`` operations.

``Configure`` declares profile attributes (``PropertyDefinition``, as FuelSDK's
``ET_ProfileAttribute``); ``Execute`` runs ``LogUnsubEvent``, the documented way to unsubscribe
through the API; ``Extract`` (data and tracking extracts to FTP) is answered with a result
that says Sendwell does not support it, never a fault. Each request is its own transaction;
its problem is its own result, as ``operations`` does for objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sendwell.api.soap.operations import Context
from sendwell.domain.errors import ERR_CANNOT_PERFORM, SendwellError, shown
from sendwell.domain.limits import bounded_echo
from sendwell.domain.permissions import LIST_AND_SUBSCRIBERS, TRACKING_EVENTS, Access
from sendwell.services.profile_attributes import configure as configure_attribute
from sendwell.services.unsubscribes import log_unsub_event

EXECUTABLE = {"logunsubevent": "LogUnsubEvent"}


def _overall(results: list[Mapping[str, Any]]) -> str:
    errors = sum(1 for r in results if r["StatusCode"] == "Error")
    if not errors:
        return "OK"
    return "Error" if errors == len(results) else "Has Errors"


def _client_mid(options: Mapping[str, Any] | None) -> int | None:
    client = (options or {}).get("Client") or {}
    value = client.get("ID") or client.get("ClientID")
    return int(value) if value else None


def configure(ctx: Context, request: Mapping[str, Any]) -> dict[str, Any]:
    """Configure: create, update or delete profile attributes (``PropertyDefinition``)."""
    action = request.get("Action") or ""
    configurations = (request.get("Configurations") or {}).get("Configuration") or []
    results: list[dict[str, Any]] = []
    for ordinal, item in enumerate(configurations):
        type_name = item.get("__type__", "APIObject")
        try:
            if type_name != "PropertyDefinition":
                raise SendwellError(
                    f"Configure does not support objects of type {type_name}; it takes "
                    "PropertyDefinition (profile attributes).",
                    ERR_CANNOT_PERFORM,
                )
            # A profile attribute is a subscriber attribute: the subscribers' write scope.
            ctx.principal.require(LIST_AND_SUBSCRIBERS, Access.WRITE, "Configure")
            mid = ctx.principal.acting_mid(_client_mid(request.get("Options")))
            with ctx.engine.begin() as conn:
                stored = configure_attribute(conn, mid, action, item)
            past = {"create": "created", "update": "updated", "delete": "deleted"}
            message = f"PropertyDefinition {past[action.strip().lower()]}"
            results.append(
                {
                    "StatusCode": "OK",
                    "StatusMessage": message,
                    "OrdinalID": ordinal,
                    "Object": stored,
                }
            )
        except SendwellError as exc:
            results.append(
                {
                    "StatusCode": "Error",
                    "StatusMessage": exc.message,
                    "OrdinalID": ordinal,
                    "ErrorCode": exc.code,
                    "Object": bounded_echo(item),
                }
            )
    return {
        "Results": {"Result": results},
        "OverallStatus": _overall(results) if results else "OK",
        "OverallStatusMessage": "",
        "RequestID": str(uuid.uuid4()),
    }


def execute(ctx: Context, request: Mapping[str, Any]) -> dict[str, Any]:
    """Execute: ``LogUnsubEvent`` requests, each with its Parameters (Name/Value pairs)."""
    results: list[dict[str, Any]] = []
    for ordinal, item in enumerate(request.get("Requests") or []):
        name = str(item.get("Name") or "")
        try:
            if name.strip().lower() not in EXECUTABLE:
                raise SendwellError(
                    f"The Execute request {shown(name)} is not supported; Sendwell runs "
                    "LogUnsubEvent.",
                    ERR_CANNOT_PERFORM,
                )
            # Unsubscribing writes subscribers and logs a tracking event.
            ctx.principal.require(LIST_AND_SUBSCRIBERS, Access.WRITE, "Execute LogUnsubEvent")
            ctx.principal.require(TRACKING_EVENTS, Access.WRITE, "Execute LogUnsubEvent")
            mid = ctx.principal.acting_mid(_client_mid(item))
            parameters = {
                str(p.get("Name") or ""): str(p.get("Value") or "")
                for p in item.get("Parameters") or []
            }
            with ctx.engine.begin() as conn:
                message = log_unsub_event(conn, mid, parameters)
            results.append({"StatusCode": "OK", "StatusMessage": message, "OrdinalID": ordinal})
        except SendwellError as exc:
            results.append(
                {
                    "StatusCode": "Error",
                    "StatusMessage": exc.message,
                    "OrdinalID": ordinal,
                    "ErrorCode": exc.code,
                }
            )
    return {
        "OverallStatus": _overall(results) if results else "OK",
        "RequestID": str(uuid.uuid4()),
        "Results": results,
    }


def extract(ctx: Context, request: Mapping[str, Any]) -> dict[str, Any]:
    """Extract: one Error result per request, saying that extracts are not supported."""
    results = [
        {
            "ExtractResult": {
                "StatusCode": "Error",
                "StatusMessage": "Extract is not supported by Sendwell: retrieve the objects "
                "(SentEvent, OpenEvent, DataExtensionObject, …) over Retrieve instead.",
                "OrdinalID": ordinal,
                "ErrorCode": ERR_CANNOT_PERFORM,
            }
        }
        for ordinal, _ in enumerate(request.get("Requests") or [None])
    ]
    return {"OverallStatus": "Error", "RequestID": str(uuid.uuid4()), "Results": results}
