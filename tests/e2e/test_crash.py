"""Crash safety: a real worker process sending 20,000 recipients to a real SMTP server is
killed with SIGKILL mid-send, twice, and started again each time.

Every recipient is received at least once and ends with exactly one outcome in the ledger; no
recipient recorded as sent before a kill is received twice; duplicates (messages in flight at
the instant of the kill) stay within one recorded batch per connection per kill, well under the
chunk.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

from aiosmtpd.controller import Controller
from sqlalchemy import select
from tests.integration.delivery_support import make_definition
from tests.support import free_port

from sendwell.services.accounts import Accounts
from sendwell.services.sends import start_send
from sendwell.store.db import make_engine, upgrade
from sendwell.store.tables import recipients, send_jobs

RECIPIENTS = 20_000
CHUNK = 500
CONNECTIONS = 2
BATCH = 50  # SENDWELL_RECORD_BATCH_SIZE: outcomes a connection settles between ledger writes


class Counting:
    """Counts every accepted message per recipient; stores nothing else."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.counts.update(envelope.rcpt_tos)
        return "250 2.0.0 OK"

    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())


def sent_emails(engine, job_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(recipients.c.email).where(
                    recipients.c.job_id == job_id, recipients.c.status == "sent"
                )
            ).scalars()
        )


def test_sigkill_mid_send_loses_nothing_and_never_resends_what_was_recorded(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/crash.db"
    engine = make_engine(url)
    upgrade(engine)
    Accounts(engine).create_account(1, "Crash test")
    emails = [f"user{i}@example.test" for i in range(RECIPIENTS)]
    key = make_definition(engine, 1, emails, "crash")
    with engine.begin() as conn:
        job_id = start_send(conn, 1, {"CustomerKey": key}).job_id

    handler, port = Counting(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "SENDWELL_DATABASE_URL": url,
        "SENDWELL_CHUNK_SIZE": str(CHUNK),
        "SENDWELL_LEASE_SECONDS": "2",
        "SENDWELL_RECORD_BATCH_SIZE": str(BATCH),
        "SENDWELL_TRANSPORT": f"smtp://127.0.0.1:{port}?starttls=off&connections={CONNECTIONS}",
    }

    def worker() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "sendwell", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    process = worker()
    recorded_at_kill: list[tuple[set[str], Counter[str]]] = []
    resume_seconds: list[float] = []
    try:
        for kill_at in (4_000, 10_000):
            deadline = time.monotonic() + 120
            while handler.total() < kill_at and time.monotonic() < deadline:
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            time.sleep(0.2)  # let the server finish whatever the dead worker had sent
            with handler.lock:
                received_then = Counter(handler.counts)
            recorded_at_kill.append((sent_emails(engine, job_id), received_then))
            before = handler.total()
            restarted = time.monotonic()
            process = worker()
            while handler.total() == before and time.monotonic() - restarted < 60:
                time.sleep(0.01)
            resume_seconds.append(round(time.monotonic() - restarted, 2))
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                status = conn.execute(
                    select(send_jobs.c.status).where(send_jobs.c.id == job_id)
                ).scalar_one()
            if status != "Sending":
                break
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        controller.stop()

    assert status == "Complete"
    counts = handler.counts
    assert set(counts) == set(emails)  # nobody lost
    with engine.connect() as conn:
        outcomes = Counter(
            conn.execute(select(recipients.c.status).where(recipients.c.job_id == job_id)).scalars()
        )
    assert outcomes == {"sent": RECIPIENTS}  # exactly one outcome each
    for recorded, received_then in recorded_at_kill:
        # recorded as sent at the kill: never sent again after it
        assert all(counts[email] == received_then[email] for email in recorded)
    duplicates = sum(n - 1 for n in counts.values())
    print(
        f"\ncrash test: duplicates {duplicates} over {len(recorded_at_kill)} kills, "
        f"resume after {resume_seconds} s"
    )
    assert duplicates <= CONNECTIONS * BATCH * len(recorded_at_kill) < CHUNK
