"""Sendwell's admin API for send jobs: status, pause, resume, cancel (Bearer token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from sendwell.api.rest.auth import object_scoped
from sendwell.api.rest.errors import RestError
from sendwell.domain.errors import REST_GENERIC
from sendwell.domain.limits import MAX_PAGE
from sendwell.domain.permissions import Access
from sendwell.services import dashboard
from sendwell.services.accounts import Principal
from sendwell.services.send_control import control, job_row
from sendwell.services.sends import send_to_api

router = APIRouter(prefix="/sendwell/v1/sends", tags=["send jobs (Sendwell)"])
READ = object_scoped("Send", Access.READ)
# Pausing, resuming and cancelling a send are Perform actions on its definition over SOAP.
SEND = object_scoped("EmailSendDefinition", Access.SEND)


def _view(job: Any) -> dict[str, Any]:
    send = send_to_api(job)
    keys = (
        "ID",
        "Status",
        "NumberTargeted",
        "NumberSent",
        "NumberErrored",
        "NumberExcluded",
        "Duplicates",
        "ExistingUnsubscribes",
        "ExistingUndeliverables",
        "Subject",
    )
    view = {k: send.get(k) for k in keys}
    view["NumberDeferred"] = job.deferred
    return view


@router.get("", summary="List send jobs")
def list_sends(
    request: Request,
    status: str | None = None,
    definition: str | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(25, ge=1, le=200, alias="pageSize"),
    principal: Principal = Depends(READ),
) -> dict[str, Any]:
    """The account's send jobs newest first, whatever started them (SOAP, the Send API,
    triggered and transactional definitions), with status, counts, start and end and pace;
    filtered by `status` and `definition` (its ID, CustomerKey or name), paged. Sendwell's own.
    Auth: Bearer token."""
    with request.app.state.engine.connect() as conn:
        total, items = dashboard.list_sends(
            conn, principal.mid, status, definition, page, page_size
        )
    return {
        "count": total,
        "page": page,
        "pageSize": page_size,
        "items": [i.to_json() for i in items],
    }


@router.get("/{job_id}", summary="A send job's status and counts")
def get_send(job_id: str, request: Request, principal: Principal = Depends(READ)) -> dict[str, Any]:
    """A send job's status and counts (targeted, sent, errored, excluded, deferred) by its JobID,
    the ID SOAP `Retrieve` of `Send` also takes. Sendwell's own. Auth: Bearer token."""
    with request.app.state.engine.connect() as conn:
        return _view(job_row(conn, principal.mid, job_id))


@router.post("/{job_id}/{action}", summary="Pause, resume or cancel a send job")
def act(
    job_id: str, action: str, request: Request, principal: Principal = Depends(SEND)
) -> dict[str, Any]:
    """Pauses, resumes or cancels a send job by JobID (`action`: `pause`, `resume`, `cancel`),
    as SOAP `Perform` `pause` / `restart` / `stop` on its definition does. Sendwell's own. Auth:
    Bearer token."""
    if action not in ("pause", "resume", "cancel"):
        raise RestError(404, "Service Not Found", REST_GENERIC)
    with request.app.state.engine.begin() as conn:
        control(conn, principal.mid, job_id, action)  # NotFound: 404, WrongState: 409
        job = job_row(conn, principal.mid, job_id)
    request.app.state.wake_workers()
    return _view(job)
