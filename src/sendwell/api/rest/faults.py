"""Sendwell's fault injection API: make the next calls of an account fail, list, clear.

Off unless the operator sets ``SENDWELL_FAULT_INJECTION=true`` (403 otherwise). A token acts
on its own account's faults; adding or clearing needs ``accounts_write``, listing
``accounts_read`` (an installed package that may manage the account's business units may
break its calls too).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Request

from sendwell.api.rest.auth import scoped
from sendwell.api.rest.json_body import json_object
from sendwell.domain.errors import Invalid
from sendwell.domain.faults import fault_spec
from sendwell.domain.limits import parse_id
from sendwell.domain.permissions import ACCOUNTS, Access
from sendwell.services import faults
from sendwell.services.accounts import Principal

router = APIRouter(prefix="/sendwell/v1/faults", tags=["fault injection (Sendwell)"])
READ = scoped(ACCOUNTS, Access.READ)
WRITE = scoped(ACCOUNTS, Access.WRITE)
FIELDS = {
    "target": str,
    "kind": str,
    "match": str,
    "code": int,
    "message": str,
    "share": float,
    "count": int,
    "delayMs": int,
    "retryAfter": int,
}


def _view(fault: faults.Fault) -> dict[str, Any]:
    view = asdict(fault)
    view["delayMs"] = view.pop("delay_ms")
    view["retryAfter"] = view.pop("retry_after")
    view["description"] = fault.describe()
    return view


@router.post("", summary="Inject a fault", status_code=201)
async def add(request: Request, principal: Principal = Depends(WRITE)) -> dict[str, Any]:
    """Makes the next `count` (or a `share` of, or every) matching call of the token's account
    fail: `target` `soap` (`match`: an operation), `rest` (`match`: a path prefix), `token`, or
    `transport` (a share of recipients); `kind` `soap_fault`, `object_error` (`code`: the
    ErrorCode), `token_expired`, `rate_limit` (`retryAfter`), `server_error`, `delay`
    (`delayMs`), `smtp_reply` (`code`: 421, 451, 550 …). Sendwell's own. Auth: Bearer token."""
    body = await json_object(request)
    values: dict[str, Any] = {}
    for name, kind in FIELDS.items():
        value = body.get(name)
        if value is None:
            continue
        numeric = (
            kind in (int, float) and isinstance(value, int | float) and not isinstance(value, bool)
        )
        if not (numeric or isinstance(value, kind)):
            raise Invalid(f"{name} must be a {'number' if kind in (int, float) else 'string'}.")
        values[name] = kind(value)
    if "target" not in values or "kind" not in values:
        raise Invalid("target and kind are required.")
    spec = fault_spec(
        values.pop("target"),
        values.pop("kind"),
        delay_ms=values.pop("delayMs", None),
        retry_after=values.pop("retryAfter", None),
        **values,
    )
    fault = faults.add(request.app.state.engine, _enabled(request), principal.mid, spec)
    request.app.state.faults.expire()
    return _view(fault)


@router.get("", summary="List injected faults")
def listed(request: Request, principal: Principal = Depends(READ)) -> dict[str, Any]:
    """The token's account's faults in force, with their hits so far, and the newest injected
    faults. Sendwell's own. Auth: Bearer token."""
    faults.require_enabled(_enabled(request))
    engine = request.app.state.engine
    items = [_view(f) for f in faults.listed(engine, principal.mid)]
    log = [
        {"faultId": r.fault_id, "at": r.at.isoformat(), "what": r.what}
        for r in faults.history(engine, principal.mid)
    ]
    return {"count": len(items), "items": items, "log": log}


@router.delete("", summary="Clear every injected fault")
def clear_all(request: Request, principal: Principal = Depends(WRITE)) -> dict[str, int]:
    """Removes every fault of the token's account. Sendwell's own. Auth: Bearer token."""
    faults.require_enabled(_enabled(request))
    removed = faults.clear(request.app.state.engine, principal.mid)
    request.app.state.faults.expire()
    return {"deleted": removed}


@router.delete("/{fault_id}", summary="Clear one injected fault")
def clear_one(
    fault_id: str, request: Request, principal: Principal = Depends(WRITE)
) -> dict[str, int]:
    """Removes one fault of the token's account by id. Sendwell's own. Auth: Bearer token."""
    faults.require_enabled(_enabled(request))
    number = parse_id(fault_id)
    removed = faults.clear(request.app.state.engine, principal.mid, number) if number else 0
    request.app.state.faults.expire()
    return {"deleted": removed}


def _enabled(request: Request) -> bool:
    return bool(request.app.state.settings.fault_injection)
