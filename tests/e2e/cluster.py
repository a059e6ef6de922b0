"""Separate machines for the multi-process tests: one network namespace per process, joined to
this one by a veth link, as an API server and workers on other hosts would be.

Each host gets a namespace ``<prefix><n>`` with loopback and its end of a veth pair
(``10.<net>.<n>.2/30``); this namespace holds the other end (``10.<net>.<n>.1``), where the
shared services listen for that host: Redis and the SMTP server directly, PostgreSQL (which
listens on 127.0.0.1 only) through a small TCP forwarder. The addresses exist only inside the
namespaces the test made, and everything is removed at the end.

Where the kernel refuses (no root, no veth), ``Hosts`` falls back to plain processes on
127.0.0.1 and says so in ``note``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Host:
    """One simulated machine: the command prefix that runs in it, and its addresses."""

    name: str
    prefix: tuple[str, ...]  # ("ip", "netns", "exec", name), or () on loopback
    address: str  # where it listens (its side of the link)
    gateway: str  # where it reaches the shared services (our side of the link)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=20)


class Hosts:
    """``count`` hosts in namespaces of their own, or on loopback when that cannot be."""

    def __init__(self, count: int) -> None:
        tag = os.getpid() % 10_000
        self.prefix = f"swc{tag}-"
        self.net = 100 + os.getpid() % 100  # a 10.x.0.0/16 of this run's own namespaces
        self.hosts: list[Host] = []
        self.note = ""
        try:
            for n in range(count):
                self.hosts.append(self._make(n))
        except (OSError, subprocess.SubprocessError) as exc:
            self.remove()
            detail = getattr(exc, "stderr", "") or str(exc)
            self.note = f"network namespaces with veth links refused here ({detail.strip()}):"
            self.note += " separate processes on 127.0.0.1 instead"
            self.hosts = [Host(f"local{n}", (), "127.0.0.1", "127.0.0.1") for n in range(count)]

    def _make(self, n: int) -> Host:
        name = f"{self.prefix}{n}"
        ours, theirs = f"{name}a", f"{name}b"
        gateway, address = f"10.{self.net}.{n}.1", f"10.{self.net}.{n}.2"
        _ip("netns", "add", name)
        host = Host(name, ("ip", "netns", "exec", name), address, gateway)
        self.hosts.append(host)  # removed with the others if what follows fails
        _ip("link", "add", ours, "type", "veth", "peer", "name", theirs, "netns", name)
        _ip("addr", "add", f"{gateway}/30", "dev", ours)
        _ip("link", "set", ours, "up")
        for args in (
            ("addr", "add", f"{address}/30", "dev", theirs),
            ("link", "set", theirs, "up"),
            ("link", "set", "lo", "up"),
        ):
            _ip("netns", "exec", name, "ip", *args)
        self.hosts.pop()
        return host

    @property
    def gateways(self) -> list[str]:
        return sorted({h.gateway for h in self.hosts})

    def remove(self) -> None:
        for host in self.hosts:
            if host.prefix:
                with contextlib.suppress(OSError, subprocess.SubprocessError):
                    _ip("link", "del", f"{host.name}a")
                with contextlib.suppress(OSError, subprocess.SubprocessError):
                    _ip("netns", "del", host.name)


@contextlib.contextmanager
def hosts(count: int) -> Iterator[Hosts]:
    made = Hosts(count)
    try:
        yield made
    finally:
        made.remove()


class Forwarder:
    """TCP forwarding from ``(address, port)`` listeners to one target, in a thread."""

    def __init__(self, addresses: list[str], port: int, target: tuple[str, int]) -> None:
        self.addresses, self.port, self.target = addresses, port, target
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.servers: list[asyncio.Server] = []

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _start(self) -> None:
        for address in self.addresses:
            self.servers.append(await asyncio.start_server(self._client, address, self.port))

    def __enter__(self) -> Forwarder:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def close() -> None:
            for server in self.servers:
                server.close()
            pipes = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pipes:
                task.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
