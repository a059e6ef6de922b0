"""Queries of injected faults: add, list, clear, take one hit (counted down atomically), log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from sendwell.domain.clock import utcnow
from sendwell.domain.faults import FaultSpec
from sendwell.store.tables import api_users, fault_log, faults, packages

LOG_KEPT = 1000  # log lines kept per account


def add(conn: Connection, mid: int, spec: FaultSpec) -> int:
    """Store a fault; its id."""
    return int(
        conn.execute(
            insert(faults).values(
                mid=mid,
                target=spec.target,
                match=spec.match,
                kind=spec.kind,
                code=spec.code,
                message=spec.message,
                share=spec.share,
                remaining=spec.count,
                delay_ms=spec.delay_ms,
                retry_after=spec.retry_after,
                hits=0,
                created_at=utcnow(),
            )
        ).inserted_primary_key[0]
    )


def active(conn: Connection, mid: int | None = None) -> list[Any]:
    """Faults still in force (with calls left), of one account or of all, oldest first."""
    query = select(faults).where(or_(faults.c.remaining.is_(None), faults.c.remaining > 0))
    if mid is not None:
        query = query.where(faults.c.mid == mid)
    return list(conn.execute(query.order_by(faults.c.id)))


def any_active(conn: Connection) -> bool:
    """Whether any account has a fault in force (the cheap check of every request)."""
    query = select(faults.c.id).where(or_(faults.c.remaining.is_(None), faults.c.remaining > 0))
    return conn.execute(query.limit(1)).first() is not None


def take(conn: Connection, fault_id: int, what: str) -> bool:
    """Use one of the fault's calls; False when none is left (another process took the last).
    The hit is logged."""
    now = utcnow()
    taken = conn.execute(
        update(faults)
        .where(faults.c.id == fault_id, or_(faults.c.remaining.is_(None), faults.c.remaining > 0))
        .values(
            hits=faults.c.hits + 1,
            last_hit_at=now,
            remaining=faults.c.remaining - 1,  # NULL stays NULL: until cleared
        )
    ).rowcount
    if taken:
        mid = conn.execute(select(faults.c.mid).where(faults.c.id == fault_id)).scalar_one()
        conn.execute(insert(fault_log).values(fault_id=fault_id, mid=mid, at=now, what=what))
    return bool(taken)


def log_of(conn: Connection, mid: int, limit: int = 50) -> list[Any]:
    """The account's newest injected faults, newest first."""
    return list(
        conn.execute(
            select(fault_log)
            .where(fault_log.c.mid == mid)
            .order_by(fault_log.c.id.desc())
            .limit(limit)
        )
    )


def clear(conn: Connection, mid: int, fault_id: int | None = None) -> int:
    """Remove the account's faults (or one); how many. Their log stays, trimmed."""
    query = delete(faults).where(faults.c.mid == mid)
    if fault_id is not None:
        query = query.where(faults.c.id == fault_id)
    removed = conn.execute(query).rowcount
    keep_from = conn.execute(
        select(func.min(fault_log.c.id)).where(
            fault_log.c.id.in_(
                select(fault_log.c.id)
                .where(fault_log.c.mid == mid)
                .order_by(fault_log.c.id.desc())
                .limit(LOG_KEPT)
            )
        )
    ).scalar()
    if keep_from is not None:
        conn.execute(delete(fault_log).where(fault_log.c.mid == mid, fault_log.c.id < keep_from))
    return removed


def user_mid(conn: Connection, username: str) -> int | None:
    """The account of the API user ``username`` (whose calls a fault aims at), or None."""
    return conn.execute(select(api_users.c.mid).where(api_users.c.username == username)).scalar()


def package_mid(conn: Connection, client_id: str) -> int | None:
    """The account of the installed package ``client_id``, or None."""
    return conn.execute(select(packages.c.mid).where(packages.c.client_id == client_id)).scalar()
