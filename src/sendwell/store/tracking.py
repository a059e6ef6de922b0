"""Queries of tracking: a job's links, the recipient a token names, events, unsubscribes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from sendwell.domain import not_sent
from sendwell.domain.clock import utcnow
from sendwell.domain.tracking import TrackedLink
from sendwell.store.tables import job_links, recipients, send_jobs, subscribers, tracking_events


def save_links(conn: Connection, job_id: int, links: Sequence[TrackedLink]) -> None:
    """Store a job's links once; workers compiling the same job write the same rows."""
    if not links:
        return
    rows = [
        {"job_id": job_id, "url_id": link.url_id, "url": link.url, "alias": link.alias}
        for link in links
    ]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    conn.execute(dialect_insert(job_links).on_conflict_do_nothing(), rows)


def link_url(conn: Connection, job_id: int, url_id: int) -> str | None:
    """The URL stored for a job's link, or None."""
    return conn.execute(
        select(job_links.c.url).where(job_links.c.job_id == job_id, job_links.c.url_id == url_id)
    ).scalar_one_or_none()


def recipient(conn: Connection, mid: int, job_id: int, seq: int) -> Any:
    """The ledger row of a job's recipient (with the job's account), or None."""
    return conn.execute(
        select(
            recipients.c.job_id,
            recipients.c.seq,
            recipients.c.subscriber_key,
            recipients.c.email,
            recipients.c.attributes,
            send_jobs.c.mid,
        )
        .join(send_jobs, send_jobs.c.id == recipients.c.job_id)
        .where(recipients.c.job_id == job_id, recipients.c.seq == seq, send_jobs.c.mid == mid)
    ).one_or_none()


def record_event(
    conn: Connection,
    row: Any,
    event_type: str,
    when: datetime,
    url_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """One tracking event of the recipient ``row`` (from ``recipient``)."""
    conn.execute(
        insert(tracking_events).values(
            mid=row.mid,
            job_id=row.job_id,
            seq=row.seq,
            subscriber_key=row.subscriber_key,
            event_type=event_type,
            event_date=when,
            url_id=url_id,
            details=details or {},
        )
    )


def subscriber(conn: Connection, mid: int, subscriber_key: str) -> Any:
    """The account's subscriber row (email, status, attributes), or None."""
    return conn.execute(
        select(subscribers.c.email, subscribers.c.status, subscribers.c.attributes).where(
            subscribers.c.mid == mid, subscribers.c.subscriber_key == subscriber_key
        )
    ).one_or_none()


def unsubscribe(
    conn: Connection, mid: int, subscriber_key: str, email: str, when: datetime
) -> bool:
    """Mark the subscriber Unsubscribed (creating it if needed); False if it already was."""
    changed = conn.execute(
        update(subscribers)
        .where(
            subscribers.c.mid == mid,
            subscribers.c.subscriber_key == subscriber_key,
            subscribers.c.status != "Unsubscribed",
        )
        .values(status="Unsubscribed", unsubscribed_at=when)
    ).rowcount
    if changed:
        return True
    if subscriber(conn, mid, subscriber_key) is not None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(
                insert(subscribers).values(
                    mid=mid,
                    subscriber_key=subscriber_key,
                    email=email,
                    status="Unsubscribed",
                    attributes={},
                    created_at=when,
                    unsubscribed_at=when,
                )
            )
    except IntegrityError:  # created meanwhile by another request: update that one
        return unsubscribe(conn, mid, subscriber_key, email, when)
    return True


def unique_counts(
    conn: Connection, event_types: Iterable[str], mid: int, job_id: int | None = None
) -> dict[int, dict[str, int]]:
    """``{job_id: {event_type: recipients with such an event}}`` for an account's jobs."""
    query = (
        select(
            tracking_events.c.job_id,
            tracking_events.c.event_type,
            func.count(tracking_events.c.seq.distinct()),
        )
        .where(tracking_events.c.mid == mid, tracking_events.c.event_type.in_(list(event_types)))
        .group_by(tracking_events.c.job_id, tracking_events.c.event_type)
    )
    if job_id is not None:
        query = query.where(tracking_events.c.job_id == job_id)
    counts: dict[int, dict[str, int]] = {}
    for job, event_type, n in conn.execute(query):
        counts.setdefault(job, {})[event_type] = n
    return counts


def record_not_sent(
    conn: Connection, mid: int, job_id: int, rows: Sequence[tuple[Any, int]]
) -> None:
    """A NotSent event per (ledger row, reason code): why each recipient got no message."""
    now = utcnow()
    conn.execute(
        insert(tracking_events),
        [
            {
                "mid": mid,
                "job_id": job_id,
                "seq": row.seq,
                "subscriber_key": row.subscriber_key,
                "event_type": "NotSent",
                "event_date": now,
                "url_id": None,
                "details": {"StatusCode": code, "StatusMessage": not_sent.name(code)},
            }
            for row, code in rows
        ],
    )
