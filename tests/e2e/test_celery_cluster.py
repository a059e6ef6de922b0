"""Past one machine: one API process and three Celery worker processes, each on a host of its
own (a network namespace joined to PostgreSQL, Redis and the SMTP server over a veth link),
send 30,000 recipients to a real SMTP server. Mid-send one worker is killed with SIGKILL and,
later and separately, Redis is killed and started again empty (every queued task lost).

Every recipient is received, each ends with exactly one outcome in the ledger, the job is
Complete; nobody recorded as sent at the kill is sent again, and the duplicates (messages the
killed worker had delivered but not yet recorded) stay within one recorded batch per
connection. The Redis restart costs no recipient and no duplicate: the ledger's sweep
queues the lost work again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from tests.broker_support import RedisServer
from tests.e2e.cluster import Forwarder, Host, hosts
from tests.integration.delivery_support import make_definition
from tests.support import envelope, free_port

from sendwell.services.accounts import Accounts
from sendwell.store.db import make_engine, upgrade
from sendwell.store.tables import chunks, recipients, send_jobs

POSTGRES_URL = os.environ.get("SENDWELL_TEST_POSTGRES_URL")
RECIPIENTS = 30_000
CHUNK = 500
CONNECTIONS = 2
BATCH = 50  # SENDWELL_RECORD_BATCH_SIZE
KILL_AT, REDIS_RESTART_AT = 8_000, 18_000


class Counting:
    """Counts every accepted message per recipient."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.lock:
            self.counts.update(envelope.rcpt_tos)
        return "250 2.0.0 OK"

    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())

    def snapshot(self) -> Counter[str]:
        with self.lock:
            return Counter(self.counts)


@pytest.fixture
def database() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("SENDWELL_TEST_POSTGRES_URL is not set (the workers share PostgreSQL)")
    import psycopg

    name = f"sendwell_cluster_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def spawn(host: Host, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [*host.prefix, *argv],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.02)


def perform_start(api: str) -> int:
    body = (
        '<PerformRequestMsg xmlns="http://exacttarget.com/wsdl/partnerAPI"><Action>start</Action>'
        '<Definitions><Definition xsi:type="EmailSendDefinition"><CustomerKey>cluster'
        "</CustomerKey></Definition></Definitions></PerformRequestMsg>"
    )
    reply = httpx.post(
        f"{api}/Service.asmx",
        content=envelope(body, user=("cluster", "cluster-password")).encode(),
        headers={"Content-Type": "text/xml", "SOAPAction": "Perform"},
        timeout=30,
    )
    assert "<OverallStatus>OK</OverallStatus>" in reply.text, reply.text
    return int(reply.text.split("<ID>")[1].split("</ID>")[0])


