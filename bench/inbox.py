"""The inbox with 100,000 captured messages: first page and search latency; capture speed.

1. A real send of ``--send`` recipients (the throughput bench's ~5 KB personalised email) with
   the ``capture://`` transport and one in-process worker: messages per second into the inbox.
2. The inbox filled to ``--messages`` (the same send's messages copied with new recipients,
   written through the capture store, so every one is indexed as captured mail is).
3. ``GET /ui/inbox`` signed in, through the whole app over HTTP (uvicorn on 127.0.0.1, httpx):
   the first page and searches by recipient (a rare one), by send, by subject word, by a word
   of the text (a common one, and one that matches nothing: the worst case, every row read).
   p50 / p99 of ``--rounds`` requests each.

    python -m bench.inbox [--messages 100000] [--send 20000] [--rounds 200]
                          [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time

import httpx
from sqlalchemy import select

from bench.harness import api_server
from bench.throughput import load
from sendwell.app import create_app
from sendwell.config import Settings
from sendwell.services.sends import start_send
from sendwell.store.captured import Capture, keep
from sendwell.store.tables import captured_messages, send_jobs


def capture_send(app, n: int) -> dict:  # type: ignore[no-untyped-def]
    """Start the bench send; messages per second from start to complete."""
    engine = app.state.engine
    with engine.begin() as conn:
        job_id = start_send(conn, 1, {"CustomerKey": "bench"}).job_id
    started = time.perf_counter()
    app.state.wake_workers()
    while True:
        with engine.connect() as conn:
            status = conn.execute(
                select(send_jobs.c.status).where(send_jobs.c.id == job_id)
            ).scalar()
        if status == "Complete":
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    return {
        "step": "capture_send",
        "messages": n,
        "seconds": round(seconds, 2),
        "msgs_per_s": round(n / seconds),
    }


def fill(engine, total: int) -> None:  # type: ignore[no-untyped-def]
    """Copy captured messages with new recipients until the inbox holds ``total``."""
    with engine.connect() as conn:
        samples = conn.execute(select(captured_messages).limit(200)).all()
        have = conn.execute(select(captured_messages.c.id)).all()
    count = len(have)
    started = time.perf_counter()
    while count < total:
        batch = []
        for i in range(min(1000, total - count)):
            sample = samples[(count + i) % len(samples)]
            rcpt = f"filler{count + i}@example.test"
            data = sample.data.replace(sample.rcpt_to.encode(), rcpt.encode())
            batch.append(
                Capture(sample.job_id, 10_000_000 + count + i, sample.mail_from, rcpt, None, data)
            )
        with engine.begin() as conn:
            keep(conn, batch)
        count += len(batch)
    print(
        json.dumps(
            {"step": "fill", "messages": count, "seconds": round(time.perf_counter() - started, 1)}
        )
    )


def sign_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    form = client.get("/ui/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    reply = client.post(
        "/ui/login", data={"username": "bench", "password": "bench-password", "csrf": csrf}
    )
    assert reply.status_code == 200, reply.status_code
    return client


def timed(client: httpx.Client, query: str, rounds: int) -> dict:
    times = []
    rows = 0
    for _ in range(rounds):
        started = time.perf_counter()
        reply = client.get("/ui/inbox", params={"q": query} if query else None)
        times.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200
        rows = reply.text.count("data-message=")
    times.sort()
    return {
        "step": "inbox",
        "query": query or "(first page)",
        "rows": rows,
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[max(0, int(len(times) * 0.99) - 1)], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="sendwell-bench-inbox-")
    url = args.database_url or f"sqlite:///{folder}/sendwell.db"
    settings = Settings(database_url=url, secret_key="bench-inbox", transport="capture://")
    app = create_app(settings)
    load(app.state.engine, args.send)
    with api_server(app) as port:
        print(json.dumps(capture_send(app, args.send)))
        fill(app.state.engine, args.messages)
        client = sign_in(f"http://127.0.0.1:{port}")
        queries = [
            "",
            "to:filler54321@example.test",
            "send:1",
            "subject:november",
            "loyalty balance",
            "nothing-matches-this",
        ]
        for query in queries:
            print(json.dumps(timed(client, query, args.rounds)))


if __name__ == "__main__":
    main()
