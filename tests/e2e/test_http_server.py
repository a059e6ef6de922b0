"""Sendwell as a real server (``sendwell serve`` in a subprocess, uvicorn on 127.0.0.1): request
bodies are limited while they stream in, and a keep-alive connection outlives every error.

Memory is read from the server process's ``/proc/PID/status`` (VmRSS).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.support import envelope, free_port, retrieve, simple_filter

MB = 1024 * 1024
CLIENT_ID, CLIENT_SECRET = "e2e-client", "e2e-secret-0123456789"
GOOD_TOKEN = json.dumps(
    {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
).encode()


@dataclass
class Server:
    process: subprocess.Popen
    port: int

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {
        **os.environ,
        "SENDWELL_DATABASE_URL": f"sqlite:///{folder}/sendwell.db",
        "SENDWELL_SECRET_KEY": "e2e-secret-key",
        "SENDWELL_DEMO_USERNAME": "e2e_user",
        "SENDWELL_DEMO_PASSWORD": "e2e-password",
        "SENDWELL_DEMO_CLIENT_ID": CLIENT_ID,
        "SENDWELL_DEMO_CLIENT_SECRET": CLIENT_SECRET,
    }
    command = [str(Path(sys.executable).parent / "sendwell"), "serve", "--demo", "--workers", "0"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        server = Server(process, port)
        deadline = time.monotonic() + 60
        while True:  # serve takes its port before the app is up: wait for an answer
            try:
                conn = server.connection()
                conn.request("GET", "/etframework.wsdl")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("sendwell serve did not start")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def token(server: Server) -> str:
    conn = server.connection()
    conn.request("POST", "/v2/token", GOOD_TOKEN, {"Content-Type": "application/json"})
    value = json.loads(conn.getresponse().read())["access_token"]
    conn.close()
    return value


def stream_huge_body(
    server: Server, path: str, size: int, chunked: bool, auth: str = ""
) -> dict[str, object]:
    """Send ``size`` bytes to ``path`` on a raw socket while reading the answer; then, on the
    same connection, a good token request. Returns timings, RSS and both answers."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % size
    if auth:
        framing += b"\r\nAuthorization: Bearer " + auth.encode()
    head = b"POST %s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n%s\r\n\r\n" % (
        path.encode(),
        framing,
    )
    reader = sock.makefile("rb")
    answer: dict[str, object] = {}

    def read_answer() -> None:
        status = reader.readline()
        answer["seconds"] = time.monotonic() - started
        headers = {}
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        answer["status"] = int(status.split()[1])
        answer["body"] = reader.read(int(headers.get("content-length", "0")))

    before = peak = server.rss_kb()
    thread = threading.Thread(target=read_answer)
    started = time.monotonic()
    sock.sendall(head)
    thread.start()
    block = b"x" * MB
    for i in range(size // MB):
        sock.sendall(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
        if i % 8 == 0:
            peak = max(peak, server.rss_kb())
    if chunked:
        sock.sendall(b"0\r\n\r\n")
    thread.join(30)
    peak = max(peak, server.rss_kb())
    sock.sendall(
        b"POST /v2/token HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(GOOD_TOKEN), GOOD_TOKEN)
    )
    next_status = reader.readline()
    sock.close()
    return {**answer, "growth_mb": (peak - before) / 1024, "next": next_status}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_300_mb_token_request_is_refused_at_once_in_bounded_memory(server, chunked) -> None:
    result = stream_huge_body(server, "/v2/token", 300 * MB, chunked)
    print(
        f"\n300 MB to /v2/token ({'chunked' if chunked else 'Content-Length'}): {result['status']}"
        f" after {result['seconds'] * 1000:.1f} ms, RSS growth {result['growth_mb']:.1f} MB"
    )
    assert result["status"] == 413
    assert json.loads(result["body"])["errorcode"] == 10000
    assert result["seconds"] < 0.1
    assert result["growth_mb"] < 20
    assert result["next"].startswith(b"HTTP/1.1 200"), result["next"]  # the connection lives on


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    "path",
    [
        "/v1/requestToken",
        "/data/v1/integration/send/salesforce/email",
        "/sendwell/v1/preview",
        "/asset/v1/content/assets/query",
        "/Service.asmx",
        "/no/such/route",
    ],
)
def test_every_route_refuses_a_huge_body_in_bounded_memory(server, path, chunked) -> None:
    result = stream_huge_body(server, path, 40 * MB, chunked, auth=token(server))
    soap = path == "/Service.asmx"
    if path == "/no/such/route" and chunked:  # nothing reads it: the 404, the rest discarded
        assert result["status"] == 404
    elif soap:  # SOAP 1.1 sends faults with HTTP 500
        assert result["status"] == 500 and b"soap:Client" in result["body"]
        assert b"larger than the limit" in result["body"]
    else:
        assert result["status"] == 413, result
        assert json.loads(result["body"])["errorcode"] == 10000
    assert result["seconds"] < 0.5  # after authentication, long before 40 MB could arrive
    assert result["growth_mb"] < 20
    assert result["next"].startswith(b"HTTP/1.1 200"), result["next"]


def soap_request(body: str) -> tuple[bytes, dict[str, str]]:
    raw = envelope(body, user=("e2e_user", "e2e-password")).encode()
    return raw, {"Content-Type": "text/xml", "SOAPAction": "Retrieve"}


BAD_REQUESTS: list[tuple[str, str, bytes | None, dict[str, str]]] = [
    ("POST", "/v2/token", b"[" * 10_000 + b"]" * 10_000, {"Content-Type": "application/json"}),
    ("POST", "/v2/token", b'{"client_id": "\\ud800"}', {"Content-Type": "application/json"}),
    ("POST", "/v1/requestToken", b'{"clientId": "\\udfff"}', {"Content-Type": "application/json"}),
    ("POST", "/v2/token", b"x" * (200 * 1024), {"Content-Type": "application/json"}),  # > limit
    ("POST", "/v2/token", b"{nope", {"Content-Type": "application/json"}),
    ("POST", "/Service.asmx", b"<soap:Envelope><unclosed>", {"Content-Type": "text/xml"}),
    (
        "POST",
        "/Service.asmx",
        *soap_request(retrieve("Send", ["ID"], simple_filter("ID", "equals", "9" * 20))),
    ),
    (
        "POST",
        "/Service.asmx",
        *soap_request(retrieve("BusinessUnit", ["ID"], simple_filter("ID", "between", "a", "b"))),
    ),
    ("GET", "/capture/v1/messages/99999999999999999999", None, {}),
    ("GET", "/no/such/route", None, {}),
    ("DELETE", "/v2/token", None, {}),
]


def test_the_connection_outlives_every_error(server) -> None:
    conn = server.connection()
    conn.request("POST", "/v2/token", GOOD_TOKEN, {"Content-Type": "application/json"})
    first = conn.getresponse()
    assert first.status == 200
    token = json.loads(first.read())["access_token"]
    sock = conn.sock
    for method, path, body, headers in BAD_REQUESTS:
        headers = {**headers, "Authorization": f"Bearer {token}"}
        conn.request(method, path, body, headers)
        bad = conn.getresponse()
        payload = bad.read()
        assert bad.status < 500 or b"soap:Client" in payload, (path, bad.status, payload[:300])
        conn.request("POST", "/v2/token", GOOD_TOKEN, {"Content-Type": "application/json"})
        good = conn.getresponse()
        good.read()
        assert good.status == 200, (path, good.status)
        assert conn.sock is sock, f"the server closed the connection after {method} {path}"
    conn.close()


def test_an_unexpected_error_is_a_500_and_the_connection_lives_on(tmp_path) -> None:
    """Fault injection (no Sendwell route fails on purpose): a route that raises is answered
    with Marketing Cloud's 500 JSON, and the keep-alive connection carries the next request."""
    import uvicorn

    from sendwell.app import create_app
    from sendwell.config import Settings

    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path}/s.db", secret_key="k"), start_workers=False
    )

    async def broken() -> None:
        raise RuntimeError("injected fault")

    app.add_api_route("/broken", broken, methods=["GET", "POST"])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for method, body in (("GET", None), ("POST", b"x" * 100_000)):
            conn.request(method, "/broken", body)
            reply = conn.getresponse()
            assert reply.status == 500
            assert json.loads(reply.read()) == {
                "message": "Internal Server Error",
                "errorcode": 500,
                "documentation": "",
            }
            sock = conn.sock
            conn.request("GET", "/etframework.wsdl")
            after = conn.getresponse()
            after.read()
            assert after.status == 200 and conn.sock is sock
        conn.close()
    finally:
        server.should_exit = True
        thread.join(10)
