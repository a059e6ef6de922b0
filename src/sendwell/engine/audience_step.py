"""The audience step of a job: build the ledger of a claimed job and cut it into chunks."""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import Engine

from sendwell.config import Settings
from sendwell.domain.clock import utcnow
from sendwell.domain.throttle import next_opening
from sendwell.store import jobs, ledger
from sendwell.store.audience import build_audience

log = logging.getLogger("sendwell.engine")


def build(engine: Engine, settings: Settings, job: Any) -> None:
    """Write the job's recipient ledger and chunks in one transaction; a failure fails the job."""
    started = time.perf_counter()
    spec = jobs.spec_of(job)
    throttle = spec.throttle
    try:
        with engine.begin() as conn:
            counts = build_audience(conn, job.id, job.mid, spec)
            size = throttle.chunk_size(settings.chunk_size) if throttle else settings.chunk_size
            ledger.create_chunks(conn, job.id, counts.targeted, size)
            seconds = round(time.perf_counter() - started, 4)
            # A throttled job always has a next_send_at: the first is the window's opening.
            first_at = next_opening(utcnow(), throttle) if throttle else None
            jobs.audience_built(conn, job.id, counts, seconds, first_at)
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
        jobs.fail(engine, job.id, str(exc))
