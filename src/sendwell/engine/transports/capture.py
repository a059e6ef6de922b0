"""``capture://``: keep every message in the database instead of delivering it.

The local stand-in's default. Captured messages are listed by the inbox page, the capture API
(``/capture/v1/messages``) and ``sendwell captured``; each counts as sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from sendwell.engine.transports.base import (
    SENT,
    Envelope,
    Outcome,
    Report,
    TransportError,
    register_scheme,
)
from sendwell.store.captured import Capture, keep


class CaptureTransport:
    """Stores each envelope as a captured message; every outcome is "sent"."""

    def __init__(self, db: Engine) -> None:
        self.db = db

    async def deliver(
        self, envelopes: Sequence[Envelope], report: Report | None = None
    ) -> list[Outcome]:
        if not envelopes:
            return []
        captures = [
            Capture(e.job_id, e.ref, e.mail_from, e.rcpt_to, _message_id(e.data), e.data)
            for e in envelopes
        ]
        with self.db.begin() as conn:
            keep(conn, captures)
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
