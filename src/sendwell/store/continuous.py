"""The ledger of a continuous job (triggered, transactional): recipients appended as requests
come, in arrival order, into chunks that workers deliver like any other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, update

from sendwell.domain.clock import utcnow
from sendwell.store.tables import chunks, recipients, send_jobs

# A continuous job's requests join its newest chunk while no worker has claimed it, up to this
# many recipients: a burst of single messages is delivered in a few batches, not one by one.
OPEN_CHUNK_MAX = 500


@dataclass(frozen=True)
class NewRecipient:
    """A recipient a request adds to a continuous job's ledger."""

    subscriber_key: str
    email: str
    attributes: Mapping[str, Any]
    # Refused when the request came (unsubscribed, held, ...): kept in the ledger with the
    # reason, never delivered.
    refused: int | None = None


def append_recipients(
    conn: Connection, job_id: int, rows: Sequence[NewRecipient], batch_id: int | None = None
) -> list[int]:
    """Add recipients to a continuous job's ledger, in arrival order; their ledger seqs.

    They join the job's newest chunk if no worker has claimed it yet (and it is not full), or
    start a new one; refused recipients are written as failed with their reason.
    """
    if not rows:
        return []
    count = len(rows)
    accepted = sum(1 for r in rows if r.refused is None)
    last = conn.execute(
        update(send_jobs)
        .where(send_jobs.c.id == job_id)
        .values(
            last_seq=send_jobs.c.last_seq + count,
            targeted=send_jobs.c.targeted + accepted,
            errored=send_jobs.c.errored + (count - accepted),
            modified_at=utcnow(),
        )
        .returning(send_jobs.c.last_seq)
    ).scalar_one()
    first = last - count + 1
    now = utcnow()
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
                "batch_id": batch_id,
                "created_at": now,
            }
            for i, r in enumerate(rows)
        ],
    )
    if accepted:
        joined = conn.execute(
            update(chunks)
            .where(
                chunks.c.job_id == job_id,
                chunks.c.last_seq == first - 1,
                chunks.c.state == "pending",
                chunks.c.first_seq > last - OPEN_CHUNK_MAX,
            )
            .values(last_seq=last)
        ).rowcount
        if not joined:
            conn.execute(
                insert(chunks).values(
                    job_id=job_id, chunk_no=first, first_seq=first, last_seq=last, state="pending"
                )
            )
    return list(range(first, last + 1))
