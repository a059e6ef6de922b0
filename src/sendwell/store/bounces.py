"""Queries of bounces: a recipient's BounceEvent, and Held after too many hard bounces."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, insert, select, update

from sendwell.domain.bounces import HARD, Failure, classify, details
from sendwell.domain.clock import utcnow
from sendwell.store.tables import recipients, send_jobs, subscribers, tracking_events

log = logging.getLogger("sendwell.bounces")


class LedgerRef(NamedTuple):
    """The ledger row a bounce is about."""

    job_id: int
    seq: int
    subscriber_key: str
    email: str


def record_bounce(
    conn: Connection, row: Any, mid: int, failure: Failure, bounce_type: str, hold_after: int
) -> str | None:
    """Record one recipient's BounceEvent (once per job, recipient and type); Held if due.

    ``row`` has ``job_id``, ``seq``, ``subscriber_key`` and ``email``. Returns the event
    type recorded, or None when the same bounce was already recorded.
    """
    event_type, category = classify(failure.status, failure.smtp_code, failure.permanent)
    seen = conn.execute(
        select(tracking_events.c.id).where(
            tracking_events.c.job_id == row.job_id,
            tracking_events.c.seq == row.seq,
            tracking_events.c.event_type == event_type,
        )
    ).first()
    if seen is not None:
        return None
    conn.execute(
        insert(tracking_events).values(
            mid=mid,
            job_id=row.job_id,
            seq=row.seq,
            subscriber_key=row.subscriber_key,
            event_type=event_type,
            event_date=utcnow(),
            details=details(failure, category, bounce_type),
        )
    )
    if event_type == HARD:
        _hold_if_due(conn, mid, row.subscriber_key, row.email, hold_after)
    return event_type


def record_refusals(
    conn: Connection, mid: int, refused: Iterable[tuple[LedgerRef, Failure]], hold_after: int
) -> int:
    """The relay's refusals during delivery, as immediate bounces; how many were recorded."""
    return sum(
        record_bounce(conn, row, mid, failure, "immediate", hold_after) is not None
        for row, failure in refused
    )


def _hold_if_due(conn: Connection, mid: int, key: str, address: str, hold_after: int) -> None:
    hard = conn.execute(
        select(func.count()).where(
            tracking_events.c.mid == mid,
            tracking_events.c.subscriber_key == key,
            tracking_events.c.event_type == HARD,
        )
    ).scalar_one()
    if hard < max(1, hold_after):
        return
    held = conn.execute(
        update(subscribers)
        .where(subscribers.c.mid == mid, subscribers.c.subscriber_key == key)
        .values(status="Held")
    ).rowcount
    if not held:
        conn.execute(
            insert(subscribers).values(
                mid=mid,
                subscriber_key=key,
                email=address,
                status="Held",
                attributes={},
                created_at=utcnow(),
            )
        )
    log.info("subscriber %r of account %s is Held after %s hard bounces", key, mid, hard)


def mid_of_job(conn: Connection, job_id: int) -> int | None:
    """The account of a job, or None when there is no such job."""
    return conn.execute(select(send_jobs.c.mid).where(send_jobs.c.id == job_id)).scalar()


def _ledger_rows(job_id: int):  # type: ignore[no-untyped-def]
    return select(
        recipients.c.job_id, recipients.c.seq, recipients.c.subscriber_key, recipients.c.email
    ).where(recipients.c.job_id == job_id)


def ledger_row(conn: Connection, job_id: int, seq: int) -> Any:
    """The ledger row of a job's recipient ``seq``, or None."""
    return conn.execute(_ledger_rows(job_id).where(recipients.c.seq == seq)).first()


def ledger_rows_by_email(conn: Connection, job_id: int, addresses: Iterable[str]) -> list[Any]:
    """The job's ledger rows whose address is one of ``addresses`` (lower case)."""
    return list(
        conn.execute(
            _ledger_rows(job_id).where(func.lower(recipients.c.email).in_(list(addresses)))
        )
    )
