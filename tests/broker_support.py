"""A real Redis for the tests of Celery workers.

``SENDWELL_TEST_REDIS_URL`` names one (CI's ``.ci/run`` starts it): each test gets it emptied.
Otherwise, and for the tests that kill and restart Redis, Debian's ``redis-server`` runs on a
free port, with a data directory of its own and no persistence (a restart loses every queued
task, the case the ledger sweep exists for), stopped by its pid."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.support import free_port


def redis_binary() -> str:
    path = shutil.which("redis-server")
    if path is None:
        pytest.skip("redis-server is not installed (Debian package: redis-server)")
    return path


class RedisServer:
    """One redis-server process; ``restart`` kills it (SIGKILL) and starts a fresh, empty one
    on the same addresses."""

    def __init__(self, hosts: Sequence[str] = ("127.0.0.1",)) -> None:
        self.hosts = list(hosts)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="sendwell-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, host: str = "127.0.0.1", db: int = 0) -> str:
        return f"redis://{host}:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                *self.hosts,
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class SharedRedis:
    """The Redis named by SENDWELL_TEST_REDIS_URL, emptied before and after a test."""

    def __init__(self, url: str) -> None:
        self._url = url

    def url(self) -> str:
        return self._url

    def empty(self) -> None:
        import redis

        redis.Redis.from_url(self._url).flushdb()


@contextmanager
def redis_server(hosts: Sequence[str] = ("127.0.0.1",)) -> Iterator[RedisServer | SharedRedis]:
    """A Redis for one test: the shared one if there is one, else a process of its own."""
    shared = os.environ.get("SENDWELL_TEST_REDIS_URL")
    if shared and list(hosts) == ["127.0.0.1"]:
        broker = SharedRedis(shared)
        broker.empty()
        try:
            yield broker
        finally:
            broker.empty()
        return
    server = RedisServer(hosts)
    server.start()
    try:
        yield server
    finally:
        server.stop()
