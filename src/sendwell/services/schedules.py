"""Scheduled sends (SOAP ``Schedule`` on an EmailSendDefinition): made now, started when due.

``schedule_send`` checks the schedule and the definition now, as ``Perform start`` would (email,
classification, sender, content), and creates a job in status Scheduled whose ``scheduled_at``
is the first occurrence; the job's ``schedule`` keeps the recurrence, which occurrence the job
is and the sender given with the request. All of it is in the database, so a restart loses
nothing. When a job's time comes a worker claims it (``claim_due``) and ``start_due`` rebuilds its
spec from the definition as it is then, moves it to Sending for the audience step, and creates
the next occurrence's Scheduled job while the range lasts.

The ScheduleDefinition's ``TimeZone`` is not read: its dates are instants (the codec reads a naive
one as system time) and the pattern counts days in system time, as Marketing Cloud's own jobs do
(inferred; no source shows a Schedule with a TimeZone).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from sendwell.domain.clock import SYSTEM_UTC_OFFSET_MINUTES, from_incoming, system_now
from sendwell.domain.errors import SCHEDULE_INVALID, Invalid, SendwellError
from sendwell.domain.jobs import JobSpec
from sendwell.domain.recurrence import (
    Occurrence,
    Schedule,
    first_occurrence,
    next_occurrence,
    parse_schedule,
)
from sendwell.domain.secrets import new_guid
from sendwell.services import job_specs
from sendwell.services.catalog import find_ref
from sendwell.services.sends import find_definition
from sendwell.store import jobs


@dataclass(frozen=True)
class ScheduledSend:
    """The first job of a schedule: its JobID (the reply's ``Task.ID``)."""

    job_id: int
    interaction_object_id: str
    scheduled_for: datetime  # UTC


def schedule_send(
    conn: Connection,
    mid: int,
    ref: Mapping[str, Any],
    definition: Mapping[str, Any],
    sender: Mapping[str, Any] | None = None,
    offset_minutes: int = SYSTEM_UTC_OFFSET_MINUTES,
) -> ScheduledSend:
    """Schedule the EmailSendDefinition ``ref`` as the decoded ScheduleDefinition ``definition``
    says; ``sender`` is the request's From name/address override, kept for every occurrence."""
    schedule = parse_schedule(definition, offset_minutes)
    if schedule.start < system_now(offset_minutes):
        raise Invalid(
            "Schedule_Validation Error: the StartDateTime "
            f"{schedule.start.isoformat(timespec='seconds')} (system time) has passed.",
            SCHEDULE_INVALID,
        )
    first = first_occurrence(schedule)
    if first is None:
        raise Invalid(
            "Schedule_Validation Error: the recurrence has no occurrence before the EndDateTime.",
            SCHEDULE_INVALID,
        )
    send_definition = find_definition(conn, mid, ref)
    dynamic = _sender(sender)
    spec = job_specs.for_email_send_definition(conn, mid, send_definition, dynamic)
    job_id, interaction_id, at = _create(
        conn, mid, send_definition.id, spec, schedule, first, dynamic, offset_minutes
    )
    return ScheduledSend(job_id, interaction_id, at)


def _sender(sender: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (sender or {}).items() if k in ("FromName", "FromAddress") and v}


def _create(
    conn: Connection,
    mid: int,
    definition_id: int,
    spec: JobSpec,
    schedule: Schedule,
    occurrence: Occurrence,
    sender: Mapping[str, Any],
    offset_minutes: int,
) -> tuple[int, str, datetime]:
    """The Scheduled job of one occurrence; its JobID, InteractionObjectID and time (UTC)."""
    at = from_incoming(occurrence.at, offset_minutes)  # system time to UTC
    state = {
        "schedule": schedule.to_json(),
        "occurrence": {"at": occurrence.at.isoformat(), "number": occurrence.number},
        "sender": dict(sender),
        # The offset the schedule was read in: its days stay the same if the setting changes.
        "utc_offset_minutes": offset_minutes,
    }
    interaction_id = new_guid()
    job_id = jobs.create_job(
        conn,
        mid,
        spec,
        interaction_object_id=interaction_id,
        definition_id=definition_id,
        scheduled_at=at,
        schedule=state,
    )
    return job_id, interaction_id, at


def claim_due(engine: Engine, lease_seconds: int) -> Any:
    """Take one Scheduled job whose time has come (one worker of many gets it)."""
    return jobs.claim_scheduled(engine, lease_seconds)


def start_due(engine: Engine, job: Any) -> int | None:
    """Start a claimed due job with the definition as it is now; the next occurrence's JobID.

    A definition that can no longer send (its email or classification gone, bad content) fails
    this occurrence with why, and the next one is still scheduled; a deleted definition ends
    the schedule. A job cancelled meanwhile stays cancelled and schedules nothing.
    """
    state = job.schedule or {}
    with engine.begin() as conn:
        definition = find_ref(conn, job.mid, "EmailSendDefinition", {"ID": job.definition_id})
        spec, error = jobs.spec_of(job), None
        if definition is None:
            error = "The EmailSendDefinition no longer exists; its schedule ends."
        else:
            try:
                spec = job_specs.for_email_send_definition(
                    conn, job.mid, definition, state.get("sender") or {}
                )
            except SendwellError as exc:
                error = exc.message
        if not jobs.start_scheduled(conn, job, spec):
            return None
        if error is not None:
            jobs.move(conn, jobs.job_by_id(conn, job.id), "fail", error=error)
        if definition is None:
            return None
        return _create_next(conn, job, spec, state)


def _create_next(conn: Connection, job: Any, spec: JobSpec, state: Mapping[str, Any]) -> int | None:
    if not state.get("schedule"):
        return None
    offset = int(state.get("utc_offset_minutes", SYSTEM_UTC_OFFSET_MINUTES))
    schedule = Schedule.from_json(state["schedule"])
    done = state["occurrence"]
    previous = Occurrence(datetime.fromisoformat(done["at"]), int(done["number"]))
    following = next_occurrence(schedule, previous, system_now(offset))
    if following is None:
        return None
    # The spec is rebuilt when the next job starts; until then it is this one's, with its own
    # token so that no two jobs share Message-IDs.
    own = replace(spec, message_token=secrets.token_hex(8))
    job_id, _, _ = _create(
        conn,
        job.mid,
        job.definition_id,
        own,
        schedule,
        following,
        state.get("sender") or {},
        offset,
    )
    return job_id
