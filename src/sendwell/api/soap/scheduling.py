"""The partner API's ``Schedule`` operation: ``start`` an EmailSendDefinition at a time.

One result per ``Interaction``, each in its own transaction, as ``Perform`` does: the reply's
``Task.ID`` is the JobID of a ``Send`` in status Scheduled, retrievable and cancellable (Perform
``cancel`` on ``Send``) like any send. Dates arrive as naive UTC from the codec (a date without
an offset was read as system time) and the echo is written back in system time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sendwell.api.soap.operations import (
    Context,
    _client_mid,
    _error_result,
    _overall,
    _request_id,
)
from sendwell.domain.errors import (
    ERR_CANNOT_PERFORM,
    ERR_NO_OBJECT,
    ESD_NOT_IMPLEMENTED,
    SendwellError,
    shown,
)
from sendwell.domain.limits import bounded_echo, check_lengths
from sendwell.domain.permissions import Access
from sendwell.services.schedules import schedule_send


def schedule(ctx: Context, request: Mapping[str, Any]) -> dict[str, Any]:
    """Schedule: ``start`` each EmailSendDefinition interaction as the ScheduleDefinition says."""
    action = (request.get("Action") or "").strip()
    definition = request.get("Schedule") or {}
    interactions = (request.get("Interactions") or {}).get("Interaction") or []
    echo = _echo(definition)
    results: list[dict[str, Any]] = []
    for ordinal, interaction in enumerate(interactions or [None]):
        try:
            results.append(_schedule_one(ctx, request, action, definition, interaction, echo))
        except SendwellError as exc:
            failed = {"StatusCode": "Error", "StatusMessage": exc.message, "ErrorCode": exc.code}
            # Task is required by the schema: strict clients get one, saying the same.
            results.append({**_error_result(exc, ordinal), "Object": echo, "Task": failed})
    if any(r["StatusCode"] == "OK" for r in results):
        ctx.on_send_started()  # a due schedule is taken by the workers' poll; wake them anyway
    return {
        "Results": {"Result": results},
        "OverallStatus": _overall(results),
        "OverallStatusMessage": "",
        "RequestID": _request_id(),
    }


def _schedule_one(
    ctx: Context,
    request: Mapping[str, Any],
    action: str,
    definition: Mapping[str, Any],
    interaction: Mapping[str, Any] | None,
    echo: dict[str, Any],
) -> dict[str, Any]:
    if interaction is None:
        raise SendwellError("No object specified at 0-based index 0", ERR_NO_OBJECT)
    type_name = interaction.get("__type__", "APIObject")
    if type_name != "EmailSendDefinition":
        raise SendwellError(
            f"Cannot perform Schedule on objects of type {type_name}", ERR_CANNOT_PERFORM
        )
    if action.lower() != "start":
        raise SendwellError(
            f"The action {shown(action)} is not supported for Schedule; use start.",
            ESD_NOT_IMPLEMENTED,
        )
    ctx.require(type_name, Access.SEND, "Schedule")  # the scope Perform start needs
    check_lengths(type_name, interaction)
    mid = ctx.principal.acting_mid(_client_mid(request.get("Options"), interaction))
    with ctx.engine.begin() as conn:
        send = schedule_send(
            conn,
            mid,
            interaction,
            definition,
            interaction.get("SenderProfile"),
            ctx.system_offset_minutes,
        )
    return {
        "StatusCode": "OK",
        "StatusMessage": "EmailSendDefinition scheduled",
        "Object": echo,
        "Task": {"StatusCode": "OK", "StatusMessage": "OK", "ID": str(send.job_id)},
    }


def _echo(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The ScheduleDefinition as the caller sent it, with PartnerKey and ObjectID nil, as in
    Marketing Cloud's documented reply; its dates are written in system time by the codec."""
    given = {k: v for k, v in bounded_echo(definition, "ScheduleDefinition").items()}
    given.pop("__type__", None)
    return {"PartnerKey": None, "ObjectID": None, **given}
