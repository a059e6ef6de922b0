"""The send pipeline a worker runs: due starts → audience → chunks → render → deliver.

``SendPipeline.step()`` does one unit of work (start one due REST instance or one due SOAP
scheduled send, build one audience, or deliver one chunk) and says whether it found any. The
in-process worker threads and ``sendwell worker`` processes just call it in a loop; a crashed
step leaves a lease that lapses, and the work is taken up again.
"""

from __future__ import annotations

import os
import socket

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


class SendPipeline:
    """One worker's view of the pipeline: its transport, its compiled messages."""

    def __init__(
        self, engine: Engine, settings: Settings, transport: Transport | None = None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.transport = transport or simulated(
            transport_for(settings.transport, engine), engine, settings
        )
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.jobs = PreparedJobs(engine, settings)
        self.policy = RetryPolicy(
            settings.retry_base_seconds,
            settings.retry_max_interval_seconds,
            settings.retry_max_age_seconds,
        )
        self.gate = DomainGate(settings.limits_by_domain)

    async def step(self) -> bool:
        """Do one unit of work; False when there was none."""
        lease = self.settings.lease_seconds
        instance = instance_start.claim_due(self.engine, lease)
        if instance is not None:
            instance_start.start_instance(self.engine, instance, self.settings)
            return True
        scheduled = schedules.claim_due(self.engine, lease)
        if scheduled is not None:
            schedules.start_due(self.engine, scheduled)
            return True
        if async_rows.process_next(self.engine, lease):  # REST asynchronous row writes
            return True
        job = jobs.claim_audience(self.engine, lease)
        if job is not None:
            audience_step.build(self.engine, self.settings, job)
            return True
        claim = ledger.claim_chunk(self.engine, self.owner, lease)
        if claim is None:
            return False
        await deliver_chunk(
            self.engine,
            self.transport,
            self.jobs.get(claim.job_id, claim.revision),
            claim,
            self.policy,
            self.gate,
        )
        return True

    async def aclose(self) -> None:
        await self.transport.aclose()


def simulated(inner: Transport, engine: Engine, settings: Settings) -> Transport:
    """``inner`` behind the mailbox simulator and the transport faults an operator injects."""
    faults = FaultBook(engine, settings.fault_injection)
    return Simulated(inner, engine, faults, events.key_for(settings))


def transport_for(url: str, engine: Engine) -> Transport:
    """The configured transport; ``capture://`` keeps messages in this database."""
    if url.split(":", 1)[0].lower() == "capture":
        return open_transport(url, db=engine)
    return open_transport(url)
