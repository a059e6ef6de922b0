"""Failed-login throttle state (``login_failures``), shared by every process of an installation."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select

from sendwell.domain.login_throttle import FailedLogins, LoginKey
from sendwell.store.tables import login_failures


def _row_key(key: LoginKey) -> str:
    return hashlib.sha256(f"{key.kind}:{key.value}".encode()).hexdigest()


# Built once: every SOAP call with a UsernameToken reads its keys' state first.
_READ = select(login_failures).where(login_failures.c.key.in_(bindparam("keys", expanding=True)))


def read_failures(conn: Connection, keys: Sequence[LoginKey]) -> dict[LoginKey, FailedLogins]:
    """The stored state of each key (a clean state for keys with no failures)."""
    by_row = {_row_key(k): k for k in keys}
    rows = conn.execute(_READ, {"keys": list(by_row)}).all()
    found = {by_row[r.key]: FailedLogins(r.failures, r.last_failure_at) for r in rows}
    return {k: found.get(k, FailedLogins()) for k in keys}


def save_failures(conn: Connection, key: LoginKey, state: FailedLogins) -> None:
    """Store a key's state (insert or replace: two processes may fail the same key at once)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    values = {"failures": state.failures, "last_failure_at": state.last_failure_at}
    stmt = dialect_insert(login_failures).values(key=_row_key(key), **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_=values))


def clear_failures(conn: Connection, key: LoginKey) -> None:
    """Forget a key's failures (after a successful login)."""
    conn.execute(delete(login_failures).where(login_failures.c.key == _row_key(key)))


def forget_before(conn: Connection, cutoff: datetime) -> None:
    """Drop states whose last failure is older than ``cutoff`` (they can no longer lock)."""
    conn.execute(delete(login_failures).where(login_failures.c.last_failure_at < cutoff))
