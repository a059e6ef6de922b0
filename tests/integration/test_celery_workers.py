"""Celery on a real Redis (SENDWELL_BROKER_URL): what the dispatcher queues, tasks that run
twice, work found again after the broker lost it, and a real ``sendwell worker`` delivering a
transactional message before the bulk send queued ahead of it, and a SOAP scheduled send started
once by two workers. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import select
from tests.broker_support import RedisServer, SharedRedis, redis_server
from tests.conftest import make_world
from tests.integration.delivery_support import make_definition
from tests.integration.send_api_support import bearer
from tests.integration.test_soap_schedule import schedule_body, system_time
from tests.integration.test_transactional import build, definition, recipient
from tests.support import SmtpServer, soap, text, wait_for

from sendwell.config import Settings
from sendwell.engine.celery_app import Waker, make_celery
from sendwell.engine.dispatch import QUEUE_BULK, QUEUE_PRIORITY, Dispatcher
from sendwell.engine.pipeline import SendPipeline
from sendwell.services.accounts import Accounts
from sendwell.services.registry import KINDS
from sendwell.services.sends import start_send
from sendwell.store.db import make_engine, upgrade
from sendwell.store.tables import recipients, send_jobs

CHUNK = 100
Broker = RedisServer | SharedRedis


@pytest.fixture
def broker() -> Iterator[RedisServer | SharedRedis]:
    with redis_server() as server:
        yield server


def queued(broker: Broker, queue: str) -> list[dict]:
    """The tasks waiting in a queue (name and arguments), oldest first."""
    client = redis.Redis.from_url(broker.url())
    messages = [json.loads(m) for m in reversed(client.lrange(queue, 0, -1))]
    return [
        {"task": m["headers"]["task"], "args": json.loads(base64.b64decode(m["body"]))[0]}
        for m in messages
    ]


def bulk_job(database_url: str, broker: Broker, count: int, **overrides: object):  # type: ignore[no-untyped-def]
    """A started bulk send of ``count`` recipients whose audience is built (chunks of 100)."""
    settings = Settings(
        database_url=database_url,
        broker_url=broker.url(),
        chunk_size=CHUNK,
        secret_key="test-secret-key",
        **overrides,  # type: ignore[arg-type]
    )
    engine = make_engine(database_url)
    upgrade(engine)
    Accounts(engine).create_account(1, "Celery")
    key = make_definition(engine, 1, [f"user{i}@example.test" for i in range(count)], "celery")
    with engine.begin() as conn:
        job_id = start_send(conn, 1, {"CustomerKey": key}).job_id
    assert SendPipeline(engine, settings).build_audience() == job_id
    return settings, engine, job_id


def test_each_due_chunk_is_queued_once_and_again_after_the_broker_lost_it(
    database_url: str, broker: Broker
) -> None:
    settings, engine, job_id = bulk_job(database_url, broker, 350)
    dispatcher = Dispatcher(
        make_celery(settings), engine, settings, redis.Redis.from_url(broker.url())
    )

    assert dispatcher.dispatch() == 4 + 4  # a task per kind of unit, one per chunk
    chunks = [t["args"] for t in queued(broker, QUEUE_BULK)]
    assert chunks == [[job_id, 0], [job_id, 1], [job_id, 2], [job_id, 3]]
    assert sorted(t["args"][0] for t in queued(broker, QUEUE_PRIORITY)) == [
        "audience",
        "instance",
        "rows",
        "schedule",
    ]
    assert dispatcher.dispatch() == 0  # already queued: nothing twice

    redis.Redis.from_url(broker.url()).flushdb()  # the broker lost everything
    assert dispatcher.sweep() is True
    assert len(queued(broker, QUEUE_BULK)) == 4  # found again in the ledger
    assert dispatcher.sweep() is False  # one sweep per period across all workers


def test_a_chunk_task_that_runs_twice_delivers_once(database_url: str, broker: Broker) -> None:
    with SmtpServer() as smtp:
        settings, engine, job_id = bulk_job(database_url, broker, 150, transport=smtp.url)
        tasks = make_celery(settings).tasks
        tasks["sendwell.deliver"](job_id, 0)
        tasks["sendwell.deliver"](job_id, 0)  # redelivered: the chunk is done
        tasks["sendwell.deliver"](job_id, 7)  # no such chunk
        assert len(smtp.recorder.recipients()) == CHUNK
        tasks["sendwell.deliver"](job_id, 1)
        tasks["sendwell.deliver"](job_id, 1)
        assert sorted(smtp.recorder.recipients()) == sorted(
            f"user{i}@example.test" for i in range(150)
        )
    with engine.connect() as conn:
        job = conn.execute(select(send_jobs).where(send_jobs.c.id == job_id)).one()
    assert (job.status, job.sent) == ("Complete", 150)


def celery_worker(settings: Settings, *extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "SENDWELL_DATABASE_URL": settings.database_url,
        "SENDWELL_BROKER_URL": settings.broker_url,
        "SENDWELL_TRANSPORT": settings.transport,
        "SENDWELL_SECRET_KEY": settings.secret_key,
        "SENDWELL_CHUNK_SIZE": str(settings.chunk_size),
        "SENDWELL_SWEEP_SECONDS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "sendwell", "worker", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_serve_delivers_nothing_itself_and_a_worker_sends_transactional_first(
    database_url: str, broker: Broker
) -> None:
    with SmtpServer() as smtp:
        for world in make_world(
            database_url, broker_url=broker.url(), transport=smtp.url, chunk_size=CHUNK
        ):
            assert isinstance(world.client.app.state.workers, Waker)  # no in-process worker
            build(world)
            with world.engine.begin() as conn:  # make_definition's sender, beside build's
                KINDS["SenderProfile"].create(
                    conn,
                    world.mid,
                    {
                        "__type__": "SenderProfile",
                        "CustomerKey": "sp",
                        "Name": "S",
                        "FromName": "Shop",
                        "FromAddress": "shop@example.test",
                    },
                )
            auth = bearer(world)
            defs = world.client.post(
                "/messaging/v1/email/definitions", json=definition(), headers=auth
            )
            assert defs.status_code == 201, defs.text
            key = make_definition(
                world.engine, world.mid, [f"bulk{i}@example.test" for i in range(3000)], "bulk"
            )
            with world.engine.begin() as conn:
                bulk = start_send(conn, world.mid, {"CustomerKey": key}).job_id
            world.client.app.state.wake_workers()
            worker = celery_worker(world.settings)
            try:
                # The bulk send began: its 30 chunks are queued ahead of what comes next.
                wait_for(lambda: len(smtp.recorder.recipients()) > 0, timeout=60)
                began = len(smtp.recorder.recipients())
                sent = world.client.post(
                    "/messaging/v1/email/messages/tx-1",
                    json={
                        "definitionKey": "order-confirmation",
                        "recipient": recipient("c1", "tx@example.test", OrderNo="7"),
                    },
                    headers=auth,
                )
                assert sent.status_code == 202, sent.text
                wait_for(lambda: "tx@example.test" in smtp.recorder.recipients(), timeout=30)
                before_tx = smtp.recorder.recipients().index("tx@example.test")
                engine = world.engine
                wait_for(lambda e=engine, b=bulk: job_status(e, b) == "Complete", timeout=120)
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(30)
    # The transactional message went out right after the bulk chunk being delivered when it
    # came (and the one prefetched), not behind the 3,000 bulk recipients queued before it.
    print(f"\ntransactional message asked after {began}, delivered after {before_tx} of 3000")
    assert 0 < before_tx <= began + 3 * CHUNK, before_tx
    with engine.connect() as conn:
        statuses = (
            conn.execute(select(recipients.c.status).where(recipients.c.job_id == bulk))
            .scalars()
            .all()
        )
    assert statuses.count("sent") == 3000


def job_status(engine, job_id: int) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(send_jobs.c.status).where(send_jobs.c.id == job_id)).scalar_one()


def test_a_scheduled_send_fires_once_across_two_workers(database_url: str, broker: Broker) -> None:
    emails = [f"s{i}@example.test" for i in range(250)]
    with SmtpServer() as smtp:
        for world in make_world(
            database_url, broker_url=broker.url(), transport=smtp.url, chunk_size=CHUNK
        ):
            make_definition(world.engine, world.mid, emails, key="sched")
            workers = [celery_worker(world.settings) for _ in range(2)]
            try:
                # Due in a few seconds: both workers sweep the ledger every second by then.
                status, reply = soap(
                    world.client, "Schedule", schedule_body(system_time(6)), user=world.user
                )
                assert status == 200, reply
                job_id = int(text(reply, "p:Results/p:Result/p:Task/p:ID"))
                assert job_status(world.engine, job_id) == "Scheduled"
                engine = world.engine
                wait_for(lambda e=engine, j=job_id: job_status(e, j) == "Complete", timeout=90)
            finally:
                for worker in workers:
                    worker.send_signal(signal.SIGTERM)
                for worker in workers:
                    worker.wait(30)
            with engine.connect() as conn:
                jobs = conn.execute(select(send_jobs.c.id)).scalars().all()
    assert jobs == [job_id]  # one occurrence: one job, started once
    assert sorted(smtp.recorder.recipients()) == sorted(emails)  # each recipient once
