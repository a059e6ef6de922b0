"""The pages a person uses: sign in, sends (live), definitions, faults; the inbox is
``web.inbox``. Server-rendered Jinja2, a little JavaScript of Sendwell's own, server-sent
events for live progress.

A person signs in with an API user (``services.logins``: throttled like every other login),
acts for one business unit at a time among those it may act for, and sees only that unit's
sends and messages: another account's send or message is a 404, by URL too.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from sendwell.domain.errors import LoginThrottled, NotFound, SendwellError, WrongState
from sendwell.services import dashboard, faults
from sendwell.services.people import Person
from sendwell.services.send_control import control
from sendwell.services.sends import start_send
from sendwell.web import inbox, session
from sendwell.web.render import STATIC, common, page

router = APIRouter(prefix="/ui", include_in_schema=False)
LIVE_SECONDS = 600  # a live stream ends after this; the browser's EventSource reconnects
LIVE_POLL = 0.5


def install(app: FastAPI) -> None:
    """Add the pages, their assets and the short addresses (``/``, ``/ui``, ``/inbox``)."""
    app.include_router(router)
    app.include_router(inbox.router)
    app.add_exception_handler(session.SignInRequired, _sign_in_first)
    app.add_exception_handler(session.CsrfRejected, _csrf_rejected)
    for path, target in (("/", "/ui/sends"), ("/ui", "/ui/sends"), ("/inbox", "/ui/inbox")):
        app.add_api_route(path, _redirect_to(target), methods=["GET"], include_in_schema=False)


def _redirect_to(target: str) -> Callable[[], RedirectResponse]:
    def redirect() -> RedirectResponse:
        return RedirectResponse(target, status_code=303)

    return redirect


async def _sign_in_first(request: Request, _: Exception) -> Response:
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("accept", "").startswith("text/event-stream"):
        return Response("sign in first", status_code=401)
    return RedirectResponse("/ui/login?next=" + quote(wanted), status_code=303)


async def _csrf_rejected(request: Request, _: Exception) -> Response:
    return page(
        request,
        "message_only.html",
        403,
        title="Refused",
        text="The form had expired "
        "or came from another site (CSRF check). Go back, reload the page, try again.",
    )


def _safe_next(value: str | None) -> str:
    """Only a path of this site: a sign-in link cannot send a person elsewhere."""
    if not value or not value.startswith("/") or value.startswith("//") or urlsplit(value).netloc:
        return "/ui/sends"
    return value


# --- sign in ------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    token = request.cookies.get(session.LOGIN_CSRF_COOKIE) or session.new_session(0, 0)["c"]
    response = page(request, "login.html", next=_safe_next(next), csrf=token, error=None)
    response.set_cookie(session.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/ui/sends"),
) -> Response:
    expected = request.cookies.get(session.LOGIN_CSRF_COOKIE, "")
    if not expected or csrf != expected:
        raise session.CsrfRejected()
    address = request.client.host if request.client else None
    try:
        principal = await request.app.state.logins.user(username[:200], password[:1000], address)
    except LoginThrottled as exc:
        return _login_again(request, next, csrf, exc.message, 429)
    except SendwellError:
        return _login_again(request, next, csrf, "Login failed: wrong user name or password.", 401)
    data = session.new_session(principal.id, principal.mid)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        session.COOKIE, session.sign(request, data), **session.cookie_options(request)
    )
    response.delete_cookie(session.LOGIN_CSRF_COOKIE)
    return response


def _login_again(request: Request, next: str, csrf: str, error: str, status: int) -> Response:
    return page(request, "login.html", status, next=_safe_next(next), csrf=csrf, error=error)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    _, data = session.current(request)
    session.check_csrf(data, csrf)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(session.COOKIE, path="/")
    return response


@router.post("/switch")
def switch(request: Request, mid: int = Form(...), csrf: str = Form("")) -> Response:
    """Act for another business unit the person may act for."""
    person, data = session.current(request)
    session.check_csrf(data, csrf)
    if mid not in person.allowed:
        return page(
            request,
            "message_only.html",
            404,
            title="Not found",
            text=f"There is no business unit {mid} you may act for.",
        )
    response = RedirectResponse("/ui/sends", status_code=303)
    cookie = session.sign(request, {**data, "m": mid})
    response.set_cookie(session.COOKIE, cookie, **session.cookie_options(request))
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        return Response("not found", status_code=404)
    return FileResponse(path, headers={"Cache-Control": "max-age=300"})


# --- sends --------------------------------------------------------------------------------


@router.get("/sends")
def sends(
    request: Request, status: str | None = None, definition: str | None = None, page_no: int = 1
) -> Response:
    person, data = session.current(request)
    with request.app.state.engine.connect() as conn:
        total, items = dashboard.list_sends(
            conn, person.mid, status or None, definition or None, page_no, 25
        )
    return page(
        request,
        "sends.html",
        **common(request, person, data),
        items=items,
        total=total,
        page_no=page_no,
        status=status or "",
        definition=definition or "",
        statuses=("Scheduled", "Sending", "Paused", "Complete", "Canceled", "Error"),
    )


@router.get("/sends/live")
async def sends_live(request: Request, job: int | None = None) -> StreamingResponse:
    """Server-sent events: the counts of the unit's running sends (or of ``job``) each time
    they change; the stream of one job ends once it has ended."""
    person, _ = session.current(request)
    engine = request.app.state.engine

    def snapshot() -> list[dict[str, Any]]:
        with engine.connect() as conn:
            if job is not None:
                return [dashboard.send_summary(conn, person.mid, job).to_json()]
            _, items = dashboard.list_sends(conn, person.mid, None, None, 1, 25)
            return [i.to_json() for i in items]

    async def events() -> AsyncIterator[str]:
        last = None
        deadline = time.monotonic() + LIVE_SECONDS
        yield "retry: 2000\n\n"
        while time.monotonic() < deadline and not await request.is_disconnected():
            try:
                items = await asyncio.to_thread(snapshot)
            except NotFound:
                yield "event: gone\ndata: {}\n\n"
                return
            text = json.dumps({"sends": items}, separators=(",", ":"))
            if text != last:
                yield f"data: {text}\n\n"
                last = text
            if (
                job is not None
                and items
                and items[0]["status"] in ("Complete", "Canceled", "Error")
            ):
                yield "event: done\ndata: {}\n\n"
                return
            await asyncio.sleep(LIVE_POLL)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.get("/sends/{job_id}")
def send_page(
    request: Request, job_id: str, q: str = "", status: str = "", page_no: int = 1
) -> Response:
    person, data = session.current(request)
    try:
        with request.app.state.engine.connect() as conn:
            send = dashboard.send_summary(conn, person.mid, job_id)
            total, rows = dashboard.recipients(
                conn, person.mid, job_id, q, status or None, page_no, 50
            )
            timeline = dashboard.timeline(conn, person.mid, job_id)
    except NotFound:
        return not_found(request, person, data, f"Send {job_id}")
    return page(
        request,
        "send.html",
        **common(request, person, data),
        send=send,
        recipients=rows,
        total=total,
        q=q,
        status=status,
        page_no=page_no,
        pages=max(1, -(-total // 50)),
        timeline=timeline,
    )


@router.post("/sends/{job_id}/{action}")
def send_action(request: Request, job_id: str, action: str, csrf: str = Form("")) -> Response:
    """Pause, resume or cancel (``services.send_control``, as every API does)."""
    person, data = session.current(request)
    session.check_csrf(data, csrf)
    try:
        with request.app.state.engine.begin() as conn:
            control(conn, person.mid, job_id, action)
    except NotFound:
        return not_found(request, person, data, f"Send {job_id}")
    except WrongState as exc:
        return page(
            request,
            "message_only.html",
            409,
            **common(request, person, data),
            title="Not possible",
            text=exc.message,
        )
    request.app.state.wake_workers()
    return RedirectResponse(f"/ui/sends/{job_id}", status_code=303)


def not_found(request: Request, person: Person, data: dict[str, Any], what: str) -> Response:
    """The 404 page: the same for what does not exist and for what another account owns."""
    return page(
        request,
        "message_only.html",
        404,
        **common(request, person, data),
        title="Not found",
        text=f"{what} was not found in {person.unit_name}.",
    )


# --- definitions --------------------------------------------------------------------------


@router.get("/definitions")
def definitions(request: Request, started: int | None = None, error: str | None = None) -> Response:
    person, data = session.current(request)
    with request.app.state.engine.connect() as conn:
        esds, send_api = dashboard.definitions(conn, person.mid)
    return page(
        request,
        "definitions.html",
        **common(request, person, data),
        esds=esds,
        send_api=send_api,
        started=started,
        error=error,
    )


@router.post("/definitions/start")
def start_definition(request: Request, key: str = Form(...), csrf: str = Form("")) -> Response:
    """Perform start of an EmailSendDefinition, as SOAP ``Perform`` does."""
    person, data = session.current(request)
    session.check_csrf(data, csrf)
    try:
        with request.app.state.engine.begin() as conn:
            started = start_send(conn, person.mid, {"CustomerKey": key[:200]})
    except SendwellError as exc:
        return RedirectResponse(
            "/ui/definitions?error=" + quote(exc.message[:300]), status_code=303
        )
    request.app.state.wake_workers()
    return RedirectResponse(f"/ui/sends/{started.job_id}", status_code=303)


# --- faults -------------------------------------------------------------------------------


@router.get("/faults")
def faults_page(request: Request) -> Response:
    person, data = session.current(request)
    engine = request.app.state.engine
    return page(
        request,
        "faults.html",
        **common(request, person, data),
        enabled=request.app.state.settings.fault_injection,
        faults=faults.listed(engine, person.mid),
        log=faults.history(engine, person.mid),
    )


@router.post("/faults/clear")
def faults_clear(request: Request, csrf: str = Form("")) -> Response:
    person, data = session.current(request)
    session.check_csrf(data, csrf)
    faults.clear(request.app.state.engine, person.mid)
    request.app.state.faults.expire()
    return RedirectResponse("/ui/faults", status_code=303)
