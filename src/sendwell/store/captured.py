"""Writes of the ``capture://`` transport: each message kept under its job's account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection, insert, select

from sendwell.domain.clock import utcnow
from sendwell.store.tables import captured_messages, send_jobs


class Capture(NamedTuple):
    """One message as the capture transport keeps it."""

    job_id: int  # 0: no job (a message sent outside a send)
    seq: int  # the ledger seq; negative for a job's copies (CC, BCC, seed)
    mail_from: str
    rcpt_to: str
    message_id: str | None
    data: bytes


def keep(conn: Connection, messages: Sequence[Capture]) -> None:
    """Store messages under the account of their job."""
    jobs = {m.job_id for m in messages if m.job_id}
    query = select(send_jobs.c.id, send_jobs.c.mid).where(send_jobs.c.id.in_(jobs))
    mids = {job_id: mid for job_id, mid in conn.execute(query)}
    now = utcnow()
    conn.execute(
        insert(captured_messages),
        [
            {
                "mid": mids.get(m.job_id, 0),
                "job_id": m.job_id or None,
                "seq": m.seq,
                "mail_from": m.mail_from,
                "rcpt_to": m.rcpt_to,
                "message_id": m.message_id,
                "data": m.data,
                "created_at": now,
            }
            for m in messages
        ],
    )
