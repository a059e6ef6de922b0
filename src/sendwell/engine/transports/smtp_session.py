"""One SMTP connection's protocol: greeting, EHLO, STARTTLS, AUTH and the per-message exchange.

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
import ssl
from collections import deque
from collections.abc import Sequence

from .base import DEFERRED, FAILED, Envelope, Outcome, Report, status_for_code

_MAX_ATTEMPTS = 3  # tries per envelope within one deliver() when connections die under it


class SmtpReplyError(Exception):
    """A reply the session cannot go on with (refused greeting, EHLO, AUTH; garbage)."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code


NETWORK_ERRORS = (OSError, EOFError, asyncio.LimitOverrunError, TimeoutError, SmtpReplyError)


class _ServerClosing(Exception):
    """The server answered 421: it is closing the connection."""


def content_parts(data: bytes, wire: bytes | None = None) -> tuple[bytes, bytes, bytes]:
    """Message content for the DATA phase: CRLF line ends, dot-stuffed, with the final ".".

    ``wire`` (the renderer's dot-stuffed CRLF form of ``data``) is sent as it is, without
    the three scans of the message that would otherwise make it.
    """
    if wire is not None:
        return b"", wire, b".\r\n" if wire[-2:] == b"\r\n" else b"\r\n.\r\n"
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


