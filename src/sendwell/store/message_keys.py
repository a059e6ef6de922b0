"""Keys callers give single messages: a transactional messageKey, a legacy recipientSendId.

A key names one recipient of a continuous job's ledger. A messageKey is unique within an
account for 72 hours (Marketing Cloud's best-practices page; its status page says two days):
reused after that, it names the newest send.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from sendwell.domain.clock import utcnow
from sendwell.store.tables import message_keys, recipients, send_jobs

MESSAGE_KEY = "messageKey"
RECIPIENT_SEND_ID = "recipientSendId"
UNIQUE_FOR = timedelta(hours=72)


def used(conn: Connection, mid: int, kind: str, keys: Sequence[str]) -> tuple[set[str], set[str]]:
    """The keys among ``keys`` used within the uniqueness window, and those used before it."""
    if not keys:
        return set(), set()
    since = utcnow() - UNIQUE_FOR
    rows = conn.execute(
        select(message_keys.c.message_key, message_keys.c.created_at).where(
            message_keys.c.mid == mid,
            message_keys.c.kind == kind,
            message_keys.c.message_key.in_(list(keys)),
        )
    ).all()
    return {k for k, at in rows if at >= since}, {k for k, at in rows if at < since}


def keep(
    conn: Connection,
    mid: int,
    kind: str,
    entries: Sequence[tuple[str, int, int]],
    definition_key: str | None,
    expired: Sequence[str] = (),
) -> None:
    """Record ``(key, job_id, seq)`` entries; ``expired`` keys (used before the window) are
    replaced."""
    if not entries:
        return
    now = utcnow()
    if expired:
        conn.execute(
            delete(message_keys).where(
                message_keys.c.mid == mid,
                message_keys.c.kind == kind,
                message_keys.c.message_key.in_(list(expired)),
            )
        )
    conn.execute(
        insert(message_keys),
        [
            {
                "mid": mid,
                "kind": kind,
                "message_key": key,
                "definition_key": definition_key,
                "job_id": job_id,
                "seq": seq,
                "created_at": now,
            }
            for key, job_id, seq in entries
        ],
    )


def message(conn: Connection, mid: int, kind: str, key: str) -> Any:
    """The ledger row a key names (with the key's own fields), or None."""
    return conn.execute(
        select(
            message_keys.c.message_key,
            message_keys.c.definition_key,
            message_keys.c.created_at.label("accepted_at"),
            recipients.c.job_id,
            recipients.c.seq,
            recipients.c.subscriber_key,
            recipients.c.email,
            recipients.c.status,
            recipients.c.reason_code,
            recipients.c.sent_at,
            recipients.c.smtp_reply,
            send_jobs.c.definition_id,
        )
        .join(
            recipients,
            (recipients.c.job_id == message_keys.c.job_id)
            & (recipients.c.seq == message_keys.c.seq),
        )
        .join(send_jobs, send_jobs.c.id == message_keys.c.job_id)
        .where(
            message_keys.c.mid == mid,
            message_keys.c.kind == kind,
            message_keys.c.message_key == str(key)[:100],
        )
    ).first()
