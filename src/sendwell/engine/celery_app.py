"""Celery workers on Redis: the production worker engine (``SENDWELL_BROKER_URL=redis://…``).

Each task is one unit of the pipeline (``SendPipeline``): a kind of unit before delivery
(``sendwell.unit``: start a due REST instance or SOAP scheduled send, write an async row
request, build an audience), one chunk (``sendwell.deliver``), or a look at what is due
(``sendwell.dispatch``). The ledger's
leases make every task safe to run twice; ``dispatch.Dispatcher`` says what is queued and why
nothing is lost with the broker. Tasks are acknowledged late and given back when a worker
dies under them; every worker also sweeps the ledger every ``SENDWELL_SWEEP_SECONDS`` (one
per period across all of them).

``sendwell worker`` starts a worker (solo pool: one task at a time, its SMTP connections and
compiled messages kept between tasks); ``celery -A sendwell.engine.celery_app worker|inspect``
works too, with the settings from the environment.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Coroutine
from functools import cached_property
from typing import Any

import redis
from celery import Celery, bootsteps

from sendwell.config import Settings
from sendwell.engine.dispatch import (
    KICK,
    QUEUE_BULK,
    QUEUE_PRIORITY,
    QUEUES,
    TASK_DELIVER,
    TASK_DISPATCH,
    TASK_UNIT,
    Dispatcher,
    chunk_mark,
    unit_mark,
)
from sendwell.engine.pipeline import SendPipeline
from sendwell.store import chunk_leases
from sendwell.store.db import make_engine

log = logging.getLogger("sendwell.celery")


def make_celery(settings: Settings) -> Celery:
    """A Celery app for the installation's broker, with Sendwell's tasks."""
    app = Celery("sendwell", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # a task is done when its work is recorded, not when it is taken
        task_reject_on_worker_lost=True,  # a child killed under a task gives it back
        worker_prefetch_multiplier=1,  # a busy worker holds no queued chunk another could take
        task_ignore_result=True,  # the ledger holds the results
        task_default_queue=QUEUE_BULK,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a Redis restart: reconnect, however long it takes
        broker_transport_options={
            # Strict order of the queues a worker reads: transactional chunks first.
            "queue_order_strategy": "priority",
            # An unacknowledged task of a vanished worker is given back after this; the sweep
            # finds its chunk much sooner (its lease lapses), so this only bounds the leftovers.
            "visibility_timeout": max(10 * settings.lease_seconds, 300),
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
        },
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
    )
    app.sendwell_settings = settings  # type: ignore[attr-defined]
    _register_tasks(app)
    app.steps["worker"].add(Sweeper)
    return app


class Runtime:
    """What a worker process keeps between tasks: engine, pipeline, an event loop, Redis."""

    def __init__(self, app: Celery, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.redis = redis.Redis.from_url(
            settings.broker_url, socket_timeout=10, socket_connect_timeout=5
        )
        self.dispatcher = Dispatcher(app, self.engine, settings, self.redis)
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="sendwell-loop", daemon=True).start()

    @cached_property
    def pipeline(self) -> SendPipeline:
        return SendPipeline(self.engine, self.settings)

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine on this process's loop (its SMTP connections live there)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


_runtimes: dict[tuple[int, int], Runtime] = {}
_runtimes_lock = threading.Lock()


def runtime(app: Celery) -> Runtime:
    """This process's runtime for ``app``, made at first use (a forked pool child makes its
    own: connections and threads do not survive a fork)."""
    key = (id(app), os.getpid())
    with _runtimes_lock:
        if key not in _runtimes:
            _runtimes[key] = Runtime(app, app.sendwell_settings)  # type: ignore[attr-defined]
        return _runtimes[key]


class Waker:
    """The API's side: after a start, queue a dispatch so workers take the new work up. It
    publishes from a thread of its own: a request never waits on Redis, and when Redis is
    away the work waits in the database for the next sweep."""

    def __init__(self, engine: Any, settings: Settings) -> None:
        client = redis.Redis.from_url(
            settings.broker_url, socket_timeout=5, socket_connect_timeout=2
        )
        self.dispatcher = Dispatcher(make_celery(settings), engine, settings, client)
        self._pending = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sendwell-waker", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self.wake()  # what is due already (scheduled sends, a backlog) is looked at now

    def wake(self) -> None:
        self._pending.set()

    def stop(self) -> None:
        self._stopping.set()
        self._pending.set()
        self._thread.join(10)

    def _run(self) -> None:
        while self._pending.wait() and not self._stopping.is_set():
            self._pending.clear()
            try:
                self.dispatcher.kick()
            except Exception as exc:  # Redis away: the sweep finds the work later
                log.warning("could not wake the workers: %s", exc)


def _register_tasks(app: Celery) -> None:
    @app.task(name=TASK_UNIT, shared=False)
    def unit(kind: str) -> None:
        """Do one unit of ``kind``; queue another of the kind, and a dispatch, if it did."""
        rt = runtime(app)
        rt.dispatcher.started(unit_mark(kind))
        work = rt.pipeline.units.get(kind)
        if work is None:
            log.warning("unknown unit of work %r", kind)
            return
        if work():
            rt.dispatcher.publish_units([kind])  # there may be more of the kind
            rt.dispatcher.kick()  # and what it made (a job, chunks) is due now

    @app.task(name=TASK_DELIVER, shared=False)
    def deliver(job_id: int, chunk_no: int) -> None:
        """Deliver the chunk if it is deliverable now; a chunk that waits again gets its task."""
        rt = runtime(app)
        rt.dispatcher.started(chunk_mark(job_id, chunk_no))
        claim = rt.run(rt.pipeline.deliver(job_id, chunk_no))
        if claim is None:
            return
        with rt.engine.connect() as conn:
            again = chunk_leases.waits_again(conn, job_id, chunk_no)
        if again:  # deferred recipients, a domain's limit, a throttled job's next chunk
            rt.dispatcher.dispatch(job_id)

    @app.task(name=TASK_DISPATCH, shared=False)
    def dispatch() -> None:
        """Queue every unit that is due."""
        rt = runtime(app)
        rt.dispatcher.started(KICK)
        rt.dispatcher.dispatch()


class Sweeper(bootsteps.StartStopStep):
    """A worker's thread that sweeps the ledger every ``sweep_seconds``, beside the consumer."""

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, worker: Any) -> None:
        app = worker.app
        self.thread = threading.Thread(
            target=self._run, args=(app,), name="sendwell-sweep", daemon=True
        )
        self.thread.start()

    def stop(self, worker: Any) -> None:
        self.stopping.set()

    def _run(self, app: Celery) -> None:
        period = app.sendwell_settings.sweep_seconds  # type: ignore[attr-defined]
        while not self.stopping.wait(period):
            try:
                runtime(app).dispatcher.sweep()
            except Exception as exc:  # the broker or the database is away: try next period
                log.warning("sweep failed: %s", exc)


def worker_argv(extra: list[str]) -> list[str]:
    """``celery worker`` arguments of ``sendwell worker``; ``extra`` ones (``--pool``,
    ``--concurrency``, ``-Q`` …) come last and win."""
    name = f"sendwell-{os.getpid()}@{socket.gethostname()}"
    return ["worker", "--pool=solo", "-Q", ",".join(QUEUES), "-n", name, "-l", "INFO", *extra]


def __getattr__(name: str) -> Any:
    # ``celery -A sendwell.engine.celery_app`` looks for ``app``: made from the environment.
    if name in ("app", "celery"):
        global _env_app
        if _env_app is None:
            _env_app = make_celery(Settings.from_env())
        return _env_app
    raise AttributeError(name)


_env_app: Celery | None = None

__all__ = ["QUEUE_PRIORITY", "Runtime", "Waker", "make_celery", "runtime", "worker_argv"]
