"""Messages kept by the ``capture://`` transport: list, read, clear — per account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from typing import Any

from sqlalchemy import Engine, func, select

from sendwell.domain.errors import NotFound
from sendwell.domain.limits import parse_id
from sendwell.store import captured as store
from sendwell.store.tables import captured_messages


@dataclass(frozen=True)
class CapturedSummary:
    id: int
    job_id: int | None
    mail_from: str
    rcpt_to: str
    subject: str
    message_id: str | None
    created_at: datetime


def list_captured(
    engine: Engine,
    mid: int,
    job_id: int | None = None,
    to: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[CapturedSummary]]:
    """Newest first; the total count and one page."""
    where = [captured_messages.c.mid == mid]
    if job_id is not None:
        where.append(captured_messages.c.job_id == (parse_id(job_id) or -1))  # -1: no such job
    if to:
        where.append(func.lower(captured_messages.c.rcpt_to) == to.lower())
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).where(*where)).scalar_one()
        rows = conn.execute(
            select(captured_messages)
            .where(*where)
            .order_by(captured_messages.c.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
    return int(total), [_summary(r) for r in rows]


def get_captured(engine: Engine, mid: int, message_id: int) -> tuple[CapturedSummary, bytes]:
    number, row = parse_id(message_id), None
    if number is not None:
        with engine.connect() as conn:
            row = conn.execute(
                select(captured_messages).where(
                    captured_messages.c.mid == mid, captured_messages.c.id == number
                )
            ).first()
    if row is None:
        raise NotFound(f"Captured message {message_id} was not found.")
    return _summary(row), row.data


def parsed(data: bytes) -> dict[str, Any]:
    """Headers and decoded text/html parts of a captured message."""
    msg = message_from_bytes(data, policy=policy.default)
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    return {
        "headers": [[k, str(v)] for k, v in msg.items()],
        "text": text.get_content() if text is not None else None,
        "html": html.get_content() if html is not None else None,
    }


def clear_captured(engine: Engine, mid: int) -> int:
    """Delete every message captured for the account; how many there were."""
    with engine.begin() as conn:
        return store.clear(conn, mid)


def _summary(row: Any) -> CapturedSummary:
    head = row.data[: row.data.find(b"\r\n\r\n")]
    msg = message_from_bytes(head + b"\r\n\r\n", policy=policy.default)
    return CapturedSummary(
        row.id,
        row.job_id,
        row.mail_from,
        row.rcpt_to,
        str(msg.get("Subject", "")),
        row.message_id,
        row.created_at,
    )
