"""Retrieve continuations: the state of a paged Retrieve, kept for its ContinueRequest."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from sendwell.domain.clock import utcnow
from sendwell.store.tables import retrieve_cursors

KEPT_FOR = timedelta(hours=1)


def save_cursor(conn: Connection, request_id: str, mid: int, state: Mapping[str, Any]) -> None:
    """Keep ``state`` under the Retrieve's RequestID for an hour (and drop expired ones)."""
    now = utcnow()
    conn.execute(delete(retrieve_cursors).where(retrieve_cursors.c.expires_at < now))
    conn.execute(
        insert(retrieve_cursors).values(
            request_id=request_id, mid=mid, state=dict(state), expires_at=now + KEPT_FOR
        )
    )


def load_cursor(conn: Connection, request_id: str) -> dict[str, Any] | None:
    """The state kept under ``request_id``, or None when unknown or expired."""
    row = conn.execute(
        select(retrieve_cursors).where(retrieve_cursors.c.request_id == str(request_id)[:36])
    ).first()
    if row is None or row.expires_at < utcnow():
        return None
    return dict(row.state)
