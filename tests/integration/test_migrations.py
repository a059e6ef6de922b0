"""The migrations build exactly the schema that store/tables.py describes (SQLite and
PostgreSQL), so a column added to the tables without its migration is caught here."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sendwell.store.db import make_engine, upgrade
from sendwell.store.tables import metadata


@pytest.mark.postgres
def test_the_migrated_schema_is_the_described_one(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_server_default": False})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []
