"""The recipient ledger and its chunks: who gets what, who has been sent, who is left.

Workers claim a chunk with a lease, deliver its pending recipients and record each outcome in
the same transaction that marks the chunk done. A worker that dies leaves its lease to lapse;
the chunk is then claimed again and only recipients still pending are delivered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, DateTime, bindparam, func, or_, select, update

from sendwell.domain.bounces import Failure
from sendwell.domain.clock import utcnow
from sendwell.domain.jobs import JobPhase, JobStatus
from sendwell.domain.retry import RetryPolicy
from sendwell.domain.throttle import Throttle
from sendwell.store.bounces import LedgerRef, record_refusals
from sendwell.store.chunk_leases import Claim, claim_chunk, create_chunks
from sendwell.store.jobs import pace
from sendwell.store.tables import chunks, recipients, send_jobs, subscribers
from sendwell.store.tracking import record_not_sent

__all__ = ["Claim", "claim_chunk", "create_chunks"]  # the chunk leases, by their old name


class RecipientOutcome(NamedTuple):
    seq: int
    status: str  # sent | failed | deferred
    code: int
    reply: str
    message_id: str | None
    reason: int | None = None  # why it was not sent at all (domain.not_sent), if it was not


@dataclass(frozen=True)
class ChunkWork:
    """A claimed chunk's recipients still to try, and the profile attributes they need."""

    rows: Sequence[Any]  # seq, subscriber_key, email, attributes, status, attempts, ...
    profiles: Mapping[str, Mapping[str, str]]  # by subscriber key, lower-cased names

    @property
    def by_seq(self) -> dict[int, Any]:
        return {r.seq: r for r in self.rows}


def load_chunk(conn: Connection, claim: Claim, mid: int, with_profiles: bool) -> ChunkWork:
    """What delivering a claimed chunk reads: its pending rows (and their profiles)."""
    rows = pending_recipients(conn, claim)
    profiles = (
        subscriber_attributes(conn, mid, [r.subscriber_key for r in rows]) if with_profiles else {}
    )
    return ChunkWork(rows, profiles)


def subscriber_attributes(
    conn: Connection, mid: int, keys: list[str]
) -> dict[str, Mapping[str, str]]:
    """Profile attributes (lower-cased names) of the given subscribers, by subscriber key."""
    if not keys:
        return {}
    rows = conn.execute(
        select(subscribers.c.subscriber_key, subscribers.c.attributes).where(
            subscribers.c.mid == mid, subscribers.c.subscriber_key.in_(keys)
        )
    )
    return {
        r.subscriber_key: {k.lower(): "" if v is None else str(v) for k, v in r.attributes.items()}
        for r in rows
    }


def pending_recipients(conn: Connection, claim: Claim) -> Sequence[Any]:
    """The chunk's recipients still to try: never tried, or deferred and due again."""
    return conn.execute(
        select(
            recipients.c.seq,
            recipients.c.subscriber_key,
            recipients.c.email,
            recipients.c.attributes,
            recipients.c.status,
            recipients.c.attempts,
            recipients.c.first_attempt_at,
        )
        .where(
            recipients.c.job_id == claim.job_id,
            recipients.c.seq.between(claim.first_seq, claim.last_seq),
            or_(
                recipients.c.status == "pending",
                (recipients.c.status == "deferred") & (recipients.c.next_attempt_at <= utcnow()),
            ),
        )
        .order_by(recipients.c.seq)
    ).all()


_record = (
    update(recipients)
    .where(recipients.c.job_id == bindparam("b_job"), recipients.c.seq == bindparam("b_seq"))
    .values(
        status=bindparam("b_status"),
        attempts=recipients.c.attempts + 1,
        smtp_code=bindparam("b_code"),
        smtp_reply=bindparam("b_reply"),
        message_id=bindparam("b_mid"),
        sent_at=bindparam("b_at"),
        first_attempt_at=func.coalesce(recipients.c.first_attempt_at, bindparam("b_now")),
        next_attempt_at=bindparam("b_next"),
        reason_code=bindparam("b_reason"),
    )
)


# The values of one outcome, in this order, as write_outcomes makes them.
_RECORD_FIELDS = ("b_job", "b_seq", "b_status", "b_code", "b_reply", "b_mid", "b_at", "b_now")
_RECORD_FIELDS += ("b_next", "b_reason")
_DATES = (6, 7, 8)
_compiled_record: dict[str, tuple[str, Any, tuple[Any, ...], dict[str, Any], Any]] = {}


