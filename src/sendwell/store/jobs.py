"""Queries of send jobs: the one way a job is created, claims of the audience step, status moves.

A job row holds its frozen ``JobSpec`` (JSON), its status and phase (``domain.jobs``) and its
counts. Every status change goes through ``move``, which applies the domain's status machine
and writes only if the job is still where the caller saw it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update

from sendwell.domain.clock import utcnow
from sendwell.domain.errors import REST_NOT_FOUND, NotFound, clipped
from sendwell.domain.jobs import (
    TERMINAL,
    JobPhase,
    JobSpec,
    JobStatus,
    Transition,
    transition,
)
from sendwell.domain.limits import parse_id
from sendwell.domain.throttle import PeriodState, Throttle, after_delivery
from sendwell.store.audience import AudienceCounts
from sendwell.store.leases import claim_first
from sendwell.store.tables import send_jobs

# Marketing Cloud's REST "not found" errorcode; SOAP callers map NotFound to their own code.
JOB_NOT_FOUND = REST_NOT_FOUND


def create_job(
    conn: Connection,
    mid: int,
    spec: JobSpec,
    *,
    interaction_object_id: str,
    definition_id: int | None = None,
    scheduled_at: datetime | None = None,
    schedule: Mapping[str, Any] | None = None,
) -> int:
    """Create a job; returns its JobID.

    A bulk job waits for its audience; a continuous one (triggered, transactional) delivers
    as requests append recipients; with ``scheduled_at`` the job is Scheduled until then.
    """
    now = utcnow()
    job_id = conn.execute(
        insert(send_jobs).values(
            mid=mid,
            definition_id=definition_id,
            interaction_object_id=interaction_object_id,
            status=JobStatus.SCHEDULED if scheduled_at is not None else JobStatus.SENDING,
            phase=JobPhase.DELIVERING if spec.continuous else JobPhase.AUDIENCE,
            spec=spec.to_json(),
            origin=spec.origin,
            continuous=spec.continuous,
            priority=spec.priority,
            scheduled_at=scheduled_at,
            schedule=dict(schedule) if schedule is not None else None,
            created_at=now,
            modified_at=now,
        )
    ).inserted_primary_key[0]
    return int(job_id)


def spec_of(job: Any) -> JobSpec:
    """The job row's spec."""
    return JobSpec.from_json(job.spec)


def job_row(conn: Connection, mid: int, job_id: int | str) -> Any:
    """The account's job ``job_id`` (a number, or its text); NotFound otherwise."""
    number, row = parse_id(job_id), None  # a number no job can have is not found
    if number is not None:
        row = conn.execute(
            select(send_jobs).where(send_jobs.c.mid == mid, send_jobs.c.id == number)
        ).first()
    if row is None:
        raise NotFound(f"Send {clipped(job_id)} was not found.", JOB_NOT_FOUND)
    return row


def job_by_id(conn: Connection, job_id: int) -> Any:
    """A job row by JobID whatever its account (the engine's view), or None."""
    return conn.execute(select(send_jobs).where(send_jobs.c.id == job_id)).first()


def latest_job_of_definition(conn: Connection, mid: int, definition_id: int) -> int | None:
    """The newest job started from a SOAP EmailSendDefinition, or None."""
    return conn.execute(
        select(send_jobs.c.id)
        .where(send_jobs.c.mid == mid, send_jobs.c.definition_id == definition_id)
        .order_by(send_jobs.c.id.desc())
        .limit(1)
    ).scalar()


def jobs_of(conn: Connection, mid: int, job_id: int | None = None) -> list[Any]:
    """The account's jobs in JobID order (or the one named)."""
    query = select(send_jobs).where(send_jobs.c.mid == mid).order_by(send_jobs.c.id)
    if job_id is not None:
        query = query.where(send_jobs.c.id == job_id)
    return list(conn.execute(query))


def move(conn: Connection, job: Any, action: str, **values: Any) -> Transition:
    """Apply the status machine's ``action`` to ``job`` (a row); WrongState if not allowed.

    The write is conditional on the status the row was read with, so two racing moves cannot
    both win; ``values`` are written with it.
    """
    step = transition(job.id, job.status, action)
    now = utcnow()
    if step.target in (JobStatus.COMPLETE, JobStatus.ERROR):
        values.setdefault("phase", JobPhase.DONE)
    conn.execute(
        update(send_jobs)
        .where(send_jobs.c.id == job.id, send_jobs.c.status == job.status)
        .values(status=step.target, modified_at=now, **values)
    )
    return step


