"""Workers that run the send pipeline: threads inside ``sendwell serve``, or whole processes.

A worker loops over ``SendPipeline.step()``; when there is nothing to do it sleeps until woken
(a send was started in this process) or until the poll interval passes (work from elsewhere).
"""

from __future__ import annotations

import asyncio
import logging
import threading

from sqlalchemy import Engine

from sendwell.config import Settings
from sendwell.engine.pipeline import SendPipeline

log = logging.getLogger("sendwell.worker")


class WorkerThread(threading.Thread):
    """One pipeline worker in a thread of its own, with its own event loop."""

    def __init__(self, engine: Engine, settings: Settings, poll: float = 0.5) -> None:
        super().__init__(name="sendwell-worker", daemon=True)
        self.engine = engine
        self.settings = settings
        self.poll = poll
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        self._wake.set()
        self.join(timeout)

    def run(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        pipeline = SendPipeline(self.engine, self.settings)
        try:
            while not self._stopping.is_set():
                try:
                    busy = await pipeline.step()
                except Exception:  # keep the worker alive; the lease makes the work retry
                    log.exception("worker step failed")
                    busy = False
                if not busy:
                    await asyncio.get_running_loop().run_in_executor(
                        None, self._wake.wait, self.poll
                    )
                    self._wake.clear()
        finally:
            await pipeline.aclose()


class WorkerPool:
    """The in-process workers of ``sendwell serve``."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.threads: list[WorkerThread] = []

    def start(self) -> None:
        """Start fresh threads (a stopped pool may be started again)."""
        self.threads = [
            WorkerThread(self.engine, self.settings) for _ in range(max(0, self.settings.workers))
        ]
        for thread in self.threads:
            thread.start()

    def wake(self) -> None:
        for thread in self.threads:
            thread.wake()

    def stop(self) -> None:
        for thread in self.threads:
            thread.stop()


def run_worker_process(engine: Engine, settings: Settings) -> None:
    """Body of ``sendwell worker``: run one pipeline loop until interrupted."""
    thread = WorkerThread(engine, settings)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(1)
    except KeyboardInterrupt:
        thread.stop()