def _execute_record(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """``_record`` for every outcome (tuples in ``_RECORD_FIELDS`` order), straight to the
    driver's executemany.

    This is the ledger's hottest statement (one row per message): going through the
    statement's per-row parameter processing costs about as much as the database's work, so
    it is compiled once per dialect and only the dates are converted, once each, by the
    dialect's own DateTime processor.
    """
    dialect = conn.dialect
    if dialect.name not in _compiled_record:
        compiled = _record.compile(dialect=dialect)
        fixed = {k: v for k, v in compiled.construct_params(_check=False).items() if k[:2] != "b_"}
        names = (*_RECORD_FIELDS, *fixed)
        pick = (
            itemgetter(*(names.index(k) for k in compiled.positiontup))  # type: ignore[union-attr]
            if compiled.positional
            else None
        )
        date = DateTime().dialect_impl(dialect).bind_processor(dialect)
        _compiled_record[dialect.name] = (str(compiled), pick, tuple(fixed.values()), fixed, date)
    sql, pick, fixed_values, fixed, date = _compiled_record[dialect.name]
    if date is not None:
        seen: dict[Any, Any] = {None: None}  # the same "now" in every row: converted once
        for value in {r[i] for r in rows for i in _DATES}:
            seen.setdefault(value, date(value))
        rows = [(*r[:6], seen[r[6]], seen[r[7]], seen[r[8]], r[9]) for r in rows]
    if pick is not None:
        params: list[Any] = [pick(r + fixed_values) for r in rows]
    else:
        params = [{**dict(zip(_RECORD_FIELDS, r, strict=True)), **fixed} for r in rows]
    conn.exec_driver_sql(sql, params)


def record_outcomes(
    conn: Connection,
    claim: Claim,
    outcomes: Iterable[RecipientOutcome],
    rows: Mapping[int, Any],
    policy: RetryPolicy,
) -> dict[str, int]:
    """Write each recipient's outcome, bump the job's counters and close the chunk.

    A deferred recipient gets its next attempt by the retry policy, or fails once it is too
    old; a chunk that still holds deferred recipients goes back to pending until the first of
    them is due.
    """
    tally = write_outcomes(conn, claim, outcomes, rows, policy)
    retry_at = _next_due(conn, claim)  # the chunk's first deferred recipient, if any
    conn.execute(
        update(chunks)
        .where(chunks.c.job_id == claim.job_id, chunks.c.chunk_no == claim.chunk_no)
        .values(
            state="done" if retry_at is None else "pending",
            lease_until=None,
            owner=None,
            not_before=retry_at,
        )
    )
    return tally


def write_outcomes(
    conn: Connection,
    claim: Claim,
    outcomes: Iterable[RecipientOutcome],
    rows: Mapping[int, Any],
    policy: RetryPolicy,
) -> dict[str, int]:
    """Write each recipient's outcome and bump the job's counters; the chunk stays as it is."""
    now = utcnow()
    params = []
    tally = {"sent": 0, "failed": 0, "deferred": 0}
    was_deferred = 0
    for o in outcomes:
        row = rows[o.seq]
        status, reply, next_at = o.status, o.reply[:1000], None
        if status == "deferred":
            next_at = policy.next_attempt(now, row.first_attempt_at or now, row.attempts + 1)
            if next_at is None:
                status, reply = (
                    "failed",
                    f"gave up after {row.attempts + 1} attempts: {reply}"[:1000],
                )
        tally[status] += 1
        was_deferred += row.status == "deferred"
        params.append(
            (
                claim.job_id,
                o.seq,
                status,
                o.code,
                reply,
                o.message_id,
                now if status == "sent" else None,
                now,
                next_at,
                o.reason,
            )
        )
    if params:
        _execute_record(conn, params)
        conn.execute(
            update(send_jobs)
            .where(send_jobs.c.id == claim.job_id)
            .values(
                sent=send_jobs.c.sent + tally["sent"],
                errored=send_jobs.c.errored + tally["failed"],
                deferred=send_jobs.c.deferred + tally["deferred"] - was_deferred,
                modified_at=now,
            )
        )
    return tally


def record_batch(
    conn: Connection,
    claim: Claim,
    mid: int,
    result: ChunkResult,
    rows: Mapping[int, Any],
    policy: RetryPolicy,
    *,
    hold_after: int,
    lease_seconds: int,
) -> dict[str, int] | None:
    """Record part of a chunk while the rest is still being delivered, and renew the lease;
    the tally of the batch.

    What a killed worker leaves to be sent twice is then what it had in flight since its last
    batch, not the whole chunk. None (and nothing written) when the lease is no longer ours:
    another worker took the chunk over, and it delivers what is left.
    """
    held = conn.execute(
        update(chunks)
        .where(
            chunks.c.job_id == claim.job_id,
            chunks.c.chunk_no == claim.chunk_no,
            chunks.c.state == "claimed",
            chunks.c.owner == claim.owner,
        )
        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
    ).rowcount
    if not held:
        return None
    tally = write_outcomes(conn, claim, result.outcomes, rows, policy)
    _record_events(conn, claim, mid, result, rows, hold_after)
    return tally


def _record_events(
    conn: Connection,
    claim: Claim,
    mid: int,
    result: ChunkResult,
    rows: Mapping[int, Any],
    hold_after: int,
) -> None:
    """The NotSent events and the relay's refusals (bounces) of recorded outcomes."""
    not_sent = [(rows[o.seq], o.reason) for o in result.outcomes if o.reason is not None]
    if not_sent:
        record_not_sent(conn, mid, claim.job_id, not_sent)
    record_refusals(conn, mid, result.refusals, hold_after)


@dataclass(frozen=True)
class ChunkResult:
    """What delivering a chunk came to, to record in one transaction."""

    outcomes: Sequence[RecipientOutcome]  # one per ledger recipient tried
    refusals: Sequence[tuple[LedgerRef, Failure]] = ()  # the relay's 5xx: immediate bounces
    held_until: datetime | None = None  # recipients a domain limit held back wait till then


def record_delivery(
    conn: Connection,
    claim: Claim,
    mid: int,
    result: ChunkResult,
    rows: Mapping[int, Any],
    policy: RetryPolicy,
    *,
    hold_after: int,
    throttle: Throttle | None,
) -> tuple[dict[str, int], bool]:
    """Record a delivered chunk: outcomes, bounces, the chunk's state, the job's pace.

    Returns the tally of outcomes and whether the job is now complete.
    """
    tally = record_outcomes(conn, claim, result.outcomes, rows, policy)
    _record_events(conn, claim, mid, result, rows, hold_after)
    if result.held_until is not None:
        hold_chunk(conn, claim, result.held_until)
    finished = finish_if_done(conn, claim.job_id)
    if throttle is not None:
        pace(conn, claim.job_id, throttle, len(result.outcomes))
    return tally, finished


def hold_chunk(conn: Connection, claim: Claim, until: Any) -> None:
    """Put the chunk back to pending until ``until`` (recipients held back by a domain limit)."""
    conn.execute(
        update(chunks)
        .where(chunks.c.job_id == claim.job_id, chunks.c.chunk_no == claim.chunk_no)
        .values(state="pending", lease_until=None, owner=None, not_before=until)
    )


def _next_due(conn: Connection, claim: Claim) -> Any:
    """When the chunk's first deferred recipient is due; None when none is deferred."""
    return conn.execute(
        select(func.min(recipients.c.next_attempt_at)).where(
            recipients.c.job_id == claim.job_id,
            recipients.c.seq.between(claim.first_seq, claim.last_seq),
            recipients.c.status == "deferred",
        )
    ).scalar()


def finish_if_done(conn: Connection, job_id: int) -> bool:
    """Mark a bulk job Complete once no chunk is left; True if it did. A continuous job takes
    requests for as long as its definition lives: it is never complete on its own."""
    now = utcnow()
    left = (
        select(chunks.c.chunk_no)
        .where(chunks.c.job_id == job_id, chunks.c.state != "done")
        .exists()
    )
    done = conn.execute(
        update(send_jobs)
        .where(
            send_jobs.c.id == job_id,
            send_jobs.c.status == JobStatus.SENDING,
            send_jobs.c.continuous.is_(False),
            ~left,
        )
        .values(status=JobStatus.COMPLETE, phase=JobPhase.DONE, completed_at=now, modified_at=now)
    ).rowcount
    return bool(done)
