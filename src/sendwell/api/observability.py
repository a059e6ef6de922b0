"""What the people who run Sendwell watch: ``/metrics`` (Prometheus), ``/healthz``, ``/readyz``.

Counts that the database holds (sends by status, messages by outcome, the queue) are read when
``/metrics`` is scraped, so they are right whichever process did the work and cost the send
pipeline nothing; SMTP replies by class are counted by the engine per chunk
(``engine.replies``); API requests and their latency by route by ``RequestMetrics``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sendwell.engine import replies
from sendwell.store import dashboard
from sendwell.store.db import schema_current

router = APIRouter(tags=["operations (Sendwell)"])


class StoreCollector(Collector):
    """The totals the database holds, read at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Any]:
        with self.engine.connect() as conn:
            statuses = dashboard.status_counts(conn)
            outcomes = dashboard.outcome_sums(conn)
            depth = dashboard.queue_depth(conn)
        sends = GaugeMetricFamily("sendwell_sends", "Send jobs by status.", labels=["status"])
        for status in ("Scheduled", "Sending", "Paused", "Complete", "Canceled", "Error"):
            sends.add_metric([status], statuses.get(status, 0))
        yield sends
        messages = CounterMetricFamily(
            "sendwell_messages", "Recipients by outcome, over every send.", labels=["outcome"]
        )
        for outcome in ("sent", "failed"):
            messages.add_metric([outcome], outcomes[outcome])
        yield messages
        yield GaugeMetricFamily(
            "sendwell_messages_deferred",
            "Recipients deferred (4xx) and waiting for their retry.",
            value=outcomes["deferred"],
        )
        tried = outcomes["sent"] + outcomes["failed"]
        yield GaugeMetricFamily(
            "sendwell_delivery_ratio",
            "Share of the recipients tried that were delivered (sent / (sent + failed)).",
            value=outcomes["sent"] / tried if tried else 1.0,
        )
        yield GaugeMetricFamily(
            "sendwell_queue_depth",
            "Recipients of running and paused sends not yet delivered or failed.",
            value=depth,
        )
        smtp = CounterMetricFamily(
            "sendwell_smtp_replies",
            "Transport replies to recipients by class, counted by this process's workers.",
            labels=["class"],
        )
        counted = replies.snapshot()
        for reply_class in ("2xx", "4xx", "5xx", "none"):
            smtp.add_metric([reply_class], counted.get(reply_class, 0))
        yield smtp


def make_registry(engine: Engine) -> tuple[CollectorRegistry, Counter, Histogram]:
    """An application's own registry (each app, in tests many, has its own)."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(engine))
    requests = Counter(
        "sendwell_api_requests",
        "API requests by route, method and status.",
        ["route", "method", "status"],
        registry=registry,
    )
    latency = Histogram(
        "sendwell_api_request_seconds",
        "API request latency by route.",
        ["route"],
        registry=registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )
    return registry, requests, latency


class RequestMetrics:
    """Counts each HTTP request and its latency under its route's template (``/t/c/{token}/
    {url_id}``, never the token), or ``unmatched``."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watched_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.requests.labels(route, scope.get("method", ""), str(status)).inc()
            self.latency.labels(route).observe(time.perf_counter() - started)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Sends by status, messages by outcome, delivery ratio, queue depth, SMTP replies by
    class, API requests and latency by route, in the Prometheus text format. Sendwell's own.
    No auth (expose it only where your Prometheus scrapes)."""
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """The process is up and answers HTTP (liveness, for a supervisor). Sendwell's own. No auth."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness", responses={503: {"description": "Not ready"}})
def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at the newest migration (503 otherwise).
    Sendwell's own. No auth."""
    try:
        current = schema_current(request.app.state.engine)
    except Exception as exc:  # any failure to reach the database means: not ready
        return JSONResponse(
            {"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"}, 503
        )
    if not current:
        return JSONResponse({"status": "unavailable", "database": "migrations pending"}, 503)
    return JSONResponse({"status": "ok", "database": "ok", "migrations": "current"})
