"""The ledger of a continuous job (triggered, transactional): recipients appended as requests
come, in arrival order, into chunks that workers deliver like any other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from sendwell.domain import not_sent
from sendwell.domain.clock import utcnow
from sendwell.store.tables import chunks, recipients, send_jobs
from sendwell.store.tracking import record_not_sent

# Ledger attributes that override the From of one recipient's message (a triggered send's
# Owner FromName / FromAddress).
FROM_NAME = "__from_name"
FROM_ADDRESS = "__from_address"

# A continuous job's requests join its newest chunk while no worker has claimed it, up to this
# many recipients: a burst of single messages is delivered in a few batches, not one by one.
OPEN_CHUNK_MAX = 500
# A new chunk waits this long for more requests to join it before a worker may take it: at a
# few hundred requests a second that turns one claim and one ledger write per message into one
# per few dozen messages, for a few milliseconds of latency (Kafka's linger.ms, in effect).
LINGER = timedelta(milliseconds=40)


@dataclass(frozen=True)
class NewRecipient:
    """A recipient a request adds to a continuous job's ledger."""

    subscriber_key: str
    email: str
    attributes: Mapping[str, Any]
    # Refused when the request came (unsubscribed, held, ...): kept in the ledger with the
    # reason, never delivered.
    refused: int | None = None


# Built once: these run for every request of a continuous job.
_GROW = (
    update(send_jobs)
    .where(send_jobs.c.id == bindparam("job"))
    .values(
        last_seq=send_jobs.c.last_seq + bindparam("count"),
        # Refused recipients count as the audience step counts them: suppressed, excluded.
        targeted=send_jobs.c.targeted + bindparam("accepted"),
        unsubscribed=send_jobs.c.unsubscribed + bindparam("unsubscribed"),
        undeliverable=send_jobs.c.undeliverable + bindparam("held"),
        excluded=send_jobs.c.excluded + bindparam("excluded"),
        modified_at=bindparam("now"),
    )
    .returning(send_jobs.c.last_seq)
)
_JOIN = (
    update(chunks)
    .where(
        chunks.c.job_id == bindparam("job"),
        chunks.c.last_seq == bindparam("before"),
        chunks.c.state == "pending",
        chunks.c.first_seq > bindparam("oldest"),
    )
    .values(last_seq=bindparam("last"))
)


def append_recipients(conn: Connection, job_id: int, rows: Sequence[NewRecipient]) -> list[int]:
    """Add one request's recipients to a continuous job's ledger, in arrival order; their seqs.

    They join the job's newest chunk if no worker has claimed it yet (and it is not full), or
    start a new one; refused recipients are written as failed with their reason. The request's
    BatchID is its first recipient's seq.
    """
    if not rows:
        return []
    count = len(rows)
    accepted = sum(1 for r in rows if r.refused is None)
    reasons = [r.refused for r in rows]
    unsubscribed, held = reasons.count(not_sent.UNSUBSCRIBED), reasons.count(not_sent.HELD)
    now = utcnow()
    last = conn.execute(
        _GROW,
        {
            "job": job_id,
            "count": count,
            "accepted": accepted,
            "unsubscribed": unsubscribed,
            "held": held,
            "excluded": count - accepted - unsubscribed - held,
            "now": now,
        },
    ).scalar_one()
    first = last - count + 1
    conn.execute(
        insert(recipients),
        [
            {
                "job_id": job_id,
                "seq": first + i,
                "subscriber_key": r.subscriber_key,
                "email": r.email,
                "attributes": dict(r.attributes),
                "status": "pending" if r.refused is None else "failed",
                "attempts": 0,
                "reason_code": r.refused,
                "batch_id": first,
                "created_at": now,
            }
            for i, r in enumerate(rows)
        ],
    )
    if accepted:
        joined = conn.execute(
            _JOIN,
            {"job": job_id, "before": first - 1, "last": last, "oldest": last - OPEN_CHUNK_MAX},
        ).rowcount
        if not joined:
            conn.execute(
                insert(chunks).values(
                    job_id=job_id,
                    chunk_no=first,
                    first_seq=first,
                    last_seq=last,
                    state="pending",
                    not_before=now + LINGER,
                )
            )
    return list(range(first, last + 1))


def clear_queue(
    conn: Connection, mid: int, job_id: int, reason: int = not_sent.SUBSCRIBER_QUEUE_CLEARED
) -> int:
    """The job's recipients still to send will not be (its definition was canceled, deleted or
    its queue dropped): each fails with ``reason`` and a NotSent event; how many."""
    cleared = conn.execute(
        update(recipients)
        .where(recipients.c.job_id == job_id, recipients.c.status.in_(("pending", "deferred")))
        .values(
            status="failed",
            reason_code=reason,
            smtp_reply="the definition's queue was cleared",
        )
        .returning(recipients.c.seq, recipients.c.subscriber_key)
    ).all()
    conn.execute(
        update(chunks)
        .where(chunks.c.job_id == job_id, chunks.c.state != "done")
        .values(state="done", owner=None, lease_until=None)
    )
    if cleared:
        record_not_sent(conn, mid, job_id, [(row, reason) for row in cleared])
    return len(cleared)