class Batch:
    """The envelopes of one deliver() call, shared by the workers as a queue."""

    __slots__ = (
        "attempts",
        "envelopes",
        "half",
        "last_error",
        "lost",
        "outcomes",
        "pending",
        "queue",
        "report",
        "report_every",
        "writing",
    )

    def __init__(
        self, envelopes: Sequence[Envelope], report: Report | None = None, report_every: int = 100
    ) -> None:
        self.envelopes = envelopes
        self.outcomes: list[Outcome | None] = [None] * len(envelopes)
        self.queue: deque[int] = deque()
        self.attempts = [0] * len(envelopes)
        self.last_error: tuple[int, str] = (0, "no connection could be made")
        self.report = report
        self.report_every = max(1, report_every)
        self.half = (self.report_every + 1) // 2
        self.pending: list[tuple[int, SmtpSession]] = []  # settled, not handed to report yet
        self.writing: asyncio.Future[None] | None = None  # the report being written
        self.lost = False  # the caller said stop (its claim on the work is gone)

    async def settled(self, session: SmtpSession, i: int) -> None:
        """Envelope ``i``'s outcome is final on ``session``.

        Outcomes are reported in groups, all connections' together: a report starts when a
        connection has half a batch unreported and none is being written. A connection
        waits only when it has a whole batch (``report_every``) settled and not yet reported
        back as written: that is the most a caller that dies can have delivered unrecorded
        per connection (and at this point no other message of it is in flight).
        """
        if self.report is None:
            return
        self.pending.append((i, session))
        session.unrecorded += 1
        if session.unrecorded >= self.half and self.writing is None:
            self._write()
        while session.unrecorded >= self.report_every and not self.lost:
            if self.writing is None:
                self._write()
            await asyncio.shield(self.writing)  # type: ignore[arg-type]

    async def reported(self) -> None:
        """Wait for the report being written, if any; what is not reported by then is the
        caller's to record, with the outcomes returned."""
        while self.writing is not None:
            await asyncio.shield(self.writing)
        for _, session in self.pending:  # the sessions go back to the pool with none owed
            session.unrecorded -= 1
        self.pending = []

    def _write(self) -> None:
        taken, self.pending = self.pending, []
        self.writing = asyncio.ensure_future(self._report(taken))

    async def _report(self, taken: list[tuple[int, SmtpSession]]) -> None:
        assert self.report is not None
        try:
            ok = await self.report([o for i, _ in taken if (o := self.outcomes[i]) is not None])
        finally:
            for _, session in taken:
                session.unrecorded -= 1
            self.writing = None
        if not ok:
            self.lost = True
            while self.queue:
                self.record(self.queue.popleft(), 0, "local: delivery stopped", DEFERRED)
        elif any(s.unrecorded >= self.half for _, s in self.pending):
            self._write()

    def take(self) -> int | None:
        if not self.queue:
            return None
        i = self.queue.popleft()
        self.attempts[i] += 1
        return i

    def record(
        self, i: int, code: int, reply: bytes | str, status: str | None = None, phase: str = ""
    ) -> None:
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        self.outcomes[i] = Outcome(
            self.envelopes[i].ref, status or status_for_code(code), code, reply, phase
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


class SmtpSession:
    """One SMTP connection after greeting, EHLO, STARTTLS and AUTH."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.loop = asyncio.get_running_loop()
        self.ext: dict[str, str] = {}
        self.dead = False
        self.budget: int | None = None  # messages this connection may still carry (None: any)
        self.reused = False  # came from the idle pool: the server may have hung up meanwhile
        self.unrecorded = 0  # outcomes settled here and not yet reported as written

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

    async def start(
        self,
        helo: str,
        starttls: str,
        ssl_context: ssl.SSLContext,
        server_hostname: str,
        username: str | None,
        password: str | None,
    ) -> None:
        """Read the greeting, say EHLO, upgrade to TLS as `starttls` asks, then AUTH."""
        code, text = await self.reply()
        if code != 220:
            raise SmtpReplyError(code, f"greeting: {text.decode(errors='replace')}")
        await self.hello(helo)
        if starttls == "require" or (starttls == "opportunistic" and "STARTTLS" in self.ext):
            if "STARTTLS" not in self.ext:
                raise SmtpReplyError(0, "STARTTLS required but not offered by the server")
            await self.expect("STARTTLS", 220)
            await self.writer.start_tls(ssl_context, server_hostname=server_hostname)
            await self.hello(helo)
        if username is not None and password is not None:
            if not self._may_send_credentials(starttls):
                raise SmtpReplyError(
                    0,
                    "refusing to send credentials without TLS "
                    "(use starttls=require, or starttls=off to allow plaintext)",
                )
            await self.login(username, password)

    def _may_send_credentials(self, starttls: str) -> bool:
        # Opportunistic STARTTLS can be stripped by anyone on the path; only an explicit
        # starttls=off or a loopback peer lets credentials travel in clear.
        if self.writer.get_extra_info("sslcontext") is not None or starttls == "off":
            return True
        peer = self.writer.get_extra_info("peername")
        try:
            return peer is not None and ipaddress.ip_address(peer[0]).is_loopback
        except ValueError:
            return False

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

    def _next(self, batch: Batch) -> tuple[int, bytes] | None:
        if self.budget is not None:
            if self.budget <= 0:  # this connection has carried its share: let it be replaced
                return None
            self.budget -= 1
        while (i := batch.take()) is not None:
            commands = self.envelope_commands(batch.envelopes[i])
            if isinstance(commands, bytes):
                return i, commands
            batch.record(i, 0, commands, FAILED)
        return None

    async def run(self, batch: Batch, timeout: float) -> int:
        """Send envelopes from the batch until it is empty or the connection dies.

        Returns how many outcomes this session settled; sets `dead` when the session ended.
        """
        if "PIPELINING" in self.ext:
            return await self._run_pipelined(batch, timeout)
        return await self._run_sequential(batch, timeout)

    async def _run_pipelined(self, batch: Batch, timeout: float) -> int:
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
                        env = batch.envelopes[ready]
                        parts.extend(content_parts(env.data, env.wire))
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
                        batch.record(awaiting, code, text, None, "DATA")
                        done, awaiting, settled = awaiting, None, settled + 1
                        if code == 421:
                            raise _ServerClosing
                        await batch.settled(self, done)
                        timer.renew()
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
                    phase, (code, text) = next(
                        (p, r)
                        for p, r in (("MAIL", mail), ("RCPT", rcpt), ("DATA", data))
                        if r[0] >= 400 or r is data
                    )
                    batch.record(i, code, text, None if code >= 400 else DEFERRED, phase)
                    settled += 1
                    if code == 421 or data[0] == 421:
                        raise _ServerClosing
                    await batch.settled(self, i)
                    owed, owed_replies = b"RSET\r\n", 1
                    if data[0] == 354:
                        owed, owed_replies = b".\r\nRSET\r\n", 2
        except (_ServerClosing, *NETWORK_ERRORS) as exc:
            error = describe_error(exc)
            self.dead = True
            batch.last_error = (0, error)
            if awaiting is not None:  # the server may or may not have taken it
                batch.record(awaiting, 0, error, DEFERRED)
                settled += 1
            for i in (ready, asked):
                if i is not None:
                    batch.retry(i, error)
            return settled

    async def _run_sequential(self, batch: Batch, timeout: float) -> int:
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
                    reply, phase = await step(mail_cmd + b"\r\n"), "MAIL"
                    if reply[0] == 421 and self.reused:
                        raise _ServerClosing  # a stale idle connection: retry elsewhere
                    self.reused = False
                    if reply[0] == 250:
                        reply, phase = await step(rcpt_cmd), "RCPT"
                        if reply[0] in (250, 251):
                            reply, phase = await step(b"DATA\r\n"), "DATA"
                            if reply[0] == 354:
                                env = batch.envelopes[current]
                                content = content_parts(env.data, env.wire)
                                content_sent = True
                                reply = await step(b"".join(content))
                    code, text = reply
                    unexpected = not content_sent and code < 400  # e.g. 250 to DATA
                    batch.record(current, code, text, DEFERRED if unexpected else None, phase)
                    done, current, settled = current, None, settled + 1
                    if code == 421:
                        raise _ServerClosing
                    await batch.settled(self, done)
                    if not content_sent and (await step(b"RSET\r\n"))[0] == 421:
                        raise _ServerClosing
                return settled
        except (_ServerClosing, *NETWORK_ERRORS) as exc:
            error = describe_error(exc)
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
        except (*NETWORK_ERRORS, RuntimeError):
            pass
        self.abort()

    def abort(self) -> None:
        self.dead = True
        with contextlib.suppress(RuntimeError):  # its event loop is already closed
            self.writer.close()


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, _ServerClosing):
        return "connection closed by server (421)"
    if isinstance(exc, asyncio.IncompleteReadError | EOFError):
        return "connection closed by server"
    if isinstance(exc, SmtpReplyError):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "timed out waiting for the server"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
