"""What a Celery broker is given: the units of work the ledger says are due, each once.

The database stays the source of truth: a task only names work (a kind of unit, a chunk), and
the worker that runs it claims that work with the ledger's leases, so a task that runs twice,
or for work already done, finds nothing and does no harm. The dispatcher reads what is due
and publishes one task per unit unless one is already queued: a marker key in Redis, set with
the task (with a time to live) and cleared when the task starts. If Redis loses its queues
(restarted, flushed), it loses the markers with them, and the next sweep of the ledger
publishes the work again.

Queues: chunks of continuous jobs (triggered, transactional) and the dispatcher's own tasks
go to ``sendwell.priority``, which workers always read first; bulk chunks to
``sendwell.bulk``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from sendwell.config import Settings
from sendwell.domain.clock import utcnow
from sendwell.engine.pipeline import UNITS
from sendwell.store import chunk_leases

log = logging.getLogger("sendwell.dispatch")

QUEUE_PRIORITY = "sendwell.priority"
QUEUE_BULK = "sendwell.bulk"
QUEUES = (QUEUE_PRIORITY, QUEUE_BULK)  # in the order workers read them

TASK_UNIT = "sendwell.unit"
TASK_DELIVER = "sendwell.deliver"
TASK_DISPATCH = "sendwell.dispatch"

_MARK = "sendwell:queued:"
KICK = _MARK + "dispatch"  # a dispatch task is queued: wake-ups until it starts need no other
SWEEP_LOCK = "sendwell:sweep"
CHUNKS_PER_DISPATCH = 5000  # more wait for the next dispatch (one per sweep at least)


def unit_mark(kind: str) -> str:
    return f"{_MARK}unit:{kind}"


def chunk_mark(job_id: int, chunk_no: int) -> str:
    return f"{_MARK}chunk:{job_id}:{chunk_no}"


class Dispatcher:
    """Publishes tasks for due work, at most one queued per unit."""

    def __init__(self, celery: Any, engine: Engine, settings: Settings, redis: Any) -> None:
        self.celery = celery
        self.engine = engine
        self.settings = settings
        self.redis = redis
        # Work due this soon gets a task now, with its time as the task's ETA; later work is
        # found by a later sweep (an ETA task waits in a worker's memory, unacknowledged).
        self.horizon = timedelta(seconds=max(2 * settings.sweep_seconds, 1.0))
        self.marker_ttl = max(2 * settings.lease_seconds, 30)

    def started(self, mark: str) -> None:
        """A task began: a new wake-up or sweep may queue its work again."""
        self.redis.delete(mark)

    def kick(self) -> None:
        """Queue a dispatch unless one is queued already (the API calls this after a start)."""
        if self.redis.set(KICK, 1, nx=True, ex=self.marker_ttl):
            self.celery.send_task(TASK_DISPATCH, queue=QUEUE_PRIORITY)

    def dispatch(self, job_id: int | None = None) -> int:
        """Queue what is due: every kind of unit (all work) and the due chunks (of one job, or
        all); how many tasks were published."""
        published = 0 if job_id is not None else self.publish_units(UNITS)
        now = utcnow()
        with self.engine.connect() as conn:
            due = chunk_leases.due_chunks(conn, now + self.horizon, CHUNKS_PER_DISPATCH, job_id)
        if not due:
            return published
        marks = [chunk_mark(c.job_id, c.chunk_no) for c in due]
        pipe = self.redis.pipeline(transaction=False)
        for mark, chunk in zip(marks, due, strict=True):
            pipe.set(mark, 1, nx=True, ex=self._ttl(chunk.due_at, now))
        fresh = pipe.execute()
        with self.celery.producer_or_acquire() as producer:
            for chunk, new in zip(due, fresh, strict=True):
                if new:
                    self._publish_chunk(producer, chunk)
                    published += 1
        return published

    def publish_units(self, kinds: Iterable[str]) -> int:
        """A task for each kind of unit that has none queued."""
        published = 0
        for kind in kinds:
            if self.redis.set(unit_mark(kind), 1, nx=True, ex=self.marker_ttl):
                self.celery.send_task(TASK_UNIT, (kind,), queue=QUEUE_PRIORITY)
                published += 1
        return published

    def _publish_chunk(self, producer: Any, chunk: chunk_leases.DueChunk) -> None:
        self.celery.send_task(
            TASK_DELIVER,
            (chunk.job_id, chunk.chunk_no),
            queue=QUEUE_PRIORITY if chunk.priority > 0 else QUEUE_BULK,
            eta=chunk.due_at.replace(tzinfo=UTC) if chunk.due_at else None,
            producer=producer,
        )

    def _ttl(self, due_at: datetime | None, now: datetime) -> int:
        wait = (due_at - now).total_seconds() if due_at is not None else 0
        return int(wait) + self.marker_ttl

    def sweep(self) -> bool:
        """One worker's periodic look at the ledger, if no other did it this period: finds
        work whose task was lost (with Redis, or with a killed worker) and work whose time came."""
        period_ms = int(self.settings.sweep_seconds * 1000)
        if not self.redis.set(SWEEP_LOCK, 1, nx=True, px=max(period_ms - 50, 50)):
            return False
        count = self.dispatch()
        log.debug("sweep: %s tasks queued", count)
        return True
