"""Pieces the benchmarks share: Postfix's smtp-sink, Sendwell's API and worker processes.

Everything listens on 127.0.0.1 and is stopped by its own id when the block ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

POSTFIX_PATH = "/usr/sbin:/usr/lib/postfix/sbin:" + os.environ.get("PATH", "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def postfix_tool(name: str) -> str:
    path = shutil.which(name, path=POSTFIX_PATH)
    if not path:
        sys.exit(f"{name} not found (Debian package: postfix)")
    return path


@contextmanager
def smtp_sink() -> Iterator[int]:
    """Postfix's smtp-sink on a free port; yields the port."""
    port = free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    sink = subprocess.Popen(
        [postfix_tool("smtp-sink"), *user, f"127.0.0.1:{port}", "1000"], stdout=subprocess.DEVNULL
    )
    try:
        wait_port(port)
        yield port
    finally:
        sink.terminate()
        sink.wait(10)


@contextmanager
def redis_server() -> Iterator[str]:
    """Debian's redis-server on a free port (no persistence, its own directory); yields its URL."""
    import tempfile

    port = free_port()
    directory = tempfile.mkdtemp(prefix="sendwell-bench-redis-")
    binary = shutil.which("redis-server") or sys.exit("redis-server not found (Debian package)")
    options = ["--bind", "127.0.0.1", "--port", str(port), "--dir", directory]
    server = subprocess.Popen(
        [binary, *options, "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    try:
        wait_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def api_server(app) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """The app served by uvicorn in a thread; yields the port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_port(port)
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def worker_processes(count: int, env: dict[str, str]) -> Iterator[list[subprocess.Popen]]:
    """``sendwell worker`` processes with the given SENDWELL_* settings; stopped by SIGINT."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "sendwell", "worker"],
            env={**os.environ, **env},
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        time.sleep(2)  # let them import and connect
        yield workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGINT)
        for worker in workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
