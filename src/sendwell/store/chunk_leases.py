"""Chunks of the recipient ledger and their leases: cutting a ledger into chunks, a worker
taking one, and what is due to be taken (the broker's dispatcher asks that).

A claim is an update conditional on what was read (the chunk's state, its lapsed lease), so of
two workers racing for a chunk one wins, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, insert, or_, select, update

from sendwell.domain.clock import utcnow
from sendwell.domain.jobs import JobPhase, JobStatus
from sendwell.store.tables import chunks, send_jobs


@dataclass(frozen=True)
class Claim:
    job_id: int
    chunk_no: int
    first_seq: int
    last_seq: int
    revision: int = 1  # of the job's spec: a republished spec is compiled again
    owner: str = ""  # who holds the lease: a batch is recorded only while it still does


def create_chunks(conn: Connection, job_id: int, total: int, size: int) -> int:
    rows = [
        {
            "job_id": job_id,
            "chunk_no": n,
            "first_seq": first,
            "last_seq": min(first + size - 1, total),
        }
        for n, first in enumerate(range(1, total + 1, size))
    ]
    if rows:
        conn.execute(insert(chunks), [{**r, "state": "pending"} for r in rows])
    return len(rows)


def claim_chunk(
    engine: Engine,
    owner: str,
    lease_seconds: int,
    *,
    job_id: int | None = None,
    chunk_no: int | None = None,
) -> Claim | None:
    """Take the next deliverable chunk (pending, or claimed with a lapsed lease), or the one
    named by ``job_id`` and ``chunk_no`` if it is deliverable now (a task for a chunk that was
    delivered, or is held by a live lease, finds nothing: running it twice does no harm).

    Chunks of higher-priority jobs (triggered, transactional) go first, then by job and
    chunk order (a continuous job's requests in arrival order).
    """
    now = utcnow()
    named = (
        ()
        if job_id is None
        else (
            chunks.c.job_id == job_id,
            *(() if chunk_no is None else (chunks.c.chunk_no == chunk_no,)),
        )
    )
    with engine.begin() as conn:
        candidates = conn.execute(
            select(
                chunks.c.job_id,
                chunks.c.chunk_no,
                chunks.c.first_seq,
                chunks.c.last_seq,
                chunks.c.state,
                send_jobs.c.next_send_at,
                send_jobs.c.revision,
            )
            .join(send_jobs, send_jobs.c.id == chunks.c.job_id)
            .where(
                send_jobs.c.status == JobStatus.SENDING,
                send_jobs.c.phase == JobPhase.DELIVERING,
                or_(send_jobs.c.next_send_at.is_(None), send_jobs.c.next_send_at <= now),
                or_(
                    (chunks.c.state == "pending")
                    & or_(chunks.c.not_before.is_(None), chunks.c.not_before <= now),
                    (chunks.c.state == "claimed") & (chunks.c.lease_until < now),
                ),
                *named,
            )
            .order_by(send_jobs.c.priority.desc(), chunks.c.job_id, chunks.c.chunk_no)
            .limit(8)
        ).all()
        for c in candidates:
            # A throttled job (next_send_at set) hands out one chunk at a time: hold it for
            # the lease, so a crashed worker's hold lapses by itself.
            if (
                c.next_send_at is not None
                and not conn.execute(
                    update(send_jobs)
                    .where(send_jobs.c.id == c.job_id, send_jobs.c.next_send_at <= now)
                    .values(next_send_at=now + timedelta(seconds=lease_seconds))
                ).rowcount
            ):
                continue
            taken = conn.execute(
                update(chunks)
                .where(
                    chunks.c.job_id == c.job_id,
                    chunks.c.chunk_no == c.chunk_no,
                    chunks.c.state == c.state,
                    or_(chunks.c.state == "pending", chunks.c.lease_until < now),
                )
                .values(
                    state="claimed", owner=owner, lease_until=now + timedelta(seconds=lease_seconds)
                )
            ).rowcount
            if taken == 1:
                # Read the range again: a continuous job's request may have joined the chunk
                # after the candidates were read (it cannot once the chunk is claimed).
                last_seq = conn.execute(
                    select(chunks.c.last_seq).where(
                        chunks.c.job_id == c.job_id, chunks.c.chunk_no == c.chunk_no
                    )
                ).scalar_one()
                return Claim(c.job_id, c.chunk_no, c.first_seq, last_seq, c.revision, owner)
            if c.next_send_at is not None:  # give the hold back
                conn.execute(
                    update(send_jobs)
                    .where(send_jobs.c.id == c.job_id)
                    .values(next_send_at=c.next_send_at)
                )
    return None


@dataclass(frozen=True)
class DueChunk:
    """A chunk that can be claimed now, or at ``due_at`` (deferred, held, throttled, leased)."""

    job_id: int
    chunk_no: int
    priority: int
    due_at: datetime | None  # None: now


def due_chunks(
    conn: Connection, horizon: datetime, limit: int, job_id: int | None = None
) -> list[DueChunk]:
    """Chunks claimable before ``horizon`` (of one job, or all), highest priority first, then
    in job and chunk order: what a dispatcher hands to the broker, each with the time it
    becomes claimable."""
    not_yet = func.coalesce(chunks.c.not_before, chunks.c.lease_until)
    rows = conn.execute(
        select(
            chunks.c.job_id,
            chunks.c.chunk_no,
            send_jobs.c.priority,
            not_yet.label("chunk_at"),
            send_jobs.c.next_send_at,
        )
        .join(send_jobs, send_jobs.c.id == chunks.c.job_id)
        .where(
            send_jobs.c.status == JobStatus.SENDING,
            send_jobs.c.phase == JobPhase.DELIVERING,
            or_(send_jobs.c.next_send_at.is_(None), send_jobs.c.next_send_at < horizon),
            or_(
                (chunks.c.state == "pending")
                & or_(chunks.c.not_before.is_(None), chunks.c.not_before < horizon),
                (chunks.c.state == "claimed") & (chunks.c.lease_until < horizon),
            ),
            *(() if job_id is None else (chunks.c.job_id == job_id,)),
        )
        .order_by(send_jobs.c.priority.desc(), chunks.c.job_id, chunks.c.chunk_no)
        .limit(limit)
    ).all()
    now = utcnow()
    out = []
    for r in rows:
        at = max((t for t in (r.chunk_at, r.next_send_at) if t is not None), default=None)
        out.append(DueChunk(r.job_id, r.chunk_no, r.priority, at if at and at > now else None))
    return out


def waits_again(conn: Connection, job_id: int, chunk_no: int) -> bool:
    """After a delivery: whether the chunk, or its job, waits for a time to come (deferred
    recipients, a domain's limit, a throttled job's pace) and so needs a task at that time."""
    row = conn.execute(
        select(chunks.c.state, send_jobs.c.next_send_at)
        .join(send_jobs, send_jobs.c.id == chunks.c.job_id)
        .where(chunks.c.job_id == job_id, chunks.c.chunk_no == chunk_no)
    ).first()
    return row is not None and (row.state == "pending" or row.next_send_at is not None)
