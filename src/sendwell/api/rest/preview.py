"""``POST /sendwell/v1/preview``: an email of the caller's account, rendered for one subscriber.

Body: ``{"emailId": 12, "subscriberKey": "SK-1", "attributes": {"FirstName": "Ann"}}``
(``subscriberKey`` and ``attributes`` optional; given attributes override the subscriber's).
Answer: ``{"subject", "html", "text"}``. Content that does not compile or run answers 400 with
the part, line and column; ``RaiseError`` answers 400 with its message and ``raiseError``.
Sendwell's own route, outside every Marketing Cloud prefix.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from sendwell.api.rest.auth import object_scoped
from sendwell.api.rest.errors import DOCS, RestError
from sendwell.api.rest.json_body import json_object
from sendwell.config import resolve_secret_key
from sendwell.domain.ampscript import AmpscriptError, RecipientSkipped
from sendwell.domain.errors import REST_INVALID_TYPE, REST_INVALID_VALUE
from sendwell.domain.permissions import Access
from sendwell.services.accounts import Principal
from sendwell.services.ampscript_http import PreviewHttp
from sendwell.services.preview import preview_email

router = APIRouter(tags=["preview"])
READ = object_scoped("Email", Access.READ)


@router.post("/sendwell/v1/preview", summary="Render an email for one subscriber (Sendwell)")
async def preview(request: Request, principal: Principal = Depends(READ)) -> JSONResponse:
    """Renders an email of the account (`emailId`) for one subscriber (`subscriberKey`, and
    `attributes` that override its own): subject, HTML and text, personalization and AMPscript
    run, lookups into the account's data extensions, as Marketing Cloud's preview shows it.
    Sendwell's own. Auth: Bearer token."""
    body = await json_object(request)
    email_id = body.get("emailId")
    if isinstance(email_id, str) and email_id.strip().isdigit():
        email_id = int(email_id)
    if not isinstance(email_id, int) or isinstance(email_id, bool):
        raise RestError(400, "emailId must be the number of an email", REST_INVALID_TYPE)
    key = body.get("subscriberKey")
    attributes = body.get("attributes")
    attributes = {} if attributes is None else attributes
    if key is not None and not isinstance(key, str):
        raise RestError(400, "subscriberKey must be a string", REST_INVALID_TYPE)
    if not isinstance(attributes, dict):
        raise RestError(400, "attributes must be a JSON object", REST_INVALID_TYPE)
    state = request.app.state
    try:
        parts = await run_in_threadpool(
            preview_email,
            state.engine,
            principal.mid,
            email_id,
            key,
            attributes,
            state.settings.system_utc_offset_minutes,
            resolve_secret_key(state.settings),
            PreviewHttp.from_settings(state.settings),
            state.settings.ampscript_pages_url,
        )
    except AmpscriptError as exc:
        return _error(str(exc), part=exc.part, line=exc.line, column=exc.column)
    except RecipientSkipped as exc:
        return _error(f"RaiseError: {exc.message}", raiseError=True, line=exc.line)
    return JSONResponse(parts)


def _error(message: str, **details: Any) -> JSONResponse:
    return JSONResponse(
        {"message": message, "errorcode": REST_INVALID_VALUE, "documentation": DOCS, **details},
        status_code=400,
    )