def test_three_workers_on_three_hosts_lose_nothing_to_a_kill_or_a_redis_restart(
    database: str,
) -> None:
    started = time.monotonic()
    engine = make_engine(database)
    upgrade(engine)
    accounts = Accounts(engine)
    accounts.create_account(1, "Cluster")
    accounts.create_user(1, "cluster", "cluster-password")
    emails = [f"user{i}@example.test" for i in range(RECIPIENTS)]
    make_definition(engine, 1, emails, "cluster")

    handler = Counting()
    with hosts(4) as machines:
        if machines.note:
            print(f"\nnote: {machines.note}")
        api_host, *worker_hosts = machines.hosts
        gateways = machines.gateways
        broker = RedisServer(["127.0.0.1", *gateways])
        smtp_port, pg_port, api_port = free_port(), free_port(), free_port()
        controllers = [Controller(handler, hostname=g, port=smtp_port) for g in gateways]
        url = make_url(database)
        pg_target = (url.host or "127.0.0.1", url.port or 5432)
        processes: list[subprocess.Popen] = []
        try:
            broker.start()
            for controller in controllers:
                controller.start()
            with Forwarder(gateways, pg_port, pg_target):

                def env(host: Host) -> dict[str, str]:
                    db = url.set(host=host.gateway, port=pg_port).render_as_string(
                        hide_password=False
                    )
                    return {
                        "SENDWELL_DATABASE_URL": db,
                        "SENDWELL_BROKER_URL": broker.url(host.gateway),
                        "SENDWELL_SECRET_KEY": "cluster-secret-key",  # the same in every process
                        "SENDWELL_TRANSPORT": f"smtp://{host.gateway}:{smtp_port}?starttls=off"
                        f"&connections={CONNECTIONS}",
                        "SENDWELL_CHUNK_SIZE": str(CHUNK),
                        "SENDWELL_RECORD_BATCH_SIZE": str(BATCH),
                        "SENDWELL_LEASE_SECONDS": "3",
                        "SENDWELL_SWEEP_SECONDS": "1",
                    }

                api = spawn(
                    api_host,
                    [
                        sys.executable,
                        "-m",
                        "sendwell",
                        "serve",
                        "--host",
                        api_host.address,
                        "--port",
                        str(api_port),
                    ],
                    env(api_host),
                )
                processes.append(api)
                workers = [
                    spawn(h, [sys.executable, "-m", "sendwell", "worker"], env(h))
                    for h in worker_hosts
                ]
                processes.extend(workers)
                base = f"http://{api_host.address}:{api_port}"
                wait(lambda: _answers(base), 60, "the API process")
                ready = time.monotonic()
                job_id = perform_start(base)

                wait(lambda: handler.total() >= KILL_AT, 120, f"{KILL_AT} delivered")
                workers[0].send_signal(signal.SIGKILL)
                workers[0].wait(10)
                killed_at = time.monotonic()
                time.sleep(0.3)  # what the dead worker had written reaches the server
                received_at_kill = handler.snapshot()
                recorded_at_kill = _sent(engine, job_id)
                held_at_kill = _held_by(engine, job_id, workers[0].pid)
                assert len(recorded_at_kill) < RECIPIENTS  # it was killed mid-send

                wait(
                    lambda: handler.total() >= REDIS_RESTART_AT,
                    120,
                    f"{REDIS_RESTART_AT} delivered",
                )
                broker.restart()  # SIGKILL, then an empty Redis: every queued task is gone

                wait(lambda: _status(engine, job_id) != "Sending", 180, "the job to end")
                done = time.monotonic()
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    process.wait(10)
            for controller in controllers:
                controller.stop()
            broker.stop()

    counts = handler.snapshot()
    assert _status(engine, job_id) == "Complete"
    assert set(counts) == set(emails)  # nobody lost
    with engine.connect() as conn:
        outcomes = Counter(
            conn.execute(select(recipients.c.status).where(recipients.c.job_id == job_id)).scalars()
        )
        sent = conn.execute(select(send_jobs.c.sent).where(send_jobs.c.id == job_id)).scalar_one()
        seqs = conn.execute(
            select(func.count(func.distinct(recipients.c.seq))).where(recipients.c.job_id == job_id)
        ).scalar_one()
    assert outcomes == {"sent": RECIPIENTS} and sent == RECIPIENTS and seqs == RECIPIENTS
    # Recorded as sent at the kill: never sent again after it.
    assert all(counts[e] == received_at_kill[e] for e in recorded_at_kill)
    twice = {e for e, n in counts.items() if n > 1}
    duplicates = sum(counts[e] - 1 for e in twice)
    print(
        f"\ncluster: {RECIPIENTS} delivered in {done - ready:.1f} s (test {done - started:.1f} s);"
        f" killed a worker {killed_at - ready:.1f} s in, holding {len(held_at_kill)} unsent of"
        f" its chunk; duplicates {duplicates} (bound {CONNECTIONS * BATCH})"
    )
    # Only the killed worker's in-flight messages went twice (the Redis restart sent nobody
    # twice), and they were at most one batch per connection.
    assert twice <= held_at_kill
    assert duplicates <= CONNECTIONS * BATCH


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/etframework.wsdl", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _status(engine, job_id: int) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(send_jobs.c.status).where(send_jobs.c.id == job_id)).scalar_one()


def _sent(engine, job_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(recipients.c.email).where(
                    recipients.c.job_id == job_id, recipients.c.status == "sent"
                )
            ).scalars()
        )


def _held_by(engine, job_id: int, pid: int) -> set[str]:  # type: ignore[no-untyped-def]
    """The not-yet-sent recipients of the chunks a worker process had claimed."""
    with engine.connect() as conn:
        held = conn.execute(
            select(chunks.c.first_seq, chunks.c.last_seq).where(
                chunks.c.job_id == job_id,
                chunks.c.state == "claimed",
                chunks.c.owner.like(f"%:{pid}:%"),
            )
        ).all()
        return {
            email
            for first, last in held
            for email in conn.execute(
                select(recipients.c.email).where(
                    recipients.c.job_id == job_id,
                    recipients.c.seq.between(first, last),
                    recipients.c.status != "sent",
                )
            ).scalars()
        }
