"""Queries of the pages' sign-in: an API user by id, and the units it may act for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from sendwell.store.tables import accounts, api_users, grants


def user(conn: Connection, user_id: int) -> Any:
    """The API user row (id, mid, username), or None."""
    return conn.execute(
        select(api_users.c.id, api_users.c.mid, api_users.c.username).where(
            api_users.c.id == user_id
        )
    ).first()


def units_of(conn: Connection, user_id: int, home_mid: int) -> list[tuple[int, str]]:
    """(mid, name) of the user's own account, then of the child units granted to it."""
    granted = select(grants.c.mid).where(
        grants.c.principal == "user", grants.c.principal_id == user_id
    )
    rows = conn.execute(
        select(accounts.c.mid, accounts.c.name).where(
            (accounts.c.mid == home_mid) | accounts.c.mid.in_(granted)
        )
    ).all()
    return sorted(((r.mid, r.name) for r in rows), key=lambda u: (u[0] != home_mid, u[0]))
