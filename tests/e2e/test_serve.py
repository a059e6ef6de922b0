"""``sendwell serve --demo`` as a user runs it: a real process on a real port.

Links in messages point at the port it serves on; a restart on the same database prints the
same demo credentials and the old ones keep working; a taken port is said plainly, before any
banner, with a non-zero exit.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.support import envelope, free_port, perform_start, retrieve, wait_for

BANNER_END = "Captured mail"


@dataclass
class Served:
    process: subprocess.Popen
    output: Path
    base: str

    def banner(self) -> dict[str, str]:
        """The banner's "name  value" lines."""
        lines = self.output.read_text().splitlines()
        return {
            m.group(1): m.group(2)
            for m in (re.match(r"^  (\S.*?)\s{2,}(\S.*)$", line) for line in lines)
            if m
        }


def environment(workdir: Path) -> dict[str, str]:
    # Only this test's settings: none of the caller's SENDWELL_* variables leak into the server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDWELL_")}
    env["SENDWELL_DATABASE_URL"] = f"sqlite:///{workdir}/sendwell.db"
    return env


@contextmanager
def serve(workdir: Path, port: int) -> Iterator[Served]:
    output = workdir / f"serve-{port}-{time.monotonic_ns()}.out"
    with output.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sendwell", "serve", "--demo", "--port", str(port)],
            cwd=workdir,
            env=environment(workdir),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(process, output, f"http://127.0.0.1:{port}")
    try:
        wait_for(lambda: BANNER_END in output.read_text() or process.poll() is not None, 60)
        assert process.poll() is None, output.read_text()
        wait_for(lambda: _answers(served.base), 30)
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/etframework.wsdl", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def token(base: str, banner: dict[str, str], account: int = 100001) -> str:
    reply = httpx.post(
        f"{base}/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": banner["Client ID"],
            "client_secret": banner["Client secret"],
            "account_id": account,
        },
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]


def soap(base: str, banner: dict[str, str], action: str, body: str) -> str:
    request = envelope(body, user=(banner["API username"], banner["API password"]))
    return httpx.post(
        f"{base}/Service.asmx",
        content=request.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action},
    ).text


def test_links_in_messages_point_at_the_port_serve_listens_on(tmp_path: Path) -> None:
    port = free_port()
    with serve(tmp_path, port) as served:
        banner = served.banner()
        assert banner["SOAP endpoint"] == f"http://127.0.0.1:{port}/Service.asmx"
        started = soap(served.base, banner, "Perform", perform_start("Definition_Key"))
        assert "<OverallStatus>OK</OverallStatus>" in started, started
        auth = {"Authorization": f"Bearer {token(served.base, banner)}"}

        def captured() -> list[dict] | None:
            reply = httpx.get(f"{served.base}/capture/v1/messages", headers=auth)
            return reply.json()["items"] or None

        first = wait_for(captured, 60)[0]
        message = httpx.get(f"{served.base}/capture/v1/messages/{first['id']}", headers=auth)
        headers = dict(message.json()["headers"])
        unsubscribe = re.match(r"<(http[^>]+)>", headers["List-Unsubscribe"]).group(1)
        assert unsubscribe.startswith(f"http://127.0.0.1:{port}/t/u/")
        html = message.json()["html"]
        pixel = re.search(r'src="(http[^"]+/t/o/[^"]+\.gif)"', html).group(1)
        assert pixel.startswith(f"http://127.0.0.1:{port}/t/o/")
        # The link works against this very server.
        page = httpx.get(unsubscribe)
        assert page.status_code == 200 and first["rcpt_to"] in page.text


def test_a_restart_keeps_the_demo_credentials_working(tmp_path: Path) -> None:
    with serve(tmp_path, free_port()) as first:
        before = first.banner()
    with serve(tmp_path, free_port()) as second:
        after = second.banner()
        for name in ("API username", "API password", "Client ID", "Client secret"):
            assert after[name] == before[name], name
        assert token(second.base, before)  # the credentials printed by the first start
        found = soap(second.base, before, "Retrieve", retrieve("Email", ["ID", "Name"]))
        assert "<OverallStatus>OK</OverallStatus>" in found, found
    assert (tmp_path / "sendwell.secret").stat().st_mode & 0o077 == 0


def test_a_taken_port_is_said_before_any_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "sendwell", "serve", "--demo", "--port", str(port)],
            cwd=tmp_path,
            env=environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1, output
    assert f"error: port {port} on 127.0.0.1 is already in use" in output
    assert "Choose another port with --port, e.g. --port " in output
    assert "Sendwell is ready" not in output and "password" not in output.lower()
    assert "Errno" not in output and "Traceback" not in output
    assert not (tmp_path / "sendwell.db").exists()  # nothing was set up on the way
    assert time.monotonic() - started < 30
