"""Inside the network namespace: a real Sendwell on 127.0.0.1 with demo data, for one client recipe.

Imported by the client scripts next to it (they run as ``python <script> <workdir>``, so this
directory is on ``sys.path``). ``run(recipe)`` starts the server, calls ``recipe(server, result)``
and prints ``result`` as one JSON line prefixed with ``RESULT_MARKER``. An exception in the recipe
is reported in the JSON (``error``: the traceback) rather than as a crash, so the pytest side can
show how far the recipe got, together with every HTTP request the server saw.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import Engine, select

from sendwell.app import create_app
from sendwell.config import Settings
from sendwell.services.demo import DEMO_MID, ensure_demo
from sendwell.store.tables import captured_messages

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:  # for tests.support (the aiosmtpd recorder)
    sys.path.insert(0, str(REPO))

RESULT_MARKER = "COMPAT-RESULT "
USERNAME, PASSWORD = "compat_api_user", "compat-password-1"
CLIENT_ID, CLIENT_SECRET = "compatclientid0001", "compat-client-secret-1"
SUBSCRIBERS = 40  # small: every run delivers the whole data extension


@dataclass
class RequestRecord:
    method: str
    path: str  # as the client sent it, before Sendwell's case-insensitive routing
    query: str
    soapaction: str | None
    user_agent: str | None
    status: int | None = None
    host: str | None = None  # the Host header: which name the client called

    def line(self) -> str:
        query = f"?{self.query}" if self.query else ""
        action = f" SOAPAction={self.soapaction}" if self.soapaction is not None else ""
        return f"{self.method} {self.path}{query}{action} -> {self.status}"


class RecordingApp:
    """ASGI wrapper that keeps one record per HTTP request (method, raw path, status)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.records: list[RequestRecord] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        record = RequestRecord(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            headers.get("soapaction"),
            headers.get("user-agent"),
            host=headers.get("host"),
        )
        self.records.append(record)

        async def send_recorded(message: Any) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        await self.app(scope, receive, send_recorded)


@dataclass
class Server:
    base: str
    engine: Engine
    settings: Settings
    recorder: RecordingApp
    mid: int = DEMO_MID
    username: str = USERNAME
    password: str = PASSWORD
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    subscribers: int = SUBSCRIBERS
    extra: dict[str, Any] = field(default_factory=dict)

    def requests(self) -> list[str]:
        return [r.line() for r in self.recorder.records]

    def captured(self, job_id: int) -> list[dict[str, Any]]:
        """Messages the capture transport stored for one send job, straight from the table:
        recipient, Subject and the text part."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(captured_messages.c.rcpt_to, captured_messages.c.data).where(
                    captured_messages.c.job_id == job_id
                )
            ).all()
        return [{"rcpt_to": r.rcpt_to, **summarise(r.data)} for r in rows]


def summarise(data: bytes | EmailMessage) -> dict[str, Any]:
    """Subject, From and the text part of a message (raw bytes or parsed)."""
    msg = (
        data if isinstance(data, EmailMessage) else message_from_bytes(data, policy=policy.default)
    )
    assert isinstance(msg, EmailMessage)
    text = msg.get_body(("plain",))
    return {
        "subject": str(msg.get("Subject", "")),
        "from": str(msg.get("From", "")),
        "text": text.get_content() if text is not None else None,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def sendwell(workdir: Path, transport: str = "capture://") -> Iterator[Server]:
    """Sendwell on a fresh SQLite database in ``workdir``, demo data loaded, served by uvicorn."""
    settings = Settings(
        database_url=f"sqlite:///{workdir}/sendwell.db",
        transport=transport,
        demo_username=USERNAME,
        demo_password=PASSWORD,
        demo_client_id=CLIENT_ID,
        demo_client_secret=CLIENT_SECRET,
    )
    app = create_app(settings)
    ensure_demo(app.state.engine, settings, subscribers=SUBSCRIBERS)
    recorder = RecordingApp(app)
    port = free_port()
    with _uvicorn(recorder, port, lifespan="on"):
        yield Server(f"http://127.0.0.1:{port}", app.state.engine, settings, recorder)


@contextmanager
def _uvicorn(app: Any, port: int, force: bool = False, **config: Any) -> Iterator[None]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` in a thread, until the block ends
    (``force``: without waiting for open connections to close)."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        server.force_exit = force
        thread.join(15)


@contextmanager
def also_over_tls(
    server: Server, certfile: str, keyfile: str, port: int = 443
) -> Iterator[RecordingApp]:
    """The same Sendwell also on https://127.0.0.1:``port`` with that certificate: what a
    client with a hard-coded ``https://`` host reaches once the name resolves to loopback.
    Yields the log of the requests that came over TLS (they are in the server's log too).
    The app's lifespan already ran for the plain server. It stops without waiting for open
    connections: uvicorn otherwise waits out the 15 s join for a TLS connection it still
    counts as open after the client (requests 2.34) is done, and nothing is in flight once
    the block ends."""
    tls = RecordingApp(server.recorder)
    with _uvicorn(
        tls, port, lifespan="off", ssl_certfile=certfile, ssl_keyfile=keyfile, force=True
    ):
        yield tls


def wait_for(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy; raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s (last value: {value!r})")
        time.sleep(interval)


def run(recipe: Callable[[Server, dict[str, Any]], None], smtp: bool = False) -> None:
    """Start Sendwell (``capture://``, or ``smtp://`` to an aiosmtpd recorder started here when
    ``smtp``), run ``recipe`` against it, print the result line. Exit code 0 either way once the
    server started: failures are reported in the JSON."""
    workdir = Path(sys.argv[1])
    result: dict[str, Any] = {}
    started = time.monotonic()
    with ExitStack() as stack:
        transport = "capture://"
        recorder = None
        if smtp:
            from tests.support import SmtpServer

            smtp_server = stack.enter_context(SmtpServer())
            transport, recorder = smtp_server.url, smtp_server.recorder
        server = stack.enter_context(sendwell(workdir, transport))
        server.extra["smtp"] = recorder
        result["base"] = server.base
        try:
            recipe(server, result)
        except BaseException:
            result["error"] = traceback.format_exc()
        result["requests"] = server.requests()
        result["subscribers"] = server.subscribers
    result["seconds"] = round(time.monotonic() - started, 2)
    sys.stdout.write(RESULT_MARKER + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()
