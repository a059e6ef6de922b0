"""``capture://``: keep every message in the database instead of delivering it.

The local stand-in's default. Captured messages are listed by the inbox page, the capture API
(``/capture/v1/messages``) and ``sendwell captured``; each counts as sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, insert, select

from sendwell.domain.clock import utcnow
from sendwell.engine.transports.base import (
    SENT,
    Envelope,
    Outcome,
    TransportError,
    register_scheme,
)
from sendwell.store.tables import captured_messages, send_jobs


class CaptureTransport:
    """Stores each envelope as a captured message; every outcome is "sent"."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    async def deliver(self, envelopes: Sequence[Envelope]) -> list[Outcome]:
        if not envelopes:
            return []
        now = utcnow()
        with self.db.begin() as conn:
            jobs = {e.job_id for e in envelopes if e.job_id}
            query = select(send_jobs.c.id, send_jobs.c.mid).where(send_jobs.c.id.in_(jobs))
            mids = {job_id: mid for job_id, mid in conn.execute(query)}
            conn.execute(
                insert(captured_messages),
                [
                    {
                        "mid": mids.get(e.job_id, 0),
                        "job_id": e.job_id or None,
                        "seq": e.ref,
                        "mail_from": e.mail_from,
                        "rcpt_to": e.rcpt_to,
                        "message_id": _message_id(e.data),
                        "data": e.data,
                        "created_at": now,
                    }
                    for e in envelopes
                ],
            )
        return [Outcome(e.ref, SENT, 250, "250 2.0.0 Captured") for e in envelopes]

    async def aclose(self) -> None:
        return None


def _message_id(data: bytes) -> str | None:
    head = data[: data.find(b"\r\n\r\n")]
    start = head.find(b"\r\nMessage-ID:")
    if start < 0:
        return None
    end = head.find(b"\r\n", start + 2)
    return head[start + 13 : end if end > 0 else None].strip().decode("ascii", "replace")


def _factory(url: str, db: Engine | None = None, **_: object) -> CaptureTransport:
    if db is None:
        raise TransportError("capture:// needs the database engine")
    return CaptureTransport(db)


register_scheme("capture", _factory)
