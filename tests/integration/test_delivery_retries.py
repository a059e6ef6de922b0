"""Delivery you can trust: a scripted SMTP server answers 421/451/452/550 or hangs up for
chosen recipients; outcomes and retries are asserted recipient by recipient. The relay can be
down for a while; a send can be paused, resumed and cancelled."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from tests.conftest import make_world
from tests.integration.delivery_support import make_definition
from tests.support import free_port, perform_start, soap, text, wait_for
from typer.testing import CliRunner

from sendwell.services.send_control import control
from sendwell.services.sends import start_send
from sendwell.store.tables import recipients, send_jobs


@dataclass
class Scripted:
    """Replies per recipient and attempt; ``None`` in a DATA script hangs up without a reply."""

    rcpt: dict[str, list[str]] = field(default_factory=dict)
    data: dict[str, list[str | None]] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, options):
        script = self.rcpt.get(address)
        if script and len(script) > 1:
            reply = script.pop(0)
        elif script:
            reply = script[0]
        else:
            reply = "250 OK"
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        elif reply.startswith("421"):
            await server.push(reply)
            server.transport.close()
            return "421 closing"  # not sent: the connection is gone
        return reply

    async def handle_DATA(self, server, session, envelope):
        address = envelope.rcpt_tos[0]
        script = self.data.get(address)
        reply = script.pop(0) if script else "250 2.0.0 queued"
        if reply is None:
            server.transport.close()
            return "451 gone"
        if reply.startswith("250"):
            self.received.append(address)
        return reply

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        responses.insert(1, "250-PIPELINING")
        return responses


FAST_RETRY = {"retry_base_seconds": 0.3, "retry_max_interval_seconds": 0.6}


def ledger(world, job_id: int) -> dict[str, tuple[str, int, int | None]]:  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(
                recipients.c.email,
                recipients.c.status,
                recipients.c.attempts,
                recipients.c.smtp_code,
            ).where(recipients.c.job_id == job_id)
        )
        return {r.email: (r.status, r.attempts, r.smtp_code) for r in rows}


def job_status(world, job_id: int) -> str:  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        return conn.execute(select(send_jobs.c.status).where(send_jobs.c.id == job_id)).scalar_one()


def start(world, key: str) -> int:  # type: ignore[no-untyped-def]
    _, response = soap(world.client, "Perform", perform_start(key), user=world.user)
    return int(text(response, "p:Results/p:Result/p:Task/p:ID"))


@pytest.fixture
def scripted(sqlite_url):  # type: ignore[no-untyped-def]
    handler = Scripted()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = f"smtp://127.0.0.1:{port}?starttls=off&connections=2"
        for world in make_world(sqlite_url, transport=url, **FAST_RETRY, retry_max_age_seconds=2.0):
            world.smtp = handler  # type: ignore[attr-defined]
            yield world
    finally:
        controller.stop()


def test_each_reply_gets_its_outcome_and_retries(scripted) -> None:
    world, smtp = scripted, scripted.smtp
    smtp.rcpt = {
        "soft@example.test": ["451 4.7.1 greylisted, try later", "250 OK"],
        "hard@example.test": ["550 5.1.1 no such user"],
        "busy@example.test": ["421 4.3.2 too busy, closing", "250 OK"],
        "never@example.test": ["450 4.2.1 mailbox unavailable"],
    }
    smtp.data = {"full@example.test": ["452 4.2.2 mailbox full"], "drop@example.test": [None]}
    plain = [f"ok{i}@example.test" for i in range(6)]
    special = ["soft", "hard", "busy", "never", "full", "drop"]
    addresses = plain[:3] + [f"{s}@example.test" for s in special] + plain[3:]
    job = start(world, make_definition(world.engine, world.mid, addresses))
    wait_for(lambda: job_status(world, job) == "Complete", timeout=30)
    outcome = ledger(world, job)
    for address in plain:
        assert outcome[address][:2] == ("sent", 1), address
    assert outcome["soft@example.test"][:2] == ("sent", 2)
    assert outcome["busy@example.test"][:2] == ("sent", 2)
    assert outcome["full@example.test"][:2] == ("sent", 2)
    assert outcome["drop@example.test"][:2] == ("sent", 2)
    assert outcome["hard@example.test"] == ("failed", 1, 550)
    status, attempts, code = outcome["never@example.test"]
    assert status == "failed" and attempts >= 2 and code == 450  # gave up past the maximum age
    assert sorted(smtp.received) == sorted(
        a for a in addresses if a not in ("hard@example.test", "never@example.test")
    )  # each exactly once
    with world.engine.connect() as conn:
        counts = conn.execute(
            select(send_jobs.c.sent, send_jobs.c.errored, send_jobs.c.deferred).where(
                send_jobs.c.id == job
            )
        ).one()
    assert tuple(counts) == (len(addresses) - 2, 2, 0)


@pytest.fixture
def relay_down(sqlite_url):  # type: ignore[no-untyped-def]
    port = free_port()
    url = f"smtp://127.0.0.1:{port}?starttls=off&connections=2"
    for world in make_world(sqlite_url, transport=url, **FAST_RETRY):
        world.port = port  # type: ignore[attr-defined]
        yield world


def test_relay_down_for_a_while_then_back(relay_down) -> None:
    world, handler = relay_down, Scripted()
    addresses = [f"r{i}@example.test" for i in range(40)]
    job = start(world, make_definition(world.engine, world.mid, addresses))
    wait_for(lambda: any(s == "deferred" for s, _, _ in ledger(world, job).values()))
    assert job_status(world, job) == "Sending" and handler.received == []
    time.sleep(1)
    controller = Controller(handler, hostname="127.0.0.1", port=world.port)
    controller.start()  # the relay is back
    try:
        wait_for(lambda: job_status(world, job) == "Complete", timeout=30)
        assert sorted(handler.received) == sorted(addresses)
        assert {s for s, _, _ in ledger(world, job).values()} == {"sent"}
    finally:
        controller.stop()


def start_paused(world, key: str) -> int:  # type: ignore[no-untyped-def]
    """Start a send and pause it in the same transaction: no worker can take it before."""
    with world.engine.begin() as conn:
        job = start_send(conn, world.mid, {"CustomerKey": key}).job_id
        control(conn, world.mid, job, "pause")
    return job


def test_pause_resume_and_cancel_from_every_api(scripted, monkeypatch) -> None:
    world = scripted
    auth_reply = world.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": world.client_secret,
        },
    )
    auth = {"Authorization": f"Bearer {auth_reply.json()['access_token']}"}
    key = make_definition(
        world.engine, world.mid, [f"p{i}@example.test" for i in range(5)], "pausable"
    )
    job = start_paused(world, key)
    world.client.app.state.wake_workers()
    time.sleep(1.5)  # workers build the audience but hand out no chunk of a paused send
    assert world.smtp.received == []
    assert world.client.get(f"/sendwell/v1/sends/{job}", headers=auth).json()["Status"] == "Paused"
    # SOAP: Perform restart on the definition resumes its newest send
    body = perform_start(key).replace("<Action>start</Action>", "<Action>restart</Action>")
    _, response = soap(world.client, "Perform", body, user=world.user)
    assert text(response, "p:Results/p:Result/p:Task/p:ID") == str(job)
    wait_for(lambda: job_status(world, job) == "Complete")
    assert len(world.smtp.received) == 5
    again = world.client.post(f"/sendwell/v1/sends/{job}/cancel", headers=auth)
    assert again.status_code == 409  # complete: nothing to cancel
    # CLI: cancel a paused send; nothing of it goes out, and it cannot be resumed
    job2 = start_paused(world, make_definition(world.engine, world.mid, ["c1@example.test"], "cli"))
    from sendwell.cli import app

    monkeypatch.setenv("SENDWELL_DATABASE_URL", world.settings.database_url)
    result = CliRunner().invoke(app, ["send", "cancel", str(job2), "--mid", str(world.mid)])
    assert result.exit_code == 0, result.output
    assert "Canceled" in result.output
    assert job_status(world, job2) == "Canceled"
    time.sleep(1)
    assert "c1@example.test" not in world.smtp.received
    assert world.client.post(f"/sendwell/v1/sends/{job2}/resume", headers=auth).status_code == 409
    assert world.client.post(f"/sendwell/v1/sends/{job}/pause", headers=auth).status_code == 409
    other = world.client.post(
        f"/sendwell/v1/sends/{job2}/resume", headers={"Authorization": "Bearer x"}
    )
    assert other.status_code == 401


def test_a_refused_cancel_says_canceled_in_every_api(scripted, monkeypatch) -> None:
    world = scripted
    token = world.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": world.client_secret,
        },
    ).json()["access_token"]
    key = make_definition(world.engine, world.mid, ["x@example.test"], "twice")
    job = start_paused(world, key)
    with world.engine.begin() as conn:
        control(conn, world.mid, job, "cancel")
    refusal = f"Send {job} is Canceled; it cannot be canceled."

    rest = world.client.post(
        f"/sendwell/v1/sends/{job}/cancel", headers={"Authorization": f"Bearer {token}"}
    )
    assert (rest.status_code, rest.json()["message"]) == (409, refusal)
    body = perform_start(key).replace("<Action>start</Action>", "<Action>stop</Action>")
    _, response = soap(world.client, "Perform", body, user=world.user)
    assert text(response, "p:Results/p:Result/p:StatusMessage") == refusal
    from sendwell.cli import app

    monkeypatch.setenv("SENDWELL_DATABASE_URL", world.settings.database_url)
    result = CliRunner().invoke(app, ["send", "cancel", str(job), "--mid", str(world.mid)])
    assert result.exit_code == 1
    assert " ".join(result.output.split()) == f"error: {refusal}"
    paused = CliRunner().invoke(app, ["send", "pause", str(job), "--mid", str(world.mid)])
    assert f"Send {job} is Canceled; it cannot be paused." in paused.output
