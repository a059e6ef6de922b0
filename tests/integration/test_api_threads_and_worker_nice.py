"""The API's thread pool is sized by its database (SQLite has one writer: a few threads queue
on its lock better than many), and a ``sendwell worker`` can yield the CPU to the API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio.to_thread
from fastapi.testclient import TestClient

from sendwell.app import create_app
from sendwell.config import Settings


def pool_size(settings: Settings) -> int:
    """The thread pool's size inside the running app's event loop."""
    with TestClient(create_app(settings, start_workers=False)) as client:
        assert client.portal is not None
        return client.portal.call(anyio.to_thread.current_default_thread_limiter).total_tokens


def test_the_api_thread_pool_follows_the_database(database_url: str) -> None:
    expected = 8 if database_url.startswith("sqlite") else 40
    assert pool_size(Settings(database_url=database_url, secret_key="k", workers=0)) == expected
    chosen = Settings(database_url=database_url, secret_key="k", workers=0, api_threads=3)
    assert pool_size(chosen) == 3


def niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_a_worker_process_adds_its_niceness(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "SENDWELL_DATABASE_URL": f"sqlite:///{tmp_path}/w.db",
        "SENDWELL_TRANSPORT": "capture://",
        "SENDWELL_SECRET_KEY": "k",
        "SENDWELL_WORKER_NICE": "7",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "sendwell", "worker"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while niceness(worker.pid) != os.nice(0) + 7:
            assert worker.poll() is None and time.monotonic() < deadline, "never reniced"
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(30)