def republish(conn: Connection, job_id: int, spec: JobSpec) -> None:
    """Replace a continuous job's spec (its definition's content was published again): the
    messages still to come are rendered from it; workers see the new revision."""
    conn.execute(
        update(send_jobs)
        .where(send_jobs.c.id == job_id)
        .values(spec=spec.to_json(), revision=send_jobs.c.revision + 1, modified_at=utcnow())
    )


def claim_audience(engine: Engine, lease_seconds: int) -> Any:
    """Take one job whose audience is to be built (or whose build stalled); its row or None."""
    now = utcnow()
    stale = now - timedelta(seconds=lease_seconds)
    candidates = select(send_jobs.c.id, send_jobs.c.phase).where(
        send_jobs.c.status == JobStatus.SENDING,
        or_(
            send_jobs.c.phase == JobPhase.AUDIENCE,
            (send_jobs.c.phase == JobPhase.BUILDING) & (send_jobs.c.modified_at < stale),
        ),
    )
    return claim_first(
        engine,
        send_jobs,
        candidates.order_by(send_jobs.c.id),
        phase=JobPhase.BUILDING,
        modified_at=now,
    )


def claim_scheduled(engine: Engine, lease_seconds: int) -> Any:
    """Take one Scheduled job whose time has come (or whose start stalled); its row or None.

    The claim marks the job ``building`` (it stays Scheduled until ``start_scheduled``); the
    candidates' ``modified_at`` is part of the claim's condition, so of two workers taking over
    a stalled start only one wins.
    """
    now = utcnow()
    stale = now - timedelta(seconds=lease_seconds)
    candidates = select(send_jobs.c.id, send_jobs.c.phase, send_jobs.c.modified_at).where(
        send_jobs.c.status == JobStatus.SCHEDULED,
        send_jobs.c.scheduled_at <= now,
        or_(
            send_jobs.c.phase == JobPhase.AUDIENCE,
            (send_jobs.c.phase == JobPhase.BUILDING) & (send_jobs.c.modified_at < stale),
        ),
    )
    return claim_first(
        engine,
        send_jobs,
        candidates.order_by(send_jobs.c.scheduled_at, send_jobs.c.id),
        phase=JobPhase.BUILDING,
        modified_at=now,
    )


def start_scheduled(conn: Connection, job: Any, spec: JobSpec) -> bool:
    """Move a claimed Scheduled job to Sending (the status machine's ``start``) with ``spec``,
    waiting for its audience. False when it was cancelled, or claimed again, meanwhile."""
    step = transition(job.id, job.status, "start")
    moved = conn.execute(
        update(send_jobs)
        .where(
            send_jobs.c.id == job.id,
            send_jobs.c.status == job.status,
            send_jobs.c.modified_at == job.modified_at,  # still this worker's claim
        )
        .values(
            status=step.target,
            phase=JobPhase.AUDIENCE,
            spec=spec.to_json(),
            revision=send_jobs.c.revision + 1,  # a new spec: workers compile it afresh
            modified_at=utcnow(),
        )
    ).rowcount
    return moved == 1


def audience_built(
    conn: Connection,
    job_id: int,
    counts: AudienceCounts,
    seconds: float,
    next_send_at: datetime | None,
) -> None:
    """The job's ledger is written: record its counts and hand it to delivery."""
    conn.execute(
        update(send_jobs)
        .where(send_jobs.c.id == job_id)
        .values(
            phase=JobPhase.DELIVERING,
            targeted=counts.targeted,
            excluded=counts.excluded,
            duplicates=counts.duplicates,
            unsubscribed=counts.unsubscribed,
            undeliverable=counts.undeliverable,
            invalid=counts.invalid,
            timings={"audience": seconds},
            next_send_at=next_send_at,
            modified_at=utcnow(),
        )
    )


def fail(engine: Engine, job_id: int, error: str) -> None:
    """The job cannot go on (its audience failed): Error, with why; a job ended meanwhile stays."""
    with engine.begin() as conn:
        job = job_by_id(conn, job_id)
        if job is not None and job.status not in TERMINAL:
            move(conn, job, "fail", error=error[:2000])


def pace(conn: Connection, job_id: int, throttle: Throttle, delivered: int) -> None:
    """Move a throttled job's next_send_at past its period limit and outside-window hours."""
    job = conn.execute(
        select(send_jobs.c.period_start, send_jobs.c.period_sent).where(send_jobs.c.id == job_id)
    ).one()
    now = utcnow()
    state, next_at = after_delivery(
        now, PeriodState(job.period_start, job.period_sent), delivered, throttle
    )
    conn.execute(
        update(send_jobs)
        .where(send_jobs.c.id == job_id)
        .values(
            period_start=state.period_start,
            period_sent=state.period_sent,
            next_send_at=next_at or now,
        )
    )
