"""Claiming one row of work among many workers, without locks that SQLite lacks.

A worker reads a few candidates, then takes the first with an update conditional on what it
read (the row's id and the columns that made it a candidate): of two workers racing for a row
one update matches and one does not, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, select, update
from sqlalchemy.sql import Select

CANDIDATES = 4  # rows read per try: enough that racing workers rarely all want the same one


def claim_first(engine: Engine, table: Table, candidates: Select, **values: Any) -> Any:
    """Write ``values`` into the first candidate still as it was read; that row, or None.

    ``candidates`` selects ``id`` and the columns the claim depends on (their values are the
    update's condition), in the order to try them.
    """
    with engine.begin() as conn:
        for row in conn.execute(candidates.limit(CANDIDATES)).all():
            seen = row._mapping
            taken = conn.execute(
                update(table)
                .where(*(table.c[name] == value for name, value in seen.items()))
                .values(**values)
            ).rowcount
            if taken:
                return conn.execute(select(table).where(table.c.id == seen["id"])).one()
    return None
