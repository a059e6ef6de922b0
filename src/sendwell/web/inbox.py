"""The inbox pages: captured messages searched and live, one message in every view.

The message's HTML is served by its own URL (``…/frame``) into an ``<iframe sandbox>``
without ``allow-scripts``, and that response carries its own Content-Security-Policy: no
script, no connection, no remote image unless the person asks for images (``?images=1``), no
form. The raw source and the ``.eml`` download are the bytes as they were captured.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from sendwell.domain.errors import NotFound
from sendwell.services import inbox
from sendwell.web import session
from sendwell.web.render import common, fragment, page

router = APIRouter(prefix="/ui", include_in_schema=False)
FRAME_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:{images}; font-src data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)
LIVE_SECONDS = 600
LIVE_POLL = 1.0


def _common(request: Request) -> tuple[object, dict, dict]:
    person, data = session.current(request)
    return person, data, common(request, person, data)


@router.get("/inbox")
def inbox_page(request: Request, q: str = "", before: int | None = None) -> Response:
    person, _, context = _common(request)
    found = inbox.inbox_page(request.app.state.engine, person.mid, q, before)  # type: ignore[attr-defined]
    return page(request, "inbox.html", **context, found=found, q=q, before=before)


@router.get("/inbox/rows")
def inbox_rows(request: Request, q: str = "", after: int = 0) -> HTMLResponse:
    """Rows newer than ``after`` matching ``q``: what the live inbox puts on top."""
    person, _, _ = _common(request)
    found = inbox.inbox_page(request.app.state.engine, person.mid, q, None, 200)  # type: ignore[attr-defined]
    rows = [r for r in found.items if r.id > after]
    html = fragment("inbox_rows.html", rows=rows)
    return HTMLResponse(html, headers={"X-Newest": str(found.newest), "Cache-Control": "no-store"})


@router.get("/inbox/live")
async def inbox_live(request: Request, after: int = 0) -> StreamingResponse:
    """Server-sent events: the newest message id, each time a message arrives."""
    person, _, _ = _common(request)
    engine = request.app.state.engine

    async def events() -> AsyncIterator[str]:
        newest = after
        deadline = time.monotonic() + LIVE_SECONDS
        yield "retry: 2000\n\n"
        while time.monotonic() < deadline and not await request.is_disconnected():
            now = await asyncio.to_thread(inbox.newest_id, engine, person.mid)  # type: ignore[attr-defined]
            if now > newest:
                yield f"data: {json.dumps({'newest': now})}\n\n"
                newest = now
            await asyncio.sleep(LIVE_POLL)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


def _message(request: Request, message_id: str) -> tuple[object, dict, inbox.Message | None]:
    person, _, context = _common(request)
    try:
        return person, context, inbox.open_message(request.app.state.engine, person.mid, message_id)  # type: ignore[attr-defined]
    except NotFound:
        return person, context, None


def _missing(request: Request, context: dict, message_id: str) -> Response:
    person = context["person"]
    return page(
        request,
        "message_only.html",
        404,
        **context,
        title="Not found",
        text=f"Message {message_id} was not found in {person.unit_name}.",
    )


@router.get("/messages/{message_id}.eml")
def message_eml(request: Request, message_id: str) -> Response:
    _, context, message = _message(request, message_id)
    if message is None:
        return _missing(request, context, message_id)
    return Response(
        message.raw,
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="message-{message.id}.eml"'},
    )


@router.get("/messages/{message_id}")
def message_page(request: Request, message_id: str, check: int = 0) -> Response:
    _, context, message = _message(request, message_id)
    if message is None:
        return _missing(request, context, message_id)
    if check:
        settings = request.app.state.settings
        own = str(request.base_url).rstrip("/")
        inbox.check_links(message.links, own, settings.link_check_network)
    return page(
        request,
        "message.html",
        **context,
        message=message,
        checked=bool(check),
        raw=message.raw.decode("utf-8", "replace"),
    )


@router.get("/messages/{message_id}/frame")
def message_frame(request: Request, message_id: str, images: int = 0) -> Response:
    """The HTML part alone, under a policy that lets nothing run or load (images if asked)."""
    _, _, message = _message(request, message_id)
    if message is None:
        return Response("not found", status_code=404, media_type="text/plain")
    body = (
        message.html
        if message.html is not None
        else ("<pre>" + (message.text or "").replace("&", "&amp;").replace("<", "&lt;") + "</pre>")
    )
    headers = {
        "Content-Security-Policy": FRAME_CSP.format(images=" http: https:" if images else ""),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(body, headers=headers)


@router.get("/messages/{message_id}/raw")
def message_raw(request: Request, message_id: str) -> Response:
    _, context, message = _message(request, message_id)
    if message is None:
        return _missing(request, context, message_id)
    return Response(
        message.raw,
        media_type="text/plain; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )
