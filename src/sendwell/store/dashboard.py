"""Queries of the pages and of ``/metrics``: sends with their counts, a send's recipients and
its delivery over time, and the installation's totals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, or_, select

from sendwell.domain.jobs import JobStatus
from sendwell.store.tables import (
    objects,
    recipients,
    send_definitions,
    send_jobs,
    tracking_events,
)

# Events counted per send: unique recipients per type.
EVENT_TYPES = ("Open", "Click", "Unsubscribe", "HardBounce", "SoftBounce", "OtherBounce")
TIMELINE_ROWS = 200_000  # a chart reads at most this many sent times


def sends_page(
    conn: Connection,
    mid: int,
    status: str | None,
    definition: str | None,
    offset: int,
    limit: int,
) -> tuple[int, list[Any]]:
    """The account's send jobs, newest first, filtered by status and by definition (its id,
    customer key or name as the job's spec recorded it)."""
    where = [send_jobs.c.mid == mid]
    if status:
        where.append(func.lower(send_jobs.c.status) == status.lower())
    if definition:
        named = select(objects.c.id).where(
            objects.c.mid == mid,
            or_(objects.c.customer_key == definition, objects.c.name == definition),
        )
        clauses = [send_jobs.c.definition_id.in_(named)]
        if definition.isdigit() and len(definition) <= 9:
            clauses.append(send_jobs.c.definition_id == int(definition))
        where.append(or_(*clauses))
    total = conn.execute(select(func.count()).where(*where)).scalar_one()
    rows = conn.execute(
        select(send_jobs).where(*where).order_by(send_jobs.c.id.desc()).offset(offset).limit(limit)
    ).all()
    return int(total), list(rows)


def event_counts(conn: Connection, job_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """``{job_id: {event_type: recipients with such an event}}``."""
    ids = list(job_ids)
    if not ids:
        return {}
    query = (
        select(
            tracking_events.c.job_id,
            tracking_events.c.event_type,
            func.count(tracking_events.c.seq.distinct()),
        )
        .where(tracking_events.c.job_id.in_(ids), tracking_events.c.event_type.in_(EVENT_TYPES))
        .group_by(tracking_events.c.job_id, tracking_events.c.event_type)
    )
    counts: dict[int, dict[str, int]] = {}
    for job, event_type, n in conn.execute(query):
        counts.setdefault(job, {})[event_type] = n
    return counts


def recipients_page(
    conn: Connection, job_id: int, text: str, status: str | None, offset: int, limit: int
) -> tuple[int, list[Any]]:
    """A job's ledger rows in seq order, those whose address or subscriber key contains
    ``text``, of one status if given."""
    where = [recipients.c.job_id == job_id]
    if text:
        needle = text.lower()
        where.append(
            or_(
                func.lower(recipients.c.email).contains(needle, autoescape=True),
                func.lower(recipients.c.subscriber_key).contains(needle, autoescape=True),
            )
        )
    if status:
        where.append(recipients.c.status == status)
    total = conn.execute(select(func.count()).where(*where)).scalar_one()
    rows = conn.execute(
        select(
            recipients.c.seq,
            recipients.c.subscriber_key,
            recipients.c.email,
            recipients.c.status,
            recipients.c.attempts,
            recipients.c.smtp_code,
            recipients.c.smtp_reply,
            recipients.c.sent_at,
            recipients.c.reason_code,
        )
        .where(*where)
        .order_by(recipients.c.seq)
        .offset(offset)
        .limit(limit)
    ).all()
    return int(total), list(rows)


def sent_times(conn: Connection, job_id: int) -> list[datetime]:
    """When each recipient of the job was sent (for the delivery chart)."""
    query = (
        select(recipients.c.sent_at)
        .where(recipients.c.job_id == job_id, recipients.c.sent_at.is_not(None))
        .limit(TIMELINE_ROWS)
    )
    return [r[0] for r in conn.execute(query)]


def event_times(conn: Connection, job_id: int) -> list[tuple[str, datetime]]:
    """(event type, date) of the job's opens and clicks (for the engagement chart)."""
    query = (
        select(tracking_events.c.event_type, tracking_events.c.event_date)
        .where(
            tracking_events.c.job_id == job_id,
            tracking_events.c.event_type.in_(("Open", "Click")),
        )
        .limit(TIMELINE_ROWS)
    )
    return [(r[0], r[1]) for r in conn.execute(query)]


# --- the installation's totals (``/metrics``) ------------------------------------------------

_ACTIVE = (JobStatus.SENDING, JobStatus.PAUSED)


def status_counts(conn: Connection) -> dict[str, int]:
    """Send jobs by status."""
    query = select(send_jobs.c.status, func.count()).group_by(send_jobs.c.status)
    return {status: int(n) for status, n in conn.execute(query)}


def outcome_sums(conn: Connection) -> dict[str, int]:
    """Messages by outcome over every job: sent, failed, waiting to retry."""
    row = conn.execute(
        select(
            func.coalesce(func.sum(send_jobs.c.sent), 0),
            func.coalesce(func.sum(send_jobs.c.errored), 0),
            func.coalesce(func.sum(send_jobs.c.deferred), 0),
        )
    ).one()
    return {"sent": int(row[0]), "failed": int(row[1]), "deferred": int(row[2])}


def queue_depth(conn: Connection) -> int:
    """Recipients of running or paused jobs not yet sent or failed."""
    total = case(
        (send_jobs.c.last_seq > send_jobs.c.targeted, send_jobs.c.last_seq),
        else_=send_jobs.c.targeted,
    )
    left = total - send_jobs.c.sent - send_jobs.c.errored
    value = conn.execute(
        select(func.coalesce(func.sum(case((left > 0, left), else_=0)), 0)).where(
            send_jobs.c.status.in_(_ACTIVE)
        )
    ).scalar_one()
    return int(value)


def send_api_definitions(conn: Connection, mid: int) -> list[Any]:
    """The account's REST Send API definitions (not deleted), newest first."""
    return list(
        conn.execute(
            select(send_definitions)
            .where(send_definitions.c.mid == mid, send_definitions.c.deleted_at.is_(None))
            .order_by(send_definitions.c.id.desc())
            .limit(200)
        )
    )
