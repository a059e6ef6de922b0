"""Fixtures: a database per test (SQLite, and PostgreSQL when configured), a running app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from sendwell.app import create_app
from sendwell.config import Settings
from sendwell.services.accounts import Accounts

POSTGRES_URL = os.environ.get("SENDWELL_TEST_POSTGRES_URL")
REQUIRE_ALL = os.environ.get("SENDWELL_REQUIRE_ALL_TESTS") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """In CI (SENDWELL_REQUIRE_ALL_TESTS=1) a skipped test is a failure: nothing may hide."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but CI requires every test to run: {report.longrepr}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/sendwell.db"
        return
    if not POSTGRES_URL:
        pytest.skip("SENDWELL_TEST_POSTGRES_URL is not set")
    import psycopg

    name = f"sendwell_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path}/sendwell.db"


@dataclass
class World:
    """Two accounts (one with a child unit), their users and packages, and a live app."""

    client: TestClient
    settings: Settings
    accounts: Accounts
    user: tuple[str, str] = ("api_user", "api-password")
    other_user: tuple[str, str] = ("other_user", "other-password")
    child_only_user: tuple[str, str] = ("child_user", "child-password")
    mid: int = 1001
    child_mid: int = 1002
    other_mid: int = 2001
    client_id: str = "pkg-client"
    client_secret: str = "pkg-secret"

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        return self.client.app.state.engine


def make_world(database_url: str, **overrides: object) -> Iterator[World]:
    overrides.setdefault("secret_key", "test-secret-key")  # no key file left in the work tree
    settings = Settings(database_url=database_url, **overrides)  # type: ignore[arg-type]
    app = create_app(settings)
    accounts = app.state.accounts
    accounts.create_account(1001, "Parent")
    accounts.create_account(1002, "Child", 1001)
    accounts.create_account(2001, "Other company")
    accounts.create_user(1001, "api_user", "api-password", [1002])
    accounts.create_user(2001, "other_user", "other-password")
    accounts.create_user(1002, "child_user", "child-password")
    accounts.create_package(1001, "Integration", "pkg-client", "pkg-secret", [1002])
    with TestClient(app) as client:
        yield World(client, settings, accounts)


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    yield from make_world(database_url)


@pytest.fixture
def sqlite_world(sqlite_url: str) -> Iterator[World]:
    yield from make_world(sqlite_url)
