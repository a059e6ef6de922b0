"""The capture API: messages the ``capture://`` transport kept, for the caller's account."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from sendwell.api.rest.auth import object_scoped
from sendwell.domain.limits import MAX_PAGE
from sendwell.domain.permissions import Access
from sendwell.services.accounts import Principal
from sendwell.services.captured import clear_captured, get_captured, list_captured, parsed

router = APIRouter(prefix="/capture/v1", tags=["captured mail"])
# Captured messages are the account's sent email: reading them needs email_read.
READ = object_scoped("Email", Access.READ)
WRITE = object_scoped("Email", Access.WRITE)


@router.get("/messages", summary="List captured messages, newest first")
def messages(
    request: Request,
    job_id: int | None = Query(None, alias="jobId"),
    to: str | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(50, ge=1, le=500, alias="pageSize"),
    principal: Principal = Depends(READ),
) -> dict[str, Any]:
    """Messages the `capture://` transport kept instead of delivering, newest first, filtered by
    `jobId` or recipient (`to`), paged. Sendwell's own (Marketing Cloud has no such inbox).
    Auth: Bearer token; only the token's account is seen."""
    total, items = list_captured(
        request.app.state.engine, principal.mid, job_id, to, (page - 1) * page_size, page_size
    )
    return {
        "count": total,
        "page": page,
        "pageSize": page_size,
        "items": [asdict(i) for i in items],
    }


@router.get("/messages/{message_id}", summary="One captured message, parsed")
def message(
    message_id: int, request: Request, principal: Principal = Depends(READ)
) -> dict[str, Any]:
    """One captured message with its headers and decoded text and HTML parts. Sendwell's own.
    Auth: Bearer token."""
    summary, data = get_captured(request.app.state.engine, principal.mid, message_id)
    return {**asdict(summary), **parsed(data)}


@router.get("/messages/{message_id}/raw", summary="One captured message as sent (RFC 5322)")
def raw(message_id: int, request: Request, principal: Principal = Depends(READ)) -> Response:
    """One captured message byte for byte as it would have gone over SMTP
    (`message/rfc822`). Sendwell's own. Auth: Bearer token."""
    _, data = get_captured(request.app.state.engine, principal.mid, message_id)
    return Response(data, media_type="message/rfc822")


@router.delete("/messages", summary="Delete every captured message of the account")
def clear(request: Request, principal: Principal = Depends(WRITE)) -> dict[str, int]:
    """Deletes every message captured for the token's account. Sendwell's own. Auth: Bearer
    token."""
    return {"deleted": clear_captured(request.app.state.engine, principal.mid)}
