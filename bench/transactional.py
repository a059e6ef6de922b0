"""Transactional sends under load: one message to one person, now, while a bulk send runs.

Starts Sendwell as separate processes (``sendwell serve`` with no in-process workers, and
``sendwell worker`` processes) on a fresh database, delivering to Postfix's smtp-sink on
127.0.0.1, and a transactional definition over a ~5 KB personalised email. Prints JSON lines:

1. ``single``: 50 concurrent clients posting ``/messaging/v1/email/messages/{messageKey}`` for
   a fixed time: accepted calls per second, p50/p99/max of the answer.
2. ``batch``: concurrent clients posting batches of 500 recipients to
   ``/messaging/v1/email/messages``: recipients accepted per second.
3. ``latency_beside_bulk``: a 100,000-recipient SOAP send is started; while it delivers,
   single sends at a steady 100 per second; for each, the time from the API's answer to the
   recipient's delivery being recorded in the ledger (after smtp-sink took the message), p50
   and p99, and how far the bulk send got meanwhile (transactional first).

    python -m bench.transactional [--database-url postgresql://…] [--workers 2]
        [--clients 50] [--seconds 10] [--bulk 100000] [--rate 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench.harness import free_port, smtp_sink, wait_port, worker_processes
from bench.throughput import PERFORM, load
from sendwell.services.accounts import Accounts
from sendwell.services.registry import KINDS
from sendwell.store.db import make_engine, upgrade
from sendwell.store.tables import message_keys, recipients, send_jobs

SECRET = "bench-secret-key"
TEXT = "Dear %%name%%,\n\nYour order %%OrderNo%% is confirmed.\n" + "Line of order detail.\n" * 120


def setup(engine, bulk: int) -> None:  # type: ignore[no-untyped-def]
    """The bulk definition (bench.throughput's) and what a transactional definition needs."""
    load(engine, bulk)
    Accounts(engine).create_package(1, "Bench", "bench-client", "bench-client-secret")
    with engine.begin() as conn:

        def create(type_name: str, **props: object) -> None:
            KINDS[type_name].create(conn, 1, {"__type__": type_name, **props})

        create(
            "SendClassification",
            CustomerKey="Default Transactional",
            Name="T",
            SendClassificationType="Operational",
            SenderProfile={"CustomerKey": "sp"},
        )
        create(
            "Email",
            CustomerKey="tx-email",
            Name="Order",
            Subject="Order %%OrderNo%%",
            TextBody=TEXT,
            HTMLBody="<p>" + TEXT.replace("\n", "<br>") + "</p>",
        )
        create("List", CustomerKey="tx-list", ListName="Tx")


@contextmanager
def sendwell_server(env: dict[str, str]):  # type: ignore[no-untyped-def]
    """``sendwell serve`` in a process of its own (no in-process workers); yields its port."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sendwell", "serve", "--port", str(port)],
        env={**os.environ, **env, "SENDWELL_WORKERS": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        yield port
    finally:
        server.terminate()
        server.wait(30)


WRK_SCRIPT = """
counter = 0
local thread_id = 0
function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end
function init(args)
  token = args[1]
end
request = function()
  counter = counter + 1
  local key = "w" .. id .. "-" .. counter
  local body = '{"definitionKey":"orders","recipient":{"contactKey":"' .. key ..
    '","to":"' .. key .. '@load.example.test","attributes":{"name":"W","OrderNo":"1"}}}'
  return wrk.format("POST", "/messaging/v1/email/messages/" .. key,
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
"""


def wrk_load(base: str, token: str, clients: int, seconds: float, tmp: Path) -> dict:
    """The single-send load from wrk (a C load generator in a process of its own), so the
    figures are the server's, not a Python client's."""
    script = tmp / "single.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(
        [
            "wrk",
            f"-c{clients}",
            "-t2",
            f"-d{int(seconds)}s",
            "--latency",
            "-s",
            str(script),
            base,
            "--",
            token,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def find(pattern: str) -> str:
        found = re.search(pattern, out, re.MULTILINE)
        return found[1] if found else "0"

    def ms(text: str) -> float:
        number = re.match(r"[\d.]+", text)
        if number is None:
            raise SystemExit(f"cannot read wrk's latency {text!r} in:\n{out}")
        value = float(number[0])
        return value * {"us": 0.001, "ms": 1, "s": 1000}[re.sub(r"[\d.]", "", text)]

    errors = int(find(r"Non-2xx or 3xx responses: (\d+)"))
    return {
        "step": "single",
        "client": "wrk",
        "clients": clients,
        "calls_per_s": round(float(find(r"Requests/sec:\s+([\d.]+)"))),
        "errors": errors,
        # Anchored: "73.50%" in the thread stats would match "50%" too.
        "p50_ms": ms(find(r"^\s+50%\s+(\S+)")),
        "p99_ms": ms(find(r"^\s+99%\s+(\S+)")),
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def figures(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "max_ms": round(max(values), 2),
    }


async def single_load(base: str, token: str, clients: int, seconds: float) -> dict:
    """``clients`` clients sending single messages as fast as answers come back."""
    timings: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        client.headers["Authorization"] = f"Bearer {token}"

        async def one_client(n: int) -> None:
            nonlocal errors
            i = 0
            while time.perf_counter() < deadline:
                i += 1
                body = {
                    "definitionKey": "orders",
                    "recipient": {
                        "contactKey": f"c{n}-{i}",
                        "to": f"c{n}-{i}@load.example.test",
                        "attributes": {"name": f"Client {n}", "OrderNo": str(i)},
                    },
                }
                t = time.perf_counter()
                reply = await client.post(f"/messaging/v1/email/messages/s-{n}-{i}", json=body)
                timings.append((time.perf_counter() - t) * 1000)
                errors += reply.status_code != 202

        started = time.perf_counter()
        await asyncio.gather(*(one_client(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return {
        "step": "single",
        "clients": clients,
        "accepted": len(timings) - errors,
        "errors": errors,
        "calls_per_s": round((len(timings) - errors) / elapsed),
        **figures(timings),
    }


async def batch_load(base: str, token: str, clients: int, seconds: float, size: int) -> dict:
    """``clients`` clients sending batches of ``size`` recipients."""
    accepted = 0
    timings: list[float] = []
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        client.headers["Authorization"] = f"Bearer {token}"

        async def one_client(n: int) -> None:
            nonlocal accepted
            i = 0
            while time.perf_counter() < deadline:
                i += 1
                body = {
                    "definitionKey": "orders",
                    "recipients": [
                        {
                            "contactKey": f"b{n}-{i}-{j}",
                            "to": f"b{n}-{i}-{j}@load.example.test",
                            "attributes": {"name": "Batch", "OrderNo": str(j)},
                        }
                        for j in range(size)
                    ],
                }
                t = time.perf_counter()
                reply = await client.post("/messaging/v1/email/messages", json=body)
                timings.append((time.perf_counter() - t) * 1000)
                if reply.status_code == 202:
                    accepted += len(reply.json()["responses"])

        started = time.perf_counter()
        await asyncio.gather(*(one_client(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return {
        "step": "batch",
        "clients": clients,
        "batch_size": size,
        "recipients_accepted": accepted,
        "recipients_per_s": round(accepted / elapsed),
        **figures(timings),
    }


async def steady(base: str, token: str, rate: float, seconds: float) -> dict[str, float]:
    """Single sends at ``rate`` per second; the epoch time each answer came, by messageKey."""
    answered: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        tasks = []
        started = time.perf_counter()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(_timed_send(client, i, answered)))
        await asyncio.gather(*tasks)
    return answered


async def _timed_send(client: httpx.AsyncClient, i: int, answered: dict[str, float]) -> None:
    key = f"steady-{i}"
    body = {
        "definitionKey": "orders",
        "recipient": {"contactKey": key, "to": f"{key}@tx.example.test", "attributes": {}},
    }
    reply = await client.post(f"/messaging/v1/email/messages/{key}", json=body)
    if reply.status_code == 202:
        answered[key] = time.time()


def delivered_at(engine, keys: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """When each messageKey's delivery was recorded (epoch seconds)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(message_keys.c.message_key, recipients.c.sent_at)
            .join(
                recipients,
                (recipients.c.job_id == message_keys.c.job_id)
                & (recipients.c.seq == message_keys.c.seq),
            )
            .where(message_keys.c.message_key.in_(keys), recipients.c.sent_at.is_not(None))
        ).all()
    return {k: at.replace(tzinfo=UTC).timestamp() for k, at in rows}


def wait_drained(engine, timeout: float = 600) -> None:  # type: ignore[no-untyped-def]
    """Until no recipient of the transactional job is pending."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with engine.connect() as conn:
            left = conn.execute(
                select(func.count())
                .select_from(recipients)
                .join(send_jobs, send_jobs.c.id == recipients.c.job_id)
                .where(send_jobs.c.continuous.is_(True), recipients.c.status == "pending")
            ).scalar_one()
        if not left:
            return
        time.sleep(0.5)


def bulk_sent(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.coalesce(func.sum(send_jobs.c.sent), 0)).where(
                    send_jobs.c.continuous.is_(False)
                )
            ).scalar_one()
        )


def run(args: argparse.Namespace, db_url: str, sink_port: int) -> None:
    transport = f"smtp://127.0.0.1:{sink_port}?starttls=off&connections=4&helo=bench"
    engine = make_engine(db_url)
    upgrade(engine)
    setup(engine, args.bulk)
    env = {
        "SENDWELL_DATABASE_URL": db_url,
        "SENDWELL_TRANSPORT": transport,
        "SENDWELL_SECRET_KEY": SECRET,
        "SENDWELL_CHUNK_SIZE": "500",
    }
    with sendwell_server(env) as port, worker_processes(args.workers, env):
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=60) as client:
            token = client.post(
                "/v2/token",
                json={
                    "grant_type": "client_credentials",
                    "client_id": "bench-client",
                    "client_secret": "bench-client-secret",
                },
            ).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            created = client.post(
                "/messaging/v1/email/definitions",
                json={
                    "definitionKey": "orders",
                    "name": "Orders",
                    "content": {"customerKey": "tx-email"},
                    "subscriptions": {"list": "tx-list", "autoAddSubscriber": False},
                    "options": {"trackLinks": False},
                },
            )
            assert created.status_code == 201, created.text
        if args.client == "wrk":
            print(json.dumps(wrk_load(base, token, args.clients, args.seconds, args.tmp)))
        else:
            print(json.dumps(asyncio.run(single_load(base, token, args.clients, args.seconds))))
        wait_drained(engine)
        print(json.dumps(asyncio.run(batch_load(base, token, 4, args.seconds, 500))))
        wait_drained(engine)
        with httpx.Client(base_url=base, timeout=60) as client:
            reply = client.post(
                "/Service.asmx",
                content=PERFORM.encode(),
                headers={"Content-Type": "text/xml", "SOAPAction": "Perform"},
            )
            assert "<OverallStatus>OK</OverallStatus>" in reply.text, reply.text[:500]
        while bulk_sent(engine) == 0:  # the bulk send is delivering
            time.sleep(0.05)
        before = bulk_sent(engine)
        answered = asyncio.run(steady(base, token, args.rate, args.seconds))
        during = bulk_sent(engine) - before
        wait_drained(engine)
        done = delivered_at(engine, list(answered))
        latencies = [(done[k] - t) * 1000 for k, t in answered.items() if k in done]
    print(
        json.dumps(
            {
                "step": "latency_beside_bulk",
                "rate_per_s": args.rate,
                "sent": len(answered),
                "delivered": len(latencies),
                "bulk_messages_sent_meanwhile": during,
                "database": db_url.split(":")[0],
                **figures(latencies),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--bulk", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument(
        "--client",
        choices=("wrk", "httpx"),
        default="wrk" if shutil.which("wrk") else "httpx",
        help="load generator of the single-send step (wrk: Debian's package, preferred)",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sendwell-bench-"))
    args.tmp = tmp
    db_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    try:
        with smtp_sink() as sink_port:
            run(args, db_url, sink_port)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
