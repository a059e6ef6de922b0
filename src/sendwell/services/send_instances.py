"""Send instances of the REST Send API: schedule, start when due, follow, cancel, list.

An instance is a definition plus a start time. When it is due, a worker resolves its Salesforce
audience into a sync (``Processing``), then creates the engine's send job (``Sending``); the
job's ID is the instance's ``JobId`` and the SOAP ``Send`` ID. Status moves on as the job does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from sendwell.config import Settings
from sendwell.domain.clock import from_incoming, utcnow
from sendwell.domain.errors import (
    REST_INVALID_VALUE,
    REST_NOT_FOUND,
    Invalid,
    NotFound,
    WrongState,
    clipped,
    shown,
)
from sendwell.domain.limits import parse_id
from sendwell.services import send_definitions
from sendwell.store.tables import chunks, send_instances, send_jobs
from sendwell.store.tables import send_definitions as send_definitions_table

TERMINAL = ("Complete", "Canceled", "Error")


def parse_start(text: str, utc_offset_minutes: int) -> datetime:
    """ISO 8601 start time → naive UTC; a time without offset is Marketing Cloud system time."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(
            f"StartDateTime {shown(text)} is not an ISO 8601 date and time", REST_INVALID_VALUE
        ) from None
    return from_incoming(moment, utc_offset_minutes)


def schedule(
    conn: Connection, mid: int, definition_id: str, given: Mapping[str, Any], settings: Settings
) -> int:
    """Store a new instance (durably, before replying); returns its InstanceId."""
    definition = send_definitions.get_row(conn, mid, definition_id)
    if given.get("AllRecipientsOptedIn") is not True:
        raise Invalid("AllRecipientsOptedIn must be true", REST_INVALID_VALUE)
    now = utcnow()
    if given.get("StartImmediately") is True:
        start = now
    elif given.get("StartDateTime"):
        start = max(
            parse_start(str(given["StartDateTime"]), settings.system_utc_offset_minutes), now
        )
    else:
        raise Invalid(
            "StartDateTime is required when StartImmediately is false", REST_INVALID_VALUE
        )
    return int(
        conn.execute(
            insert(send_instances).values(
                mid=mid,
                definition_id=definition.id,
                status="Scheduled",
                scheduled_at=start,
                cancel_requested=False,
                created_at=now,
                modified_at=now,
            )
        ).inserted_primary_key[0]
    )


def _instance_row(conn: Connection, mid: int, instance_id: str) -> Any:
    row = None
    number = parse_id(instance_id)
    if number is not None:
        row = conn.execute(
            select(send_instances).where(send_instances.c.mid == mid, send_instances.c.id == number)
        ).first()
    if row is None:
        raise NotFound(
            "Unable to find a salesforce email send instance with the Id "
            f"{clipped(instance_id)} for mid {mid}",
            REST_NOT_FOUND,
        )
    return row


def _job(conn: Connection, job_id: int | None) -> Any:
    if job_id is None:
        return None
    return conn.execute(select(send_jobs).where(send_jobs.c.id == job_id)).first()


def settle(conn: Connection, row: Any, job: Any) -> str:
    """The instance's status now, following its job; transitions are written through."""
    status = row.status
    if status == "Sending" and job is not None and job.status in TERMINAL:
        status = job.status
    if status == "Cancel Pending":
        in_flight = job is not None and (
            job.phase == "building"
            or conn.execute(
                select(func.count()).where(chunks.c.job_id == job.id, chunks.c.state == "claimed")
            ).scalar_one()
        )
        if not in_flight and row.status != "Processing":
            status = "Canceled"
    if status != row.status:
        values: dict[str, Any] = {"status": status, "modified_at": utcnow()}
        if status in TERMINAL:
            values["completed_at"] = (job.completed_at if job is not None else None) or utcnow()
        if status == "Error" and job is not None:
            values["error"] = job.error
        conn.execute(
            update(send_instances)
            .where(send_instances.c.id == row.id, send_instances.c.status == row.status)
            .values(**values)
        )
    return status


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat(timespec="seconds")


