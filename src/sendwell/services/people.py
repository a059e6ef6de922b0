"""The people who sign in to the pages: API users, and the business units each may act for."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from sendwell.store import people as store


@dataclass(frozen=True)
class Person:
    """A signed-in API user: the units it may act for (its own first) and the one it acts
    for now (the switcher's choice)."""

    user_id: int
    username: str
    home_mid: int
    units: tuple[tuple[int, str], ...]  # (mid, name)
    mid: int

    @property
    def allowed(self) -> frozenset[int]:
        return frozenset(mid for mid, _ in self.units)

    @property
    def unit_name(self) -> str:
        return dict(self.units).get(self.mid, str(self.mid))


def person(engine: Engine, user_id: int, acting_mid: int | None) -> Person | None:
    """The user ``user_id`` acting for ``acting_mid`` (its home unit when that is not one it may
    act for now); None when the user no longer exists."""
    with engine.connect() as conn:
        user = store.user(conn, user_id)
        if user is None:
            return None
        units = store.units_of(conn, user_id, user.mid)
    allowed = {mid for mid, _ in units}
    mid = acting_mid if acting_mid in allowed else user.mid
    return Person(user.id, user.username, user.mid, tuple(units), mid)
