"""The audience step of a job: claim a job waiting for its audience, build it, cut chunks."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update

from sendwell.config import Settings
from sendwell.domain.clock import utcnow
from sendwell.domain.throttle import next_opening
from sendwell.engine.delivery import throttle_of
from sendwell.store import ledger
from sendwell.store.audience import build_audience
from sendwell.store.tables import send_jobs

log = logging.getLogger("sendwell.engine")


def claim_audience(engine: Engine, lease_seconds: int) -> Any:
    """Take one job whose audience is to be built (or whose build stalled)."""
    now = utcnow()
    stale = now - timedelta(seconds=lease_seconds)
    with engine.begin() as conn:
        jobs = conn.execute(
            select(send_jobs.c.id, send_jobs.c.phase)
            .where(
                send_jobs.c.status == "Sending",
                or_(
                    send_jobs.c.phase == "audience",
                    (send_jobs.c.phase == "building") & (send_jobs.c.modified_at < stale),
                ),
            )
            .order_by(send_jobs.c.id)
            .limit(4)
        ).all()
        for job in jobs:
            taken = conn.execute(
                update(send_jobs)
                .where(send_jobs.c.id == job.id, send_jobs.c.phase == job.phase)
                .values(phase="building", modified_at=now)
            ).rowcount
            if taken:
                return conn.execute(select(send_jobs).where(send_jobs.c.id == job.id)).one()
    return None


def build(engine: Engine, settings: Settings, job: Any) -> None:
    """Write the job's recipient ledger and chunks in one transaction; a failure fails the job."""
    started = time.perf_counter()
    throttle = throttle_of(job.spec)
    try:
        with engine.begin() as conn:
            counts = build_audience(conn, job.id, job.mid, job.spec)
            size = throttle.chunk_size(settings.chunk_size) if throttle else settings.chunk_size
            ledger.create_chunks(conn, job.id, counts.targeted, size)
            seconds = round(time.perf_counter() - started, 4)
            conn.execute(
                update(send_jobs)
                .where(send_jobs.c.id == job.id)
                .values(
                    phase="delivering",
                    targeted=counts.targeted,
                    excluded=counts.excluded,
                    duplicates=counts.duplicates,
                    unsubscribed=counts.unsubscribed,
                    undeliverable=counts.undeliverable,
                    invalid=counts.invalid,
                    timings={"audience": seconds},
                    # A throttled job always has a next_send_at: the first is the window's opening.
                    next_send_at=next_opening(utcnow(), throttle) if throttle else None,
                    modified_at=utcnow(),
                )
            )
            ledger.finish_if_done(conn, job.id)
        log.info(
            "job %s audience built: %s targeted, %s excluded, %s duplicates, "
            "%s unsubscribed, %s undeliverable, %s invalid in %.3fs",
            job.id,
            counts.targeted,
            counts.excluded,
            counts.duplicates,
            counts.unsubscribed,
            counts.undeliverable,
            counts.invalid,
            seconds,
        )
    except Exception as exc:  # a bad audience fails the job, never the worker
        log.exception("job %s audience failed", job.id)
        with engine.begin() as conn:
            conn.execute(
                update(send_jobs)
                .where(send_jobs.c.id == job.id)
                .values(status="Error", phase="done", error=str(exc)[:2000], modified_at=utcnow())
            )
