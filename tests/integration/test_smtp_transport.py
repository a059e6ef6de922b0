"""SmtpTransport against real SMTP servers on 127.0.0.1: aiosmtpd and, when installed, smtp-sink."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

from sendwell.engine.transports.base import (
    Envelope,
    Outcome,
    TransportError,
    open_transport,
)
from sendwell.engine.transports.smtp import SmtpTransport, content_parts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_to: str
    content: bytes
    mail_options: list[str]
    tls: bool


@dataclass
class Recorder:
    """An aiosmtpd handler that records what arrives and answers as it is told to."""

    pipelining: bool = True
    messages: list[Received] = field(default_factory=list)
    mail_replies: dict[str, str] = field(default_factory=dict)  # sender -> reply to MAIL
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # recipient -> reply to RCPT
    data_replies: dict[str, str] = field(default_factory=dict)  # recipient -> reply after "."
    accept_refused: set[str] = field(default_factory=set)  # RCPT refused but kept (broken server)
    drop_after_data: set[str] = field(default_factory=set)  # close without a reply after "."
    probe: set[str] = field(default_factory=set)  # note whether the next command arrived early
    early_commands: dict[str, bool] = field(default_factory=dict)
    sessions: list[SMTP] = field(default_factory=list)
    ehlos: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.ehlos += 1
        if server not in self.sessions:
            self.sessions.append(server)
        if self.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address in self.mail_replies:
            return self.mail_replies[address]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.accept_refused:
            envelope.rcpt_tos.append(address)
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        rcpt = envelope.rcpt_tos[0]
        if rcpt in self.probe:
            await asyncio.sleep(0.1)  # a pipelining client has sent the next MAIL by now
            self.early_commands[rcpt] = b"MAIL FROM" in bytes(server._reader._buffer)
        if rcpt in self.drop_after_data:
            server.transport.close()
            return "250 never seen"
        if rcpt in self.data_replies:
            return self.data_replies[rcpt]
        self.messages.append(
            Received(
                envelope.mail_from,
                rcpt,
                envelope.original_content,
                list(envelope.mail_options),
                session.ssl is not None,
            )
        )
        return "250 2.0.0 Ok: queued"


class ClosingSMTP(SMTP):
    """Like a real MTA, close the connection after any 421 reply."""

    async def push(self, status):
        await super().push(status)
        text = status.decode() if isinstance(status, bytes) else status
        if text.startswith("421"):
            self.transport.close()


class ClosingController(Controller):
    def factory(self):
        return ClosingSMTP(self.handler, **self.SMTP_kwargs)


@pytest.fixture
def aiosmtpd_server():
    """Start aiosmtpd servers on 127.0.0.1; returns start(handler, **smtp_kwargs) -> port."""
    controllers: list[Controller] = []

    def start(handler: Recorder, **smtp_kwargs) -> int:
        port = free_port()
        smtp_kwargs.setdefault("enable_SMTPUTF8", False)
        controller = ClosingController(handler, hostname="127.0.0.1", port=port, **smtp_kwargs)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def deliver_once(url: str, envelopes: list[Envelope], **kwargs) -> dict[int, Outcome]:
    transport = open_transport(url, **kwargs)
    try:
        outcomes = await transport.deliver(envelopes)
    finally:
        await transport.aclose()
    assert len(outcomes) == len(envelopes)
    by_ref = {o.ref: o for o in outcomes}
    assert len(by_ref) == len(envelopes)
    return by_ref


def message(i: int, body: bytes = b"Hello.\r\n") -> bytes:
    return b"From: a@example.test\r\nTo: u%d@example.test\r\nSubject: %d\r\n\r\n" % (i, i) + body


def simple(n: int, sender: str = "bounce@example.test") -> list[Envelope]:
    return [Envelope(i, sender, f"u{i}@example.test", message(i)) for i in range(n)]


# --- content encoding ---------------------------------------------------------------------------


def test_content_parts_stuffs_dots_and_normalises_line_ends():
    assert b"".join(content_parts(b".a\r\n..b\r\n.\r\nc")) == b"..a\r\n...b\r\n..\r\nc\r\n.\r\n"
    assert b"".join(content_parts(b"a\nb\r\n.\n")) == b"a\r\nb\r\n..\r\n.\r\n"
    assert b"".join(content_parts(b"")) == b".\r\n"
    crlf = b"x" * 100 + b"\r\n"
    assert content_parts(crlf)[1] is crlf  # already clean: passed through, not copied


# --- pipelined delivery -------------------------------------------------------------------------


def test_pipelined_delivery_arrives_once_byte_for_byte(aiosmtpd_server):
    handler = Recorder(probe={"u10@example.test", "u11@example.test"})
    port = aiosmtpd_server(handler)
    bodies = {
        0: b".starts with a dot\r\n",  # the very first line of the content
        1: b"line\r\n.\r\nafter a lone dot\r\n..two dots\r\n",
        2: "Grüße, naïve café — ✓\r\n".encode(),
        3: b"bare\nline\nfeeds\n.dot\n",
        4: b"no final newline",
    }
    envelopes = [
        Envelope(
            i, "bounce@example.test", f"u{i}@example.test", message(i, bodies.get(i, b"x\r\n"))
        )
        for i in range(40)
    ]
    envelopes[0] = Envelope(0, "bounce@example.test", "u0@example.test", bodies[0])
    outcomes = run(deliver_once(f"smtp://127.0.0.1:{port}?connections=2&timeout=10", envelopes))

    assert {o.status for o in outcomes.values()} == {"sent"}
    assert all(o.code == 250 and o.reply == "250 2.0.0 Ok: queued" for o in outcomes.values())
    received = {m.rcpt_to: m for m in handler.messages}
    assert len(handler.messages) == len(received) == 40  # each exactly once
    for env in envelopes:
        expected = env.data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if not expected.endswith(b"\r\n"):
            expected += b"\r\n"
        got = received[env.rcpt_to]
        assert got.content == expected
        assert ("BODY=8BITMIME" in got.mail_options) == (env.ref == 2)
        assert any(option.startswith("SIZE=") for option in got.mail_options)
    assert handler.early_commands == {"u10@example.test": True, "u11@example.test": True}
    assert len(handler.sessions) == 2


def test_refusals_are_matched_to_their_message_in_the_pipeline(aiosmtpd_server):
    handler = Recorder(
        mail_replies={"blocked@example.test": "550 5.7.1 sender blocked"},
        rcpt_replies={
            "u3@example.test": "450 4.2.0 mailbox busy",
            "u5@example.test": "550 5.1.1 no such user",
        },
        data_replies={
            "u7@example.test": "452 4.3.1 insufficient storage",
            "u9@example.test": "554 5.7.1 content rejected",
        },
    )
    port = aiosmtpd_server(handler)
    envelopes = simple(14)
    envelopes[11] = Envelope(11, "blocked@example.test", "u11@example.test", message(11))
    outcomes = run(deliver_once(f"smtp://127.0.0.1:{port}?connections=1", envelopes))

    expected = {3: ("deferred", 450), 5: ("failed", 550), 7: ("deferred", 452)}
    expected |= {9: ("failed", 554), 11: ("failed", 550)}
    for ref, outcome in outcomes.items():
        assert (outcome.status, outcome.code) == expected.get(ref, ("sent", 250)), outcome
    assert outcomes[5].reply == "550 5.1.1 no such user"
    assert sorted(m.rcpt_to for m in handler.messages) == sorted(
        f"u{i}@example.test" for i in range(14) if i not in expected
    )


def test_server_answering_354_after_refused_rcpt_gets_no_content(aiosmtpd_server):
    handler = Recorder(
        rcpt_replies={"u2@example.test": "550 5.1.1 no such user"},
        accept_refused={"u2@example.test"},
    )
    port = aiosmtpd_server(handler)
    outcomes = run(deliver_once(f"smtp://127.0.0.1:{port}?connections=1", simple(5)))
    assert outcomes[2].status == "failed" and outcomes[2].code == 550
    assert [outcomes[i].status for i in (0, 1, 3, 4)] == ["sent"] * 4
    empty = [m for m in handler.messages if m.rcpt_to == "u2@example.test"]
    assert [m.content for m in empty] == [b""]  # the lone "." we owed it, not the message


# --- without PIPELINING -------------------------------------------------------------------------


def test_plain_sequence_when_pipelining_is_not_offered(aiosmtpd_server):
    handler = Recorder(
        pipelining=False,
        rcpt_replies={"u4@example.test": "550 5.1.1 no such user"},
        data_replies={"u6@example.test": "452 4.3.1 full"},
        probe={"u8@example.test"},
    )
    port = aiosmtpd_server(handler)
    outcomes = run(deliver_once(f"smtp://127.0.0.1:{port}?connections=2", simple(20)))
    assert (outcomes[4].status, outcomes[4].code) == ("failed", 550)
    assert (outcomes[6].status, outcomes[6].code) == ("deferred", 452)
    assert sum(o.status == "sent" for o in outcomes.values()) == 18
    assert len(handler.messages) == 18
    assert handler.early_commands == {"u8@example.test": False}


# --- AUTH and STARTTLS --------------------------------------------------------------------------


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"user@example.test" and auth_data.password == b"p@ss:word"
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("exclude", [[], ["PLAIN"]], ids=["plain", "login"])
def test_auth(aiosmtpd_server, exclude):
    handler = Recorder()
    port = aiosmtpd_server(
        handler,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=exclude,
    )
    good = f"smtp://user%40example.test:p%40ss%3Aword@127.0.0.1:{port}"
    assert {o.status for o in run(deliver_once(good, simple(3))).values()} == {"sent"}
    bad = f"smtp://user%40example.test:wrong@127.0.0.1:{port}?connections=1&timeout=5"
    outcomes = run(deliver_once(bad, simple(3)))
    assert {(o.status, o.code) for o in outcomes.values()} == {("deferred", 535)}
    assert len(handler.messages) == 3


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with whatever tool is at hand."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if not shutil.which("openssl"):
            pytest.skip("no cryptography package and no openssl to make a certificate")
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
                *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
                *("-addext", "subjectAltName=IP:127.0.0.1"),
            ],
            check=True,
            capture_output=True,
        )
        return cert, key
    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(private_key, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


def test_starttls(aiosmtpd_server, tmp_path):
    cert, key = self_signed_cert(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    handler = Recorder()
    port = aiosmtpd_server(handler, tls_context=server_context, require_starttls=True)
    trusting = ssl.create_default_context(cafile=str(cert))

    url = f"smtp://127.0.0.1:{port}?starttls=require&connections=1"
    outcomes = run(deliver_once(url, simple(2), ssl_context=trusting))
    assert {o.status for o in outcomes.values()} == {"sent"}
    outcomes = run(deliver_once(f"smtp://127.0.0.1:{port}?tls_verify=off", simple(2)))
    assert {o.status for o in outcomes.values()} == {"sent"}  # opportunistic, unverified
    assert [m.tls for m in handler.messages] == [True] * 4

    outcomes = run(deliver_once(url, simple(2)))  # verification on, certificate not trusted
    assert {(o.status, o.code) for o in outcomes.values()} == {("deferred", 0)}
    assert "CERTIFICATE_VERIFY_FAILED" in outcomes[0].reply


# --- local refusals -----------------------------------------------------------------------------


def test_unsafe_and_non_ascii_addresses_fail_without_the_network(aiosmtpd_server):
    handler = Recorder()
    port = aiosmtpd_server(handler)
    bad = ["u@x.test\r\nRCPT TO:<v@x.test>", "u@x.test> SIZE=1", "<u@x.test", "a b@x.test", ""]
    envelopes = [Envelope(i, "bounce@example.test", rcpt, b"x\r\n") for i, rcpt in enumerate(bad)]
    envelopes.append(Envelope(10, "bounce@example.test\n", "u@example.test", b"x\r\n"))
    envelopes.append(Envelope(11, "bounce@example.test", "jörg@example.test", b"x\r\n"))
    envelopes.append(Envelope(12, "bounce@example.test", "ok@example.test", b"x\r\n"))
    outcomes = run(deliver_once(f"smtp://127.0.0.1:{port}", envelopes))
    assert all((o.status, o.code) == ("failed", 0) for o in outcomes.values() if o.ref != 12)
    assert "SMTPUTF8" in outcomes[11].reply
    assert outcomes[12].status == "sent"
    assert [m.rcpt_to for m in handler.messages] == ["ok@example.test"]


def test_non_ascii_address_uses_smtputf8_when_offered(aiosmtpd_server):
    handler = Recorder()
    port = aiosmtpd_server(handler, enable_SMTPUTF8=True)
    env = Envelope(1, "bounce@example.test", "jörg@example.test", "Hallo Jörg\r\n".encode())
    outcomes = run(deliver_once(f"smtp://127.0.0.1:{port}", [env]))
    assert outcomes[1].status == "sent"
    assert handler.messages[0].rcpt_to == "jörg@example.test"
    assert "SMTPUTF8" in handler.messages[0].mail_options


# --- connections that end -----------------------------------------------------------------------


def test_server_closing_mid_batch_defers_only_the_unknown(aiosmtpd_server):
    handler = Recorder(
        data_replies={"u4@example.test": "421 4.3.2 closing"},
        drop_after_data={"u9@example.test"},
    )
    port = aiosmtpd_server(handler)
    outcomes = run(deliver_once(f"smtp://127.0.0.1:{port}?connections=1", simple(15)))
    assert (outcomes[4].status, outcomes[4].code) == ("deferred", 421)
    assert (outcomes[9].status, outcomes[9].code) == ("deferred", 0)
    sent = {o.ref for o in outcomes.values() if o.status == "sent"}
    assert sent == set(range(15)) - {4, 9}
    assert sorted(int(m.rcpt_to[1:].split("@")[0]) for m in handler.messages) == sorted(sent)
    assert len(handler.sessions) == 3  # two reconnects


def test_connections_are_reused_and_reopened_when_the_server_closed_them(aiosmtpd_server):
    handler = Recorder()
    port = aiosmtpd_server(handler)

    async def scenario():
        transport = SmtpTransport.from_url(f"smtp://127.0.0.1:{port}?connections=2")
        try:
            first = await transport.deliver(simple(10))
            second = await transport.deliver(simple(10))
            assert len(handler.sessions) == 2  # the second batch reused both
            polite, abrupt = handler.sessions
            bye = polite.push("421 4.4.2 idle timeout")  # ClosingSMTP hangs up after it
            asyncio.run_coroutine_threadsafe(bye, polite.loop).result(5)
            abrupt.loop.call_soon_threadsafe(abrupt.transport.close)
            await asyncio.sleep(0.2)
            third = await transport.deliver(simple(10))
        finally:
            await transport.aclose()
        return first + second + third

    outcomes = run(scenario())
    assert {o.status for o in outcomes} == {"sent"}
    assert len(handler.messages) == 30
    assert len(handler.sessions) == 4


def test_messages_per_connection_opens_a_fresh_connection(aiosmtpd_server):
    for pipelining in (True, False):
        handler = Recorder(pipelining=pipelining)
        port = aiosmtpd_server(handler)
        url = f"smtp://127.0.0.1:{port}?connections=1&messages_per_connection=3"
        outcomes = run(deliver_once(url, simple(10)))
        assert {o.status for o in outcomes.values()} == {"sent"}
        assert len(handler.messages) == 10
        assert handler.ehlos == 4  # 3 + 3 + 3 + 1


def test_outcomes_say_which_command_was_refused(aiosmtpd_server):
    for pipelining in (True, False):
        handler = Recorder(pipelining=pipelining)
        handler.mail_replies = {"blocked@example.test": "550 5.7.1 sender refused"}
        handler.rcpt_replies = {"u1@example.test": "550 5.1.1 no such user"}
        handler.data_replies = {"u2@example.test": "554 5.6.0 content refused"}
        port = aiosmtpd_server(handler)
        envelopes = simple(4)
        envelopes[3] = Envelope(3, "blocked@example.test", "u3@example.test", message(3))
        outcomes = run(deliver_once(f"smtp://127.0.0.1:{port}", envelopes))
        phases = {ref: (o.status, o.phase) for ref, o in outcomes.items()}
        assert phases == {
            0: ("sent", "DATA"),
            1: ("failed", "RCPT"),
            2: ("failed", "DATA"),
            3: ("failed", "MAIL"),
        }, pipelining


def test_silent_server_times_out_and_defers():
    async def scenario():
        async def greet_then_stall(reader, writer):
            writer.write(b"220 stall ESMTP\r\n")
            await reader.readuntil(b"\r\n")
            writer.write(b"250-stall\r\n250 PIPELINING\r\n")
            await reader.read()  # swallow everything, answer nothing

        server = await asyncio.start_server(greet_then_stall, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            started = time.monotonic()
            outcomes = await deliver_once(f"smtp://127.0.0.1:{port}?timeout=0.3", simple(3))
            return outcomes, time.monotonic() - started
        finally:
            server.close()

    outcomes, elapsed = run(scenario())
    assert {(o.status, o.code) for o in outcomes.values()} == {("deferred", 0)}
    assert "timed out" in outcomes[0].reply
    assert elapsed < 5


def test_connection_refused_defers_everything():
    port = free_port()  # nothing listens there
    outcomes = run(deliver_once(f"smtp://127.0.0.1:{port}?connections=3", simple(7)))
    assert {(o.status, o.code) for o in outcomes.values()} == {("deferred", 0)}
    assert "refused" in outcomes[0].reply.lower()


# --- URLs ---------------------------------------------------------------------------------------


def test_url_options():
    transport = open_transport(
        "smtp://us%40er:p%2Fw@mx.example.test:2525?starttls=require&connections=8"
        "&timeout=5&helo=sender.example.test&tls_verify=off"
    )
    assert isinstance(transport, SmtpTransport)
    assert (transport.host, transport.port, transport.username, transport.password) == (
        "mx.example.test",
        2525,
        "us@er",
        "p/w",
    )
    assert (transport.starttls, transport.connections, transport.timeout) == ("require", 8, 5.0)
    assert transport.helo == "sender.example.test"
    assert transport.ssl_context.verify_mode == ssl.CERT_NONE
    smtps = open_transport("smtps://mx.example.test")
    assert (smtps.port, smtps.implicit_tls, smtps.starttls) == (465, True, "off")
    assert smtps.ssl_context.verify_mode == ssl.CERT_REQUIRED
    for bad in (
        "smtp://mx?bogus=1",
        "smtp://mx?starttls=maybe",
        "smtp://mx?connections=0",
        "nope://x",
    ):
        with pytest.raises(TransportError):
            open_transport(bad)


# --- Postfix smtp-sink --------------------------------------------------------------------------

SMTP_SINK = shutil.which("smtp-sink") or shutil.which(
    "smtp-sink", path="/usr/sbin:/usr/lib/postfix/sbin"
)


def start_smtp_sink(port: int) -> subprocess.Popen:
    command = [SMTP_SINK, "-c", f"127.0.0.1:{port}", "1000"]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "nobody"]  # smtp-sink refuses to run as root without it
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"smtp-sink did not start: {process.stderr.read()!r}") from None
            time.sleep(0.05)


@pytest.mark.skipif(SMTP_SINK is None, reason="Postfix smtp-sink is not installed")
def test_against_postfix_smtp_sink():
    port = free_port()
    sink = start_smtp_sink(port)
    try:
        envelopes = [
            Envelope(
                i, "bounce@example.test", f"u{i}@example.test", message(i, b"x" * 4000 + b"\r\n")
            )
            for i in range(2000)
        ]
        outcomes = run(deliver_once(f"smtp://127.0.0.1:{port}?connections=4", envelopes))
    finally:
        sink.terminate()
        sink.wait(10)
    assert {o.status for o in outcomes.values()} == {"sent"}
    assert all(o.reply.startswith("250") for o in outcomes.values())
