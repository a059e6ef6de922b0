"""The ASGI application: SOAP partner API, OAuth, REST routes, and in-process workers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from email.utils import formatdate
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sendwell import __version__
from sendwell.api import access_log, docs, observability
from sendwell.api.asgi import BodyLimit, CatchUnexpected, CollapseSlashes
from sendwell.api.fault_injection import InjectFaults
from sendwell.api.observability import RequestMetrics
from sendwell.api.rest import (
    assets,
    auth,
    campaigns,
    captured,
    data_rows,
    dataevents,
    legacy_triggered,
    lookups,
    preview,
    send_api,
    sends_admin,
    transactional,
)
from sendwell.api.rest import (
    faults as faults_api,
)
from sendwell.api.rest.errors import (
    DOCS,
    OAuthError,
    RestError,
    domain_error_handler,
    error_body,
    oauth_error_handler,
    rest_error_handler,
)
from sendwell.api.soap import views as soap_views
from sendwell.config import Settings, api_threads
from sendwell.domain.errors import REST_GENERIC, SendwellError
from sendwell.engine.bounces import BounceListener
from sendwell.engine.worker import WorkerPool
from sendwell.services.accounts import Accounts
from sendwell.services.faults import FaultBook
from sendwell.services.logins import LoginGuard, Logins
from sendwell.store.db import make_engine, upgrade
from sendwell.web import authorize as authorize_page
from sendwell.web import pages as web_pages
from sendwell.web import tracking as tracking_links

# Paths clients spell in more than one case (FuelSDK posts to /service.asmx).
CASE_INSENSITIVE = {
    p.lower(): p for p in ("/Service.asmx", "/etframework.wsdl", "/ETFrameworkFault.xsd")
}


class CaseInsensitivePaths:
    """Route ``/service.asmx``, ``/ETFramework.wsdl`` … to their canonical spelling."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            canonical = CASE_INSENSITIVE.get(scope["path"].lower())
            if canonical and canonical != scope["path"]:
                scope = {**scope, "path": canonical, "raw_path": canonical.encode()}
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None, start_workers: bool = True) -> FastAPI:
    """Build the application; the database is migrated and workers start with it."""
    settings = settings or Settings.from_env()
    access_log.install()  # before uvicorn logs a request: tokens in query strings stay out
    engine = make_engine(settings.database_url)
    upgrade(engine)
    workers: Any = None  # a WorkerPool, or the Celery workers' Waker
    if settings.broker_url and start_workers:  # Celery workers deliver; this only tells them
        from sendwell.engine.celery_app import Waker  # Celery is imported only when used

        workers = Waker(engine, settings)
    elif start_workers:
        workers = WorkerPool(engine, settings)
    bounces = BounceListener(engine, settings) if settings.bounce_listen else None

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[None]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = api_threads(settings)
        if workers:
            workers.start()
        if bounces:
            bounces.start()
        yield
        if bounces:
            bounces.stop()
        if workers:
            workers.stop()
        running.state.logins.passwords.close()

    app = FastAPI(
        title="Sendwell",
        version=__version__,
        description=docs.DESCRIPTION,
        openapi_tags=docs.TAGS,
        lifespan=lifespan,
        docs_url=None,  # docs.install_pages serves /docs and /redoc without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.accounts = Accounts(engine, settings.token_ttl_seconds)
    app.state.logins = Logins(app.state.accounts, LoginGuard(engine))
    app.state.workers = workers
    app.state.wake_workers = workers.wake if workers else (lambda: None)
    app.state.started_http_date = formatdate(usegmt=True)
    # The pages, /metrics, fault injection (web.pages, api.observability, api.fault_injection).
    app.state.faults = FaultBook(engine, settings.fault_injection)
    app.state.metrics, api_requests, api_latency = observability.make_registry(engine)
    app.include_router(observability.router)
    app.include_router(faults_api.router)
    web_pages.install(app)
    app.add_exception_handler(RestError, rest_error_handler)
    app.add_exception_handler(SendwellError, domain_error_handler)
    app.add_exception_handler(OAuthError, oauth_error_handler)
    app.add_exception_handler(send_api.SendApiError, send_api.send_api_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(soap_views.router)
    app.include_router(auth.router)
    app.include_router(authorize_page.router)
    app.include_router(captured.router)
    app.include_router(lookups.router)
    app.include_router(assets.router)
    app.include_router(campaigns.router)
    app.include_router(preview.router)
    app.include_router(sends_admin.router)
    app.include_router(send_api.router)
    app.include_router(transactional.router)
    app.include_router(legacy_triggered.router)
    app.include_router(dataevents.router)
    app.include_router(data_rows.router)
    app.include_router(tracking_links.router)
    docs.install_openapi(app)
    docs.install_pages(app)
    # Outermost last: errors caught, then paths made canonical, then bodies limited, requests
    # counted, faults injected.
    app.add_middleware(InjectFaults, book=app.state.faults, accounts=app.state.accounts)
    app.add_middleware(RequestMetrics, requests=api_requests, latency=api_latency)
    app.add_middleware(BodyLimit, limit_for=_body_limits(settings), answer=_answer)
    app.add_middleware(CaseInsensitivePaths)
    app.add_middleware(CollapseSlashes)
    app.add_middleware(CatchUnexpected, answer=_answer)
    return app


def _body_limits(settings: Settings) -> Callable[[str], int]:
    """The request body limit of a path: SOAP envelopes, token requests, data extension rows,
    other JSON bodies."""
    token_paths = {"/v2/token", "/v1/requesttoken"}
    row_paths = ("/hub/v1/dataevents", "/data/v1/async/")

    def limit_for(path: str) -> int:
        path = path.lower()
        if path == "/service.asmx":
            return settings.max_request_bytes
        if path in token_paths:
            return settings.max_token_request_bytes
        if path.startswith(row_paths):
            return settings.max_rows_request_bytes
        return settings.max_json_request_bytes

    return limit_for


def _answer(scope: Scope, status: int, message: str) -> Response:
    """An error answered outside any route (a body over its limit, an unexpected error), in
    the caller's protocol: a SOAP fault on the SOAP endpoint, Marketing Cloud's JSON elsewhere."""
    if scope["path"].lower() == "/service.asmx":
        return soap_views.fault_response(Request(scope), status, message)
    code = 500 if status >= 500 else REST_GENERIC
    return JSONResponse(error_body(message, code, ""), status_code=status)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
    )
    return JSONResponse(
        {"message": f"Invalid request: {problems}", "errorcode": 10001, "documentation": DOCS},
        status_code=400,
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    """Unknown routes and methods: JSON in Marketing Cloud's shape, never an HTML page."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        body = {"message": "Service Not Found", "errorcode": 10000, "documentation": ""}
    elif exc.status_code == 405:
        body = {"message": "Method Not Allowed", "errorcode": 30001, "documentation": ""}
    else:
        body = {"message": str(exc.detail), "errorcode": 0, "documentation": ""}
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))
