"""The links inside sent messages: open pixel, click redirect, unsubscribe, profile center.

Every URL carries a recipient's signed token (``sendwell.domain.tracking``). A bad token records
nothing: the pixel still answers with its image, the click and the pages with a small 404 page
(HTML: a recipient's browser opens these links, never an API client). The click redirects only
to a URL stored for the token's job, never to one taken from the request.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sendwell.services import events

log = logging.getLogger("sendwell.tracking")

router = APIRouter(prefix="/t", tags=["tracking"])

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True),
)
_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_CACHE = {
    "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0",
    "Pragma": "no-cache",
    "Expires": "0",
}
# The token is in the URL: pages must not leak it in a Referer, be framed, or be indexed.
_PAGE_HEADERS = {
    **_NO_CACHE,
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


def _key(request: Request) -> bytes:
    return events.key_for(request.app.state.settings)


@router.get("/o/{token}.gif", summary="Open pixel", response_class=Response)
def open_pixel(token: str, request: Request) -> Response:
    """Records an open of the message the token names and answers the 1×1 GIF (always, even for
    a bad token), as Marketing Cloud's open-tracking pixel does. No auth: the signed token."""
    try:
        events.record_open(request.app.state.engine, _key(request), token)
    except Exception:  # a tracking failure must never show as a broken image
        log.exception("open not recorded")
    return Response(_GIF, media_type="image/gif", headers=_NO_CACHE)


@router.get(
    "/c/{token}/{url_id}",
    summary="Click redirect",
    response_class=Response,
    responses={302: {"description": "To the link"}, 404: {"description": "A bad token or link"}},
)
def click(token: str, url_id: str, request: Request) -> Response:
    """Records a click on link `url_id` of the message and redirects (302) to that link of the
    send job, as Marketing Cloud's click-tracking redirect does; a bad token or link number gets
    404 and never a redirect elsewhere. No auth: the signed token."""
    if not (url_id.isascii() and url_id.isdigit() and len(url_id) <= 9):
        return _invalid_page()
    target = events.click(request.app.state.engine, _key(request), token, int(url_id))
    if target is None:
        return _invalid_page()
    return RedirectResponse(
        target, status_code=302, headers={**_NO_CACHE, "Referrer-Policy": "no-referrer"}
    )


@router.get("/u/{token}", summary="Unsubscribe page", response_class=HTMLResponse)
def unsubscribe_page(token: str, request: Request) -> HTMLResponse:
    """The unsubscribe page behind `%%unsub_center_url%%` and `List-Unsubscribe`: a confirmation
    form (a GET never unsubscribes, for link scanners' sake). No auth: the signed token."""
    recipient = events.recipient_status(request.app.state.engine, _key(request), token)
    return _page("tracking_unsubscribe.html", recipient, action="")


@router.post("/u/{token}", summary="Unsubscribe (one-click)", response_class=HTMLResponse)
def unsubscribe(token: str, request: Request) -> HTMLResponse:
    """Unsubscribes the recipient from the account (later commercial sends skip it): RFC 8058
    one-click (`List-Unsubscribe=One-Click`) and the page's form, as Marketing Cloud's
    unsubscribe does. No auth: the signed token."""
    recipient = events.unsubscribe(request.app.state.engine, _key(request), token)
    return _page("tracking_unsubscribe.html", recipient, action="")


@router.get("/p/{token}", summary="Profile center", response_class=HTMLResponse)
def profile_center(token: str, request: Request) -> HTMLResponse:
    """The profile center behind `%%profile_center_url%%`: the subscriber's address and status,
    and an unsubscribe button. No auth: the signed token."""
    recipient = events.recipient_status(request.app.state.engine, _key(request), token)
    # Relative to /t/p/{token}, so it also works behind a proxy that adds a path prefix.
    return _page("tracking_profile.html", recipient, action=f"../u/{token}")


@router.get("/{rest:path}", include_in_schema=False)
def cut_link(rest: str) -> HTMLResponse:
    """A link cut short or mangled by a mail client (``/t/c/{token}``): the same 404 page.
    No auth."""
    return _invalid_page()


def _invalid_page() -> HTMLResponse:
    html = _templates.get_template("tracking_invalid.html").render()
    return HTMLResponse(html, status_code=404, headers=_PAGE_HEADERS)


def _page(name: str, recipient: events.Recipient | None, **context: Any) -> HTMLResponse:
    if recipient is None:
        return _invalid_page()
    html = _templates.get_template(name).render(recipient=recipient, **context)
    return HTMLResponse(html, headers=_PAGE_HEADERS)
