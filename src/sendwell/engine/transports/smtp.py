"""SMTP delivery of pre-rendered messages over a pool of reused, pipelined connections.

URL: ``smtp://[user:pass@]host[:port][?option=value...]`` or ``smtps://...`` (implicit TLS).

Options: ``starttls=require|opportunistic|off`` (default opportunistic: only when offered),
``connections=N`` (default 4), ``timeout=S`` seconds per round trip (default 30),
``helo=name`` (default the host's FQDN), ``tls_verify=on|off`` (default on),
``messages_per_connection=N`` (default: no limit; then a fresh connection goes on).

What happens on each connection (pipelining, 8BITMIME, SMTPUTF8) is in `smtp_session`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import ssl
from collections.abc import Sequence
from urllib.parse import parse_qsl, unquote, urlsplit

from .base import FAILED, Envelope, Outcome, Report, TransportError, register_scheme
from .smtp_session import (
    NETWORK_ERRORS,
    Batch,
    SmtpReplyError,
    SmtpSession,
    content_parts,
    describe_error,
)

__all__ = ["STARTTLS_MODES", "SmtpReplyError", "SmtpTransport", "content_parts"]

log = logging.getLogger(__name__)

STARTTLS_MODES = ("require", "opportunistic", "off")
_MAX_EMPTY_SESSIONS = 2  # a worker gives up after this many sessions in a row settle nothing
_UNSAFE_ADDRESS = re.compile(r"[\x00-\x20<>\x7f]")  # controls, space, CR, LF, angle brackets


def _address_problem(env: Envelope) -> str | None:
    if not isinstance(env, Envelope):
        raise TransportError(f"deliver() takes Envelope objects, not {type(env).__name__}")
    if not env.rcpt_to:
        return "local: empty recipient address"
    if _UNSAFE_ADDRESS.search(env.mail_from) or _UNSAFE_ADDRESS.search(env.rcpt_to):
        return "local: address contains a control character, space, '<' or '>'"
    return None


def _default_helo() -> str:
    name = socket.getfqdn()
    return name if name and name.isascii() and not _UNSAFE_ADDRESS.search(name) else "localhost"


def _tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class SmtpTransport:
    """Delivers envelopes to one SMTP server over a pool of reused connections."""

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        implicit_tls: bool = False,
        starttls: str = "opportunistic",
        connections: int = 4,
        timeout: float = 30.0,
        helo: str | None = None,
        tls_verify: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        messages_per_connection: int | None = None,
        report_every: int = 100,
    ) -> None:
        if starttls not in STARTTLS_MODES:
            raise TransportError(f"starttls must be one of {STARTTLS_MODES}, not {starttls!r}")
        if connections < 1 or timeout <= 0:
            raise TransportError("connections must be >= 1 and timeout > 0")
        if (username is None) != (password is None):
            raise TransportError("give both username and password, or neither")
        self.host = host
        self.port = port or (465 if implicit_tls else 25)
        self.username, self.password = username, password
        self.implicit_tls = implicit_tls
        self.starttls = "off" if implicit_tls else starttls
        self.connections = connections
        self.timeout = timeout
        self.messages_per_connection = messages_per_connection
        self.report_every = report_every  # messages per connection between two reports
        self.helo = helo or _default_helo()
        self.ssl_context = ssl_context or _tls_context(tls_verify)
        self._idle: list[SmtpSession] = []
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @classmethod
    def from_url(cls, url: str, **kwargs: object) -> SmtpTransport:
        """Build a transport from an smtp:// or smtps:// URL; kwargs override URL options."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps") or not parts.hostname:
            raise TransportError(f"not an smtp:// or smtps:// URL with a host: {url!r}")
        try:
            port = parts.port
            options = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False))
            settings: dict[str, object] = {"implicit_tls": scheme == "smtps"}
            for key, value in options.items():
                if key == "starttls":
                    if scheme == "smtps" and value != "off":
                        raise TransportError("starttls does not apply to smtps:// (already TLS)")
                    settings["starttls"] = value
                elif key == "connections":
                    settings["connections"] = int(value)
                elif key == "timeout":
                    settings["timeout"] = float(value)
                elif key == "helo":
                    settings["helo"] = value
                elif key == "messages_per_connection":
                    settings["messages_per_connection"] = int(value)
                elif key == "tls_verify":
                    if value.lower() not in ("on", "off", "true", "false", "1", "0", "yes", "no"):
                        raise TransportError(f"tls_verify must be on or off, not {value!r}")
                    settings["tls_verify"] = value.lower() in ("on", "true", "1", "yes")
                else:
                    raise TransportError(f"unknown smtp transport option {key!r}")
        except ValueError as exc:
            raise TransportError(f"bad smtp transport URL {url!r}: {exc}") from exc
        if parts.username is not None:
            settings["username"] = unquote(parts.username)
            settings["password"] = unquote(parts.password or "")
        settings.update(kwargs)
        return cls(parts.hostname, port, **settings)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"<SmtpTransport {scheme}://{self.host}:{self.port} connections={self.connections}>"

    async def deliver(
        self, envelopes: Sequence[Envelope], report: Report | None = None
    ) -> list[Outcome]:
        """Deliver each envelope; one outcome per envelope, in the order given.

        With ``report``, each connection hands over its outcomes as it goes (``Batch.settled``):
        what is settled but not yet reported (in flight, for the caller) is at most
        ``report_every`` per connection; the rest come back with the outcomes.
        """
        if self._closed:
            raise TransportError("deliver() on a closed SmtpTransport")
        self._bind_loop()
        batch = Batch(envelopes, report, self.report_every)
        for i, env in enumerate(envelopes):
            problem = _address_problem(env)
            if problem is None:
                batch.queue.append(i)
            else:
                batch.record(i, 0, problem, FAILED)
        workers = min(self.connections, len(batch.queue))
        if workers:
            await asyncio.gather(*(self._work(batch) for _ in range(workers)))
        await batch.reported()
        return batch.settle_leftovers()

    async def aclose(self) -> None:
        """Say QUIT on the idle connections and close them."""
        self._closed = True
        idle, self._idle = self._idle, []
        if idle and self._loop is asyncio.get_running_loop():
            await asyncio.gather(*(session.quit() for session in idle))
        else:
            for session in idle:
                session.abort()

    def _bind_loop(self) -> None:
        # Connections and the semaphore belong to one event loop; a new loop starts afresh.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            for session in self._idle:
                session.abort()
            self._idle.clear()
            self._loop, self._slots = loop, asyncio.Semaphore(self.connections)

    async def _work(self, batch: Batch) -> None:
        """One worker: take envelopes from the batch over one connection at a time."""
        assert self._slots is not None
        async with self._slots:
            session = self._idle.pop() if self._idle else None
            empty_sessions = 0
            try:
                while batch.queue:
                    if session is None:
                        try:
                            session = await self._connect()
                        except NETWORK_ERRORS as exc:
                            code = exc.code if isinstance(exc, SmtpReplyError) else 0
                            batch.last_error = (code, describe_error(exc))
                            log.info("smtp %s:%s: cannot connect: %s", self.host, self.port, exc)
                            return
                    settled = await session.run(batch, self.timeout)
                    if session.budget is not None and session.budget <= 0 and not session.dead:
                        await session.quit()  # carried its share: a fresh connection goes on
                        session = None
                        continue
                    if session.dead:
                        log.debug("smtp %s:%s: session ended", self.host, self.port)
                        session.abort()
                        session = None
                        empty_sessions = 0 if settled else empty_sessions + 1
                        if empty_sessions >= _MAX_EMPTY_SESSIONS:
                            return
            except BaseException:
                if session is not None:  # cancelled or a bug mid-protocol: state unknown
                    session.abort()
                    session = None
                raise
            finally:
                if session is not None:
                    if self._closed:
                        session.abort()
                    else:
                        session.reused = True
                        self._idle.append(session)

    async def _connect(self) -> SmtpSession:
        async with asyncio.timeout(self.timeout):
            reader, writer = await asyncio.open_connection(
                self.host,
                self.port,
                ssl=self.ssl_context if self.implicit_tls else None,
                server_hostname=self.host if self.implicit_tls else None,
            )
            session = SmtpSession(reader, writer)
            session.budget = self.messages_per_connection
            try:
                await session.start(
                    self.helo,
                    self.starttls,
                    self.ssl_context,
                    self.host,
                    self.username,
                    self.password,
                )
            except BaseException:
                session.abort()
                raise
        log.debug("smtp %s:%s: connected, extensions %s", self.host, self.port, session.ext)
        return session


register_scheme("smtp", SmtpTransport.from_url)
register_scheme("smtps", SmtpTransport.from_url)
