"""Tracking-pixel latency while ten clients fail logins over SOAP, against a real uvicorn server.

Run: python bench/login_load.py [--src DIR] [--clients 10] [--seconds 10]

The server is ``sendwell`` from ``DIR`` (default: this tree's ``src``; give an older checkout's
``src`` to measure it the same way) on a fresh SQLite database with one API user, in its own
process. A prober fetches ``GET /t/o/{token}.gif`` (an invalid token: the route answers with the
GIF at once) back to back, first alone, then while ``--clients`` threads send UsernameToken
Retrieves that fail, in two ways:

* ``same-user``: the real user's name with wrong passwords from one address (the issue's case;
  a throttle, where there is one, stops it after a few attempts);
* ``many-users``: a new unknown name and a new ``X-Forwarded-For`` address per attempt (uvicorn
  trusts it from 127.0.0.1), so that no throttle engages and, where unknown names are checked
  against a dummy hash, every attempt costs a scrypt check.

Prints one JSON line per phase: pixel p50/p99/max in milliseconds, probes, and the failed
logins answered per second with their outcomes (plain "Login failed" or throttled).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

BOOT = """
import sys, uvicorn
from sendwell.app import create_app
from sendwell.config import Settings
settings = Settings(database_url=sys.argv[1], secret_key="bench", workers=0)
app = create_app(settings, start_workers=False)
app.state.accounts.create_account(1, "Bench")
app.state.accounts.create_user(1, "bench_user", "right-password")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
ENVELOPE = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>'
    '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-'
    'wssecurity-secext-1.0.xsd"><wsse:UsernameToken><wsse:Username>{user}</wsse:Username>'
    "<wsse:Password>{password}</wsse:Password></wsse:UsernameToken></wsse:Security>"
    '</soap:Header><soap:Body><RetrieveRequestMsg xmlns="http://exacttarget.com/wsdl/partnerAPI">'
    "<RetrieveRequest><ObjectType>Email</ObjectType><Properties>ID</Properties>"
    "</RetrieveRequest></RetrieveRequestMsg></soap:Body></soap:Envelope>"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(src: Path, workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(src)}
    database = f"sqlite:///{workdir}/bench.db"
    server = subprocess.Popen([sys.executable, "-c", BOOT, database, str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(base + "/etframework.wsdl", timeout=1)
            return server, base
        except httpx.TransportError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("the server did not start")


def probe(base: str, seconds: float) -> list[float]:
    """Pixel latencies (ms), fetched back to back for ``seconds``."""
    latencies = []
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/t/o/bench.gif")
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            started = time.perf_counter()
            client.get("/t/o/not-a-valid-token.gif")
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)
    return latencies


def attacker(base: str, scenario: str, stop: threading.Event, outcomes: Counter) -> None:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "Retrieve"}
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            user, extra = "bench_user", {}
            if scenario == "many-users":
                user = f"nobody-{uuid.uuid4().hex[:12]}"
                address = ".".join(str(random.randint(1, 254)) for _ in range(4))
                extra = {"X-Forwarded-For": address}
            body = ENVELOPE.format(user=user, password=uuid.uuid4().hex)
            reply = client.post("/Service.asmx", content=body, headers={**headers, **extra})
            outcomes["throttled" if b"too many" in reply.content else "login failed"] += 1


def phase(base: str, name: str, clients: int, seconds: float) -> dict[str, object]:
    stop, outcomes = threading.Event(), Counter()
    threads = [
        threading.Thread(target=attacker, args=(base, name, stop, outcomes), daemon=True)
        for _ in range(clients if name != "alone" else 0)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.5 if threads else 0)  # the attack is under way before the first probe
    started = time.perf_counter()
    latencies = probe(base, seconds)
    elapsed = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join(60)
    ordered = sorted(latencies)
    return {
        "phase": name,
        "clients": len(threads),
        "pixel_p50_ms": round(statistics.median(ordered), 1),
        "pixel_p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 1),
        "pixel_max_ms": round(ordered[-1], 1),
        "probes": len(ordered),
        "failed_logins_per_s": round(sum(outcomes.values()) / elapsed, 1),
        "outcomes": dict(outcomes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", type=Path, default=Path(__file__).parents[1] / "src")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        server, base = start_server(args.src.resolve(), Path(workdir))
        try:
            for name in ("alone", "same-user", "many-users"):
                result = phase(base, name, args.clients, args.seconds)
                print(json.dumps({"src": str(args.src), **result}), flush=True)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)


if __name__ == "__main__":
    main()
