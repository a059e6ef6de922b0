"""SMTP delivery of pre-rendered messages over a pool of reused, pipelined connections.

URL: ``smtp://[user:pass@]host[:port][?option=value...]`` or ``smtps://...`` (implicit TLS).

Options: ``starttls=require|opportunistic|off`` (default opportunistic: only when offered),
``connections=N`` (default 4), ``timeout=S`` seconds per round trip (default 30),
``helo=name`` (default the host's FQDN), ``tls_verify=on|off`` (default on).

When the server offers PIPELINING (RFC 2920), each message costs one write and one read:
the write carries the previous message's content and its final "." together with this
message's MAIL FROM, RCPT TO and DATA. Without PIPELINING the plain command sequence is used.

Messages with 8-bit bytes get ``BODY=8BITMIME`` when it is offered and are sent as they are
when it is not: re-encoding a rendered MIME message is not this layer's job, and in practice
servers without 8BITMIME accept 8-bit bodies. Non-ASCII addresses need SMTPUTF8; without it
the envelope fails locally.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import logging
import re
import socket
import ssl
from collections import deque
from collections.abc import Sequence
from urllib.parse import parse_qsl, unquote, urlsplit

from .base import (
    DEFERRED,
    FAILED,
    Envelope,
    Outcome,
    TransportError,
    register_scheme,
    status_for_code,
)

log = logging.getLogger(__name__)

STARTTLS_MODES = ("require", "opportunistic", "off")
_MAX_ATTEMPTS = 3  # tries per envelope within one deliver() when connections die under it
_MAX_EMPTY_SESSIONS = 2  # a worker gives up after this many sessions in a row settle nothing
_UNSAFE_ADDRESS = re.compile(r"[\x00-\x20<>\x7f]")  # controls, space, CR, LF, angle brackets


class SmtpReplyError(Exception):
    """A reply the session cannot go on with (refused greeting, EHLO, AUTH; garbage)."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code


_NETWORK_ERRORS = (OSError, EOFError, asyncio.LimitOverrunError, TimeoutError, SmtpReplyError)


class _ServerClosing(Exception):
    """The server answered 421: it is closing the connection."""


def _address_problem(env: Envelope) -> str | None:
    if not isinstance(env, Envelope):
        raise TransportError(f"deliver() takes Envelope objects, not {type(env).__name__}")
    if not env.rcpt_to:
        return "local: empty recipient address"
    if _UNSAFE_ADDRESS.search(env.mail_from) or _UNSAFE_ADDRESS.search(env.rcpt_to):
        return "local: address contains a control character, space, '<' or '>'"
    return None


def content_parts(data: bytes) -> tuple[bytes, bytes, bytes]:
    """Message content for the DATA phase: CRLF line ends, dot-stuffed, with the final "."."""
    if data.count(b"\n") != data.count(b"\r\n"):  # bare LF somewhere
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    data = data.replace(b"\n.", b"\n..")  # one scan; the same object back when no match
    head = b"." if data[:1] == b"." else b""
    tail = b".\r\n" if not data or data[-2:] == b"\r\n" else b"\r\n.\r\n"
    return head, data, tail


class _RoundTimer:
    """asyncio.timeout(t) renewed each round, at the cost of one timer per t, not per round."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    async def __aenter__(self) -> _RoundTimer:
        self.loop = asyncio.get_running_loop()
        self.guard = asyncio.timeout(None)
        await self.guard.__aenter__()
        self.mark = self.loop.time()
        self.handle = self.loop.call_at(self.mark + self.timeout, self._check)
        return self

    async def __aexit__(self, *exc_info: object) -> bool | None:
        self.handle.cancel()
        return await self.guard.__aexit__(*exc_info)  # type: ignore[arg-type]

    def renew(self) -> None:
        self.mark = self.loop.time()

    def _check(self) -> None:
        due = self.mark + self.timeout
        if self.loop.time() >= due:
            self.guard.reschedule(due)  # in the past: the guard expires now
        else:
            self.handle = self.loop.call_at(due, self._check)


class _Batch:
    """The envelopes of one deliver() call, shared by the workers as a queue."""

    __slots__ = ("attempts", "envelopes", "last_error", "outcomes", "queue")

    def __init__(self, envelopes: Sequence[Envelope]) -> None:
        self.envelopes = envelopes
        self.outcomes: list[Outcome | None] = [None] * len(envelopes)
        self.queue: deque[int] = deque()
        self.attempts = [0] * len(envelopes)
        self.last_error: tuple[int, str] = (0, "no connection could be made")

    def take(self) -> int | None:
        if not self.queue:
            return None
        i = self.queue.popleft()
        self.attempts[i] += 1
        return i

    def record(self, i: int, code: int, reply: bytes | str, status: str | None = None) -> None:
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        self.outcomes[i] = Outcome(
            self.envelopes[i].ref, status or status_for_code(code), code, reply
        )

    def retry(self, i: int, error: str) -> None:
        """Put back an envelope whose content never reached the server."""
        if self.attempts[i] < _MAX_ATTEMPTS:
            self.queue.appendleft(i)
        else:
            self.record(i, 0, error, DEFERRED)

    def settle_leftovers(self) -> list[Outcome]:
        code, text = self.last_error
        for i in self.queue:
            self.record(i, code, text, DEFERRED)
        self.queue.clear()
        return self.outcomes  # type: ignore[return-value]  # all set by now


class _Session:
    """One SMTP connection after greeting, EHLO, STARTTLS and AUTH."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.loop = asyncio.get_running_loop()
        self.ext: dict[str, str] = {}
        self.dead = False
        self.reused = False  # came from the idle pool: the server may have hung up meanwhile

    async def reply(self) -> tuple[int, bytes]:
        """Read one (possibly multiline) reply: its code and its raw text without CRLF."""
        line = await self.reader.readuntil(b"\r\n")
        if line[3:4] == b"-":
            lines = [line[:-2]]
            while line[3:4] == b"-":
                line = await self.reader.readuntil(b"\r\n")
                lines.append(line[:-2])
            text = b"\n".join(lines)
        else:
            text = line[:-2]
        try:
            return int(line[:3]), text
        except ValueError:
            raise SmtpReplyError(0, f"malformed reply {line[:80]!r}") from None

    async def command(self, line: str | bytes) -> tuple[int, bytes]:
        self.writer.write(line.encode() + b"\r\n" if isinstance(line, str) else line)
        await self.writer.drain()
        return await self.reply()

    async def expect(self, line: str, want: int, step: str = "") -> bytes:
        code, text = await self.command(line)
        if code != want:
            reply = text.decode(errors="replace")
            raise SmtpReplyError(code, f"{step or line.split()[0]} refused: {reply}")
        return text

    async def hello(self, name: str) -> None:
        code, text = await self.command(f"EHLO {name}")
        if 500 <= code < 600:
            await self.expect(f"HELO {name}", 250)
            self.ext = {}
            return
        if code != 250:
            raise SmtpReplyError(code, f"EHLO refused: {text.decode(errors='replace')}")
        ext = {}
        for line in text.split(b"\n")[1:]:
            keyword, _, params = line[4:].decode("ascii", "replace").partition(" ")
            keyword = keyword.upper()
            if keyword.startswith("AUTH="):  # pre-RFC 4954 servers
                keyword, params = "AUTH", keyword[5:] + " " + params
            if keyword:
                ext[keyword] = params.strip()
        self.ext = ext

    async def login(self, username: str, password: str) -> None:
        mechanisms = self.ext.get("AUTH", "").upper().split()
        user, secret = username.encode(), password.encode()
        if "PLAIN" in mechanisms:
            token = base64.b64encode(b"\0" + user + b"\0" + secret).decode()
            await self.expect(f"AUTH PLAIN {token}", 235)
        elif "LOGIN" in mechanisms:
            await self.expect("AUTH LOGIN", 334)
            await self.expect(base64.b64encode(user).decode(), 334, "AUTH LOGIN username")
            await self.expect(base64.b64encode(secret).decode(), 235, "AUTH LOGIN password")
        else:
            raise SmtpReplyError(0, f"server offers no AUTH PLAIN or LOGIN ({mechanisms})")

    def envelope_commands(self, env: Envelope) -> bytes | str:
        """MAIL FROM and RCPT TO for one envelope, or why it cannot be sent on this session."""
        params = ""
        if "SIZE" in self.ext:
            params = f" SIZE={len(env.data)}"
        if "8BITMIME" in self.ext and not env.data.isascii():
            params += " BODY=8BITMIME"
        if not (env.mail_from.isascii() and env.rcpt_to.isascii()):
            if "SMTPUTF8" not in self.ext:
                return "local: non-ASCII address and the server does not offer SMTPUTF8"
            params += " SMTPUTF8"
        return f"MAIL FROM:<{env.mail_from}>{params}\r\nRCPT TO:<{env.rcpt_to}>\r\n".encode()

    def _next(self, batch: _Batch) -> tuple[int, bytes] | None:
        while (i := batch.take()) is not None:
            commands = self.envelope_commands(batch.envelopes[i])
            if isinstance(commands, bytes):
                return i, commands
            batch.record(i, 0, commands, FAILED)
        return None

    async def run(self, batch: _Batch, timeout: float) -> int:
        """Send envelopes from the batch until it is empty or the connection dies.

        Returns how many outcomes this session settled; sets `dead` when the session ended.
        """
        if "PIPELINING" in self.ext:
            return await self._run_pipelined(batch, timeout)
        return await self._run_sequential(batch, timeout)

    async def _run_pipelined(self, batch: _Batch, timeout: float) -> int:
        settled = 0
        ready: int | None = None  # DATA got 354; its content goes out with the next write
        awaiting: int | None = None  # content written, final reply not read yet
        asked: int | None = None  # MAIL/RCPT/DATA written, replies not read yet
        owed = b""  # a lone "." (354 despite a refused RCPT) and/or RSET before the next MAIL
        owed_replies = 0
        try:
            async with _RoundTimer(timeout) as timer:
                while True:
                    nxt = self._next(batch)
                    parts: list[bytes] = []
                    if ready is not None:
                        parts.extend(content_parts(batch.envelopes[ready].data))
                        awaiting, ready = ready, None
                    if owed:
                        parts.append(owed)
                    if nxt is not None:
                        asked = nxt[0]
                        parts.append(nxt[1])
                        parts.append(b"DATA\r\n")
                    if not parts:
                        return settled
                    timer.renew()
                    self.writer.write(b"".join(parts))
                    await self.writer.drain()
                    if awaiting is not None:
                        code, text = await self.reply()
                        batch.record(awaiting, code, text)
                        awaiting, settled = None, settled + 1
                        if code == 421:
                            raise _ServerClosing
                    for _ in range(owed_replies):
                        if (await self.reply())[0] == 421:
                            raise _ServerClosing
                    owed, owed_replies = b"", 0
                    if asked is None:
                        continue
                    mail = await self.reply()
                    if mail[0] == 421 and self.reused:
                        raise _ServerClosing  # a stale idle connection: retry elsewhere
                    self.reused = False
                    rcpt = await self.reply() if mail[0] != 421 else mail
                    data = await self.reply() if rcpt[0] != 421 else rcpt
                    i, asked = asked, None
                    if mail[0] == 250 and rcpt[0] in (250, 251) and data[0] == 354:
                        ready = i
                        continue
                    code, text = next(r for r in (mail, rcpt, data) if r[0] >= 400 or r is data)
                    batch.record(i, code, text, None if code >= 400 else DEFERRED)
                    settled += 1
                    if code == 421 or data[0] == 421:
                        raise _ServerClosing
                    owed, owed_replies = b"RSET\r\n", 1
                    if data[0] == 354:
                        owed, owed_replies = b".\r\nRSET\r\n", 2
        except (_ServerClosing, *_NETWORK_ERRORS) as exc:
            error = _describe(exc)
            self.dead = True
            batch.last_error = (0, error)
            if awaiting is not None:  # the server may or may not have taken it
                batch.record(awaiting, 0, error, DEFERRED)
                settled += 1
            for i in (ready, asked):
                if i is not None:
                    batch.retry(i, error)
            return settled

    async def _run_sequential(self, batch: _Batch, timeout: float) -> int:
        settled = 0
        current: int | None = None
        content_sent = False

        async def step(line: bytes) -> tuple[int, bytes]:
            timer.renew()
            return await self.command(line)

        try:
            async with _RoundTimer(timeout) as timer:
                while (nxt := self._next(batch)) is not None:
                    current, commands = nxt
                    content_sent = False
                    mail_cmd, rcpt_cmd = commands.split(b"\r\n", 1)
                    reply = await step(mail_cmd + b"\r\n")
                    if reply[0] == 421 and self.reused:
                        raise _ServerClosing  # a stale idle connection: retry elsewhere
                    self.reused = False
                    if reply[0] == 250:
                        reply = await step(rcpt_cmd)
                        if reply[0] in (250, 251):
                            reply = await step(b"DATA\r\n")
                            if reply[0] == 354:
                                content = content_parts(batch.envelopes[current].data)
                                content_sent = True
                                reply = await step(b"".join(content))
                    code, text = reply
                    unexpected = not content_sent and code < 400  # e.g. 250 to DATA
                    batch.record(current, code, text, DEFERRED if unexpected else None)
                    current, settled = None, settled + 1
                    if code == 421:
                        raise _ServerClosing
                    if not content_sent and (await step(b"RSET\r\n"))[0] == 421:
                        raise _ServerClosing
                return settled
        except (_ServerClosing, *_NETWORK_ERRORS) as exc:
            error = _describe(exc)
            self.dead = True
            batch.last_error = (0, error)
            if current is not None:
                if content_sent:
                    batch.record(current, 0, error, DEFERRED)
                    settled += 1
                else:
                    batch.retry(current, error)
            return settled

    async def quit(self) -> None:
        try:
            async with asyncio.timeout(5):
                await self.command("QUIT")
        except (*_NETWORK_ERRORS, RuntimeError):
            pass
        self.abort()

    def abort(self) -> None:
        self.dead = True
        with contextlib.suppress(RuntimeError):  # its event loop is already closed
            self.writer.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, _ServerClosing):
        return "connection closed by server (421)"
    if isinstance(exc, asyncio.IncompleteReadError | EOFError):
        return "connection closed by server"
    if isinstance(exc, SmtpReplyError):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "timed out waiting for the server"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


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
        self.helo = helo or _default_helo()
        self.ssl_context = ssl_context or _tls_context(tls_verify)
        self._idle: list[_Session] = []
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

    async def deliver(self, envelopes: Sequence[Envelope]) -> list[Outcome]:
        """Deliver each envelope; one outcome per envelope, in the order given."""
        if self._closed:
            raise TransportError("deliver() on a closed SmtpTransport")
        self._bind_loop()
        batch = _Batch(envelopes)
        for i, env in enumerate(envelopes):
            problem = _address_problem(env)
            if problem is None:
                batch.queue.append(i)
            else:
                batch.record(i, 0, problem, FAILED)
        workers = min(self.connections, len(batch.queue))
        if workers:
            await asyncio.gather(*(self._work(batch) for _ in range(workers)))
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

    async def _work(self, batch: _Batch) -> None:
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
                        except _NETWORK_ERRORS as exc:
                            code = exc.code if isinstance(exc, SmtpReplyError) else 0
                            batch.last_error = (code, _describe(exc))
                            log.info("smtp %s:%s: cannot connect: %s", self.host, self.port, exc)
                            return
                    settled = await session.run(batch, self.timeout)
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

    def _may_send_credentials(self, writer: asyncio.StreamWriter) -> bool:
        # Opportunistic STARTTLS can be stripped by anyone on the path; only an explicit
        # starttls=off or a loopback peer lets credentials travel in clear.
        if writer.get_extra_info("sslcontext") is not None or self.starttls == "off":
            return True
        peer = writer.get_extra_info("peername")
        try:
            return peer is not None and ipaddress.ip_address(peer[0]).is_loopback
        except ValueError:
            return False

    async def _connect(self) -> _Session:
        async with asyncio.timeout(self.timeout):
            reader, writer = await asyncio.open_connection(
                self.host,
                self.port,
                ssl=self.ssl_context if self.implicit_tls else None,
                server_hostname=self.host if self.implicit_tls else None,
            )
            session = _Session(reader, writer)
            try:
                code, text = await session.reply()
                if code != 220:
                    raise SmtpReplyError(code, f"greeting: {text.decode(errors='replace')}")
                await session.hello(self.helo)
                if self.starttls == "require" or (
                    self.starttls == "opportunistic" and "STARTTLS" in session.ext
                ):
                    if "STARTTLS" not in session.ext:
                        raise SmtpReplyError(0, "STARTTLS required but not offered by the server")
                    await session.expect("STARTTLS", 220)
                    await writer.start_tls(self.ssl_context, server_hostname=self.host)
                    await session.hello(self.helo)
                if self.username is not None and self.password is not None:
                    if not self._may_send_credentials(writer):
                        raise SmtpReplyError(
                            0,
                            "refusing to send credentials without TLS "
                            "(use starttls=require, or starttls=off to allow plaintext)",
                        )
                    await session.login(self.username, self.password)
            except BaseException:
                session.abort()
                raise
        log.debug("smtp %s:%s: connected, extensions %s", self.host, self.port, session.ext)
        return session


register_scheme("smtp", SmtpTransport.from_url)
register_scheme("smtps", SmtpTransport.from_url)
