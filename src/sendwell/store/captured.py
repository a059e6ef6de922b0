"""The ``capture://`` transport's messages: kept under their job's account, and the inbox's
queries over them.

Each message is written twice in one transaction: its bytes (``captured_messages``) and what
the inbox lists and searches (``captured_index``, ``domain.inbox.index_fields``). Lists are
newest first by id, read through an index that starts with the account (``mid, id``; with the
recipient or the send when the search names one), so a first page reads a page of rows however
many messages there are; searches page by id (``before``), never by OFFSET.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, delete, func, insert, select

from sendwell.domain.clock import utcnow
from sendwell.domain.inbox import InboxQuery, index_fields
from sendwell.store.tables import (
    captured_index,
    captured_messages,
    job_links,
    send_jobs,
    tracking_events,
)


class Capture(NamedTuple):
    """One message as the capture transport keeps it."""

    job_id: int  # 0: no job (a message sent outside a send)
    seq: int  # the ledger seq; negative for a job's copies (CC, BCC, seed)
    mail_from: str
    rcpt_to: str
    message_id: str | None
    data: bytes


def keep(conn: Connection, messages: Sequence[Capture]) -> None:
    """Store messages under the account of their job, with their inbox index rows."""
    jobs = {m.job_id for m in messages if m.job_id}
    query = select(send_jobs.c.id, send_jobs.c.mid).where(send_jobs.c.id.in_(jobs))
    mids = {job_id: mid for job_id, mid in conn.execute(query)}
    now = utcnow()
    rows = [
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
    ]
    ids = _insert_returning_ids(conn, rows)
    conn.execute(
        insert(captured_index),
        [
            {
                "id": id_,
                "mid": row["mid"],
                "job_id": row["job_id"],
                "seq": row["seq"],
                "mail_from": m.mail_from,
                "created_at": now,
                **index_fields(m.rcpt_to, m.mail_from, m.data),
            }
            for id_, row, m in zip(ids, rows, messages, strict=True)
        ],
    )


def _insert_returning_ids(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the messages; their ids in the order given (RETURNING, one statement)."""
    statement = insert(captured_messages).returning(
        captured_messages.c.id, sort_by_parameter_order=True
    )
    return [r[0] for r in conn.execute(statement, rows)]


def _where(mid: int, query: InboxQuery) -> list[Any]:
    where = [captured_index.c.mid == mid]
    if query.to is not None:
        where.append(captured_index.c.rcpt_to == query.to)
    if query.send is not None:
        where.append(captured_index.c.job_id == query.send)
    for words in query.subject:
        where.append(func.lower(captured_index.c.subject).contains(words, autoescape=True))
    for word in query.words:
        where.append(captured_index.c.haystack.contains(word, autoescape=True))
    return where


def search(
    conn: Connection, mid: int, query: InboxQuery, before: int | None, limit: int
) -> list[Any]:
    """Up to ``limit`` index rows matching ``query``, newest first, older than id ``before``."""
    where = _where(mid, query)
    if before is not None:
        where.append(captured_index.c.id < before)
    return list(
        conn.execute(
            select(captured_index).where(*where).order_by(captured_index.c.id.desc()).limit(limit)
        )
    )


def count(conn: Connection, mid: int, query: InboxQuery, cap: int | None = None) -> int:
    """How many messages match; with ``cap``, counting stops there (a search shows "1000+")."""
    inner = select(captured_index.c.id).where(*_where(mid, query))
    if cap is not None:
        inner = inner.limit(cap)
    return int(conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one())


def newest_id(conn: Connection, mid: int) -> int:
    """The id of the account's newest captured message (0 when none): what live updates watch."""
    return int(
        conn.execute(
            select(func.coalesce(func.max(captured_index.c.id), 0)).where(
                captured_index.c.mid == mid
            )
        ).scalar_one()
    )


def message_row(conn: Connection, mid: int, message_id: int) -> Any:
    """One captured message (bytes included) of the account, or None."""
    return conn.execute(
        select(captured_messages).where(
            captured_messages.c.mid == mid, captured_messages.c.id == message_id
        )
    ).first()


def links_of(conn: Connection, job_id: int) -> dict[int, str]:
    """The tracked links of a job: where each ``/t/c/{token}/{url_id}`` redirects."""
    rows = conn.execute(
        select(job_links.c.url_id, job_links.c.url).where(job_links.c.job_id == job_id)
    )
    return {r.url_id: r.url for r in rows}


def clear(conn: Connection, mid: int) -> int:
    """Delete every captured message of the account (and its index rows)."""
    conn.execute(delete(captured_index).where(captured_index.c.mid == mid))
    return conn.execute(delete(captured_messages).where(captured_messages.c.mid == mid)).rowcount


def events_of(conn: Connection, job_id: int, seq: int) -> list[Any]:
    """The tracking events of one recipient of a job (opens, clicks, unsubscribes, bounces)."""
    return list(
        conn.execute(
            select(
                tracking_events.c.event_type,
                tracking_events.c.event_date,
                tracking_events.c.url_id,
                tracking_events.c.details,
            )
            .where(tracking_events.c.job_id == job_id, tracking_events.c.seq == seq)
            .order_by(tracking_events.c.id)
        )
    )
