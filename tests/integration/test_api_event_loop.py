"""A request that waits on the database (a lock held by a send's workers, another writer) waits
in the thread pool: every other request goes on. Sendwell under a real uvicorn in this process;
the lock is taken by another connection, as a worker's would be."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from tests.conftest import World, make_world
from tests.integration.send_api_support import BASE, bearer, definition, setup_account
from tests.support import envelope, free_port, retrieve

LOCK_SECONDS = 1.5


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[World, str]]:
    """The world's app also served by uvicorn (its lifespan already run by the TestClient)."""
    for world in make_world(database_url, workers=0):
        port = free_port()
        config = uvicorn.Config(
            world.client.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        try:
            yield world, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(10)


@contextmanager
def table_locked(database_url: str, table: str) -> Iterator[None]:
    """``table`` cannot be written (SQLite: the database; PostgreSQL: not even read) until the
    block ends."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # the single writer's lock, as a worker's write holds it
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    import psycopg

    with psycopg.connect(database_url) as conn:
        conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


def answered_meanwhile(url: str, call: Callable[[], httpx.Response], lock: Any) -> httpx.Response:
    """Run ``call`` while ``lock`` holds; /healthz must answer before ``call`` can."""
    finished: dict[str, float] = {}
    replies: list[httpx.Response] = []

    def slow() -> None:
        replies.append(call())
        finished["call"] = time.perf_counter()

    with httpx.Client(base_url=url, timeout=30) as health:
        health.get("/healthz")  # connection warmed up
        with lock:
            thread = threading.Thread(target=slow)
            thread.start()
            time.sleep(0.3)  # the call waits on the lock now
            assert health.get("/healthz").status_code == 200
            finished["health"] = time.perf_counter()
            time.sleep(max(0.0, LOCK_SECONDS - 0.3))
        thread.join(30)
    # Blocking the event loop, the call would hold /healthz until the lock was released.
    assert finished["health"] < finished["call"]
    return replies[0]


def test_schedule_send_waiting_on_the_database_leaves_other_requests_alone(
    served: tuple[World, str], database_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    world, url = served
    ids = setup_account(world, tmp_path)
    headers = bearer(world)
    created = world.client.post(BASE, json={"EmailDefinition": definition(ids)}, headers=headers)
    path = f"{BASE}/{created.json()['DefinitionId']}/schedule"
    body = {"Schedule": {"StartImmediately": True, "AllRecipientsOptedIn": True}}

    reply = answered_meanwhile(
        url,
        lambda: httpx.post(url + path, json=body, headers=headers, timeout=30),
        table_locked(database_url, "send_instances"),
    )
    assert reply.status_code == 200 and reply.json()["IsError"] is False, reply.text
    instance = world.client.get(f"{BASE}/instance/{reply.json()['InstanceId']}", headers=headers)
    assert instance.json()["Status"] == "Scheduled"


# PostgreSQL only: SQLite's readers never wait on a writer's lock (WAL mode).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_soap_login_check_waiting_on_the_database_leaves_other_requests_alone(
    served: tuple[World, str], database_url: str
) -> None:
    _, url = served
    body = envelope(retrieve("Email", ["ID"]), user=("api_user", "api-password")).encode()
    headers = {"Content-Type": "text/xml", "SOAPAction": "Retrieve"}

    reply = answered_meanwhile(
        url,
        lambda: httpx.post(url + "/Service.asmx", content=body, headers=headers, timeout=30),
        table_locked(database_url, "login_failures"),
    )
    assert reply.status_code == 200 and "<OverallStatus>OK</OverallStatus>" in reply.text
