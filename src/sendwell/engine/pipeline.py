"""The send pipeline a worker runs: due starts → audience → chunks → render → deliver.

``SendPipeline.step()`` does one unit of work (start one due REST instance or one due SOAP
scheduled send, write one async row request, build one audience, or deliver one chunk) and
says whether it found any. The in-process worker threads and ``sendwell worker`` processes
just call it in a loop; Celery workers run one named unit per task (``units``,
``deliver``). A crashed step leaves a lease that lapses, and the work is taken up again.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

from sqlalchemy import Engine

from sendwell.config import Settings
from sendwell.domain.retry import DomainGate, RetryPolicy
from sendwell.engine import audience_step
from sendwell.engine.delivery import deliver_chunk
from sendwell.engine.prepared_job import PreparedJobs
from sendwell.engine.transports.base import Transport, open_transport
from sendwell.engine.transports.simulated import Simulated
from sendwell.services import async_rows, events, instance_start, schedules
from sendwell.services.faults import FaultBook
from sendwell.store import jobs, ledger

# The units of work before delivery, by kind, in the order a worker looks for them, with the
# method of ``SendPipeline`` that does one: it returns something true when it found one. A
# Celery worker runs them as tasks by these names; a new kind of work is a new entry here.
UNITS = {
    "instance": "start_due_instance",
    "schedule": "start_due_schedule",
    "rows": "write_rows",
    "audience": "build_audience",
}


class SendPipeline:
    """One worker's view of the pipeline: its transport, its compiled messages."""

    def __init__(
        self, engine: Engine, settings: Settings, transport: Transport | None = None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.transport = transport or simulated(
            transport_for(settings.transport, engine, settings.record_batch_size),
            engine,
            settings,
        )
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.jobs = PreparedJobs(engine, settings)
        self.policy = RetryPolicy(
            settings.retry_base_seconds,
            settings.retry_max_interval_seconds,
            settings.retry_max_age_seconds,
        )
        self.gate = DomainGate(settings.limits_by_domain)
        self.units: dict[str, Callable[[], object]] = {
            kind: getattr(self, method) for kind, method in UNITS.items()
        }

    async def step(self) -> bool:
        """Do one unit of work; False when there was none."""
        for unit in self.units.values():
            if unit():
                return True
        return await self.deliver() is not None

    def start_due_instance(self) -> bool:
        """Start one REST Send API instance whose time has come."""
        instance = instance_start.claim_due(self.engine, self.settings.lease_seconds)
        if instance is None:
            return False
        instance_start.start_instance(self.engine, instance, self.settings)
        return True

    def start_due_schedule(self) -> bool:
        """Start one SOAP scheduled send whose time has come."""
        scheduled = schedules.claim_due(self.engine, self.settings.lease_seconds)
        if scheduled is None:
            return False
        schedules.start_due(self.engine, scheduled)
        return True

    def write_rows(self) -> bool:
        """Write one REST asynchronous row request."""
        return async_rows.process_next(self.engine, self.settings.lease_seconds)

    def build_audience(self) -> int | None:
        """Build one job's audience; its JobID, or None when no job waits for one."""
        job = jobs.claim_audience(self.engine, self.settings.lease_seconds)
        if job is None:
            return None
        audience_step.build(self.engine, self.settings, job)
        return int(job.id)

    async def deliver(
        self, job_id: int | None = None, chunk_no: int | None = None
    ) -> ledger.Claim | None:
        """Deliver the next deliverable chunk (or the one named, if it is deliverable now);
        its claim, or None when there was none."""
        lease = self.settings.lease_seconds
        claim = ledger.claim_chunk(self.engine, self.owner, lease, job_id=job_id, chunk_no=chunk_no)
        if claim is None:
            return None
        await deliver_chunk(
            self.engine,
            self.transport,
            self.jobs.get(claim.job_id, claim.revision),
            claim,
            self.policy,
            self.gate,
            lease,
        )
        return claim

    async def aclose(self) -> None:
        await self.transport.aclose()


def simulated(inner: Transport, engine: Engine, settings: Settings) -> Transport:
    """``inner`` behind the mailbox simulator and the transport faults an operator injects."""
    faults = FaultBook(engine, settings.fault_injection)
    return Simulated(inner, engine, faults, events.key_for(settings))


def transport_for(url: str, engine: Engine, record_every: int = 100) -> Transport:
    """The configured transport; ``capture://`` keeps messages in this database; SMTP
    connections report their outcomes every ``record_every`` messages."""
    if url.split(":", 1)[0].lower() == "capture":
        return open_transport(url, db=engine)
    return open_transport(url, report_every=record_every)
