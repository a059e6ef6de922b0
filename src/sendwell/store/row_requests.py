"""Asynchronous row requests: stored when submitted, claimed by one worker, finished once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update

from sendwell.domain.clock import utcnow
from sendwell.store.leases import claim_first
from sendwell.store.tables import row_requests


def add_request(
    conn: Connection, request_id: str, mid: int, de_id: int, kind: str, items: Sequence[Any]
) -> None:
    """Store a request as Pending."""
    conn.execute(
        insert(row_requests).values(
            request_id=request_id,
            mid=mid,
            de_id=de_id,
            kind=kind,
            items=list(items),
            status="Pending",
            created_at=utcnow(),
        )
    )


def claim_next(engine: Engine, lease_seconds: int) -> Any:
    """Take the oldest Pending request (or one whose worker stopped before finishing it) and
    mark it Executing; None when there is none."""
    now = utcnow()
    candidates = (
        select(row_requests.c.id, row_requests.c.status, row_requests.c.picked_up_at)
        .where(
            or_(
                row_requests.c.status == "Pending",
                (row_requests.c.status == "Executing")
                & (row_requests.c.picked_up_at < now - timedelta(seconds=lease_seconds)),
            )
        )
        .order_by(row_requests.c.id)
    )
    return claim_first(engine, row_requests, candidates, status="Executing", picked_up_at=now)


def finish(conn: Connection, claimed: Any, results: list[dict[str, Any]], has_errors: bool) -> bool:
    """Record a claimed request's results, if the claim is still this worker's; whether it was.

    Called in the transaction that wrote the rows: a worker whose lease lapsed and was taken
    over writes nothing (its transaction is rolled back by the caller).
    """
    return bool(
        conn.execute(
            update(row_requests)
            .where(
                row_requests.c.id == claimed.id,
                row_requests.c.status == "Executing",
                row_requests.c.picked_up_at == claimed.picked_up_at,
            )
            .values(
                status="Complete",
                results=results,
                has_errors=has_errors,
                completed_at=utcnow(),
            )
        ).rowcount
    )


def find_request(conn: Connection, mid: int, request_id: str) -> Any:
    """The account's request with this requestId, or None."""
    return conn.execute(
        select(row_requests).where(
            row_requests.c.mid == mid, row_requests.c.request_id == str(request_id)[:36].lower()
        )
    ).first()
