"""Pause, resume and cancel a running send job (any API: SOAP, admin REST, CLI).

Pausing stops workers from taking further chunks (a chunk in flight finishes and is
recorded); resuming lets them go on where they stopped; cancelling ends the job for good, and
its counts say what was sent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from sendwell.domain.clock import utcnow
from sendwell.domain.errors import NotFound, WrongState
from sendwell.store.tables import send_instances, send_jobs

TRANSITIONS = {
    "pause": (("Sending",), "Paused"),
    "resume": (("Paused",), "Sending"),
    "cancel": (("Sending", "Paused"), "Canceled"),
}


def job_row(conn: Connection, mid: int, job_id: int | str) -> Any:
    row = None
    if str(job_id).strip().isdigit():
        row = conn.execute(
            select(send_jobs).where(send_jobs.c.mid == mid, send_jobs.c.id == int(job_id))
        ).first()
    if row is None:
        raise NotFound(f"Send {job_id} was not found.", 30003)
    return row


def control(conn: Connection, mid: int, job_id: int | str, action: str) -> str:
    """Apply ``pause``, ``resume`` or ``cancel``; returns the job's new status."""
    if action not in TRANSITIONS:
        raise WrongState(f"Unknown action {action!r}; use pause, resume or cancel.")
    allowed, target = TRANSITIONS[action]
    row = job_row(conn, mid, job_id)
    if row.status not in allowed:
        raise WrongState(f"Send {row.id} is {row.status}; it cannot be {action}d.")
    conn.execute(
        update(send_jobs)
        .where(send_jobs.c.id == row.id, send_jobs.c.status == row.status)
        .values(status=target, modified_at=utcnow())
    )
    if action == "cancel":  # a REST instance of this job settles to Canceled
        conn.execute(
            update(send_instances)
            .where(send_instances.c.job_id == row.id, send_instances.c.status == "Sending")
            .values(status="Cancel Pending", cancel_requested=True, modified_at=utcnow())
        )
    return target


def latest_job_of_definition(conn: Connection, mid: int, definition_id: int) -> Any:
    """The newest job started from an EmailSendDefinition (for Perform pause/restart/stop)."""
    row = conn.execute(
        select(send_jobs.c.id)
        .where(send_jobs.c.mid == mid, send_jobs.c.definition_id == definition_id)
        .order_by(send_jobs.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound("The EmailSendDefinition has no send to act on.", 42002)
    return row.id
