"""Pause, resume and cancel a running send job (any API: SOAP, admin REST, CLI).

Pausing stops workers from taking further chunks (a chunk in flight finishes and is
recorded); resuming lets them go on where they stopped; cancelling ends the job for good, and
its counts say what was sent. The moves themselves are the status machine's (``domain.jobs``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, update

from sendwell.domain.clock import utcnow
from sendwell.domain.errors import ESD_NOT_FOUND, NotFound, WrongState, shown
from sendwell.domain.jobs import CONTROL_ACTIONS, JobStatus
from sendwell.store import jobs
from sendwell.store.tables import send_instances


def control(conn: Connection, mid: int, job_id: int | str, action: str) -> str:
    """Apply ``pause``, ``resume`` or ``cancel``; returns the job's new status."""
    if action not in CONTROL_ACTIONS:
        raise WrongState(f"Unknown action {shown(action)}; use pause, resume or cancel.")
    row = jobs.job_row(conn, mid, job_id)
    step = jobs.move(conn, row, action)
    if step.target == JobStatus.CANCELED:  # a REST instance of this job settles to Canceled
        conn.execute(
            update(send_instances)
            .where(send_instances.c.job_id == row.id, send_instances.c.status == "Sending")
            .values(status="Cancel Pending", cancel_requested=True, modified_at=utcnow())
        )
    return step.target


def latest_job_of_definition(conn: Connection, mid: int, definition_id: int) -> int:
    """The newest job started from an EmailSendDefinition (for Perform pause/restart/stop)."""
    job_id = jobs.latest_job_of_definition(conn, mid, definition_id)
    if job_id is None:
        raise NotFound("The EmailSendDefinition has no send to act on.", ESD_NOT_FOUND)
    return job_id


def job_row(conn: Connection, mid: int, job_id: int | str) -> Any:
    """The account's send job ``job_id``; NotFound (errorcode 30003) otherwise."""
    return jobs.job_row(conn, mid, job_id)