def view(conn: Connection, row: Any) -> dict[str, Any]:
    """The instance as the Send API shows it (documented fields first, then additive ones)."""
    job = _job(conn, row.job_id)
    status = settle(conn, row, job)
    if status != row.status:  # settle wrote the transition (and its dates): read them back
        row = conn.execute(select(send_instances).where(send_instances.c.id == row.id)).one()
    out: dict[str, Any] = {
        "InstanceId": str(row.id),
        "DefinitionId": str(row.definition_id),
        "Status": status,
        "SyncId": row.sync_id if row.sync_id is not None else -1,
        "JobId": row.job_id if row.job_id is not None else -1,
        "CreatedDate": _iso(row.created_at),
        "ScheduledDate": _iso(row.scheduled_at),
        "StartDate": _iso(row.started_at),
        "CompletedDate": _iso(row.completed_at) if status in TERMINAL else None,
    }
    if status == "Error":
        out["ErrorMessage"] = row.error or (job.error if job is not None else None)
    counts = {
        "NumberTargeted": "targeted",
        "NumberExcluded": "excluded",
        "Duplicates": "duplicates",
        "ExistingUnsubscribes": "unsubscribed",
        "InvalidAddresses": "invalid",
        "NumberSent": "sent",
        "NumberErrored": "errored",
    }
    for name, column in counts.items():
        out[name] = getattr(job, column) if job is not None else 0
    return out


def status(conn: Connection, mid: int, instance_id: str) -> dict[str, Any]:
    return view(conn, _instance_row(conn, mid, instance_id))


def cancel(conn: Connection, mid: int, instance_id: str) -> str:
    """Best-effort cancel: nothing more is handed out; the reply is always ``Cancel Pending``."""
    row = _instance_row(conn, mid, instance_id)
    current = settle(conn, row, _job(conn, row.job_id))
    if current in TERMINAL:
        raise WrongState(f"Instance {row.id} is already {current}")
    conn.execute(
        update(send_instances)
        .where(send_instances.c.id == row.id)
        .values(status="Cancel Pending", cancel_requested=True, modified_at=utcnow())
    )
    if row.job_id is not None:
        conn.execute(
            update(send_jobs)
            .where(send_jobs.c.id == row.job_id, send_jobs.c.status == "Sending")
            .values(status="Canceled", modified_at=utcnow())
        )
    return "Cancel Pending"


def listing(
    conn: Connection, mid: int, page: int, page_size: int, definition_id: str | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """Instances newest first, one page; optionally of one definition."""
    where = [send_instances.c.mid == mid]
    if definition_id is not None:
        definition = send_definitions.get_row(conn, mid, definition_id, include_deleted=True)
        where.append(send_instances.c.definition_id == definition.id)
    total = conn.execute(select(func.count()).where(*where)).scalar_one()
    rows = conn.execute(
        select(send_instances)
        .where(*where)
        .order_by(send_instances.c.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return int(total), [view(conn, r) for r in rows]


def effective_statuses(conn: Connection, mid: int, definition_id: int) -> list[str]:
    rows = conn.execute(
        select(send_instances).where(
            send_instances.c.mid == mid,
            send_instances.c.definition_id == definition_id,
            send_instances.c.status.not_in(TERMINAL),
        )
    ).all()
    return [settle(conn, r, _job(conn, r.job_id)) for r in rows]


def delete_definition(conn: Connection, mid: int, definition_id: str) -> None:
    """Delete a definition (it stays for its instances' history) unless a send of it is on."""
    row = send_definitions.get_row(conn, mid, definition_id)
    if any(status in send_definitions.ACTIVE for status in effective_statuses(conn, mid, row.id)):
        raise WrongState("The definition has scheduled or running sends")
    conn.execute(
        update(send_definitions_table)
        .where(send_definitions_table.c.id == row.id)
        .values(deleted_at=utcnow())
    )
