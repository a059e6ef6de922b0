"""``sendwell serve``: a token in the query string never reaches the access log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
from tests.support import free_port


def test_access_tokens_in_query_strings_are_not_logged(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        **os.environ,
        "SENDWELL_DATABASE_URL": f"sqlite:///{tmp_path}/s.db",
        "SENDWELL_SECRET_KEY": "test-key",
        "SENDWELL_WORKERS": "0",
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "sendwell", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(base + "/etframework.wsdl", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        plain = httpx.get(base + "/platform/v1/endpoints/soap?access_token=SECRET-ONE")
        encoded = httpx.get(base + "/platform/v1/endpoints?page=1&access%5Ftoken=SECRET-TWO")
        assert plain.status_code == encoded.status_code == 401
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(15)
    logged = log_path.read_text()
    assert "GET /platform/v1/endpoints/soap?access_token=[redacted] HTTP/1.1" in logged
    assert "/platform/v1/endpoints?page=1&access%5Ftoken=[redacted]" in logged
    assert "SECRET" not in logged
