"""The send pipeline a worker runs: audience → chunks → render → deliver → ledger.

``SendPipeline.step()`` does one unit of work (build one audience, or deliver one chunk) and
says whether it found any. The in-process worker thread and ``sendwell worker`` processes both
just call it in a loop; a crashed step leaves a lease that lapses, and the work is retried.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formatdate
from typing import Any

from sqlalchemy import Engine, or_, select, update

from sendwell.config import Settings
from sendwell.domain.clock import utcnow
from sendwell.domain.message import CompiledMessage, MessageSpec, compile_message
from sendwell.domain.personalization import SYSTEM_FIELDS
from sendwell.engine.transports.base import Envelope, Outcome, Transport, open_transport
from sendwell.store import ledger
from sendwell.store.audience import build_audience
from sendwell.store.tables import send_jobs, subscribers

log = logging.getLogger("sendwell.engine")


@dataclass(frozen=True)
class PreparedJob:
    """What a worker keeps per job: the frozen spec and the message compiled once."""

    mid: int
    spec: dict[str, Any]
    message: CompiledMessage
    profile_fields: frozenset[str]  # fields to take from subscriber attributes


def profile_fields(spec: dict[str, Any], message: CompiledMessage) -> frozenset[str]:
    """Personalization fields a data extension send must read from subscriber attributes.

    Data extension rows are looked up first; a field no source data extension has comes from
    the subscriber's profile attributes (All Subscribers), as in Marketing Cloud.
    """
    if not any(s["kind"] == "de" for s in spec["sources"]):
        return frozenset()
    row_fields = {f.lower() for s in spec["sources"] for f in (s.get("fields") or ())}
    return frozenset(message.fields - SYSTEM_FIELDS - row_fields)


def subscriber_attributes(conn: Any, mid: int, keys: list[str]) -> dict[str, dict[str, str]]:
    """Profile attributes (lower-cased names) of the given subscribers, by subscriber key."""
    if not keys:
        return {}
    rows = conn.execute(
        select(subscribers.c.subscriber_key, subscribers.c.attributes).where(
            subscribers.c.mid == mid, subscribers.c.subscriber_key.in_(keys)
        )
    )
    return {
        r.subscriber_key: {k.lower(): "" if v is None else str(v) for k, v in r.attributes.items()}
        for r in rows
    }


class SendPipeline:
    """One worker's view of the pipeline: its transport, its compiled messages."""

    def __init__(
        self, engine: Engine, settings: Settings, transport: Transport | None = None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.transport = transport or transport_for(settings.transport, engine)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._prepared: OrderedDict[int, PreparedJob] = OrderedDict()

    async def step(self) -> bool:
        """Do one unit of work; False when there was none."""
        job = self._claim_audience()
        if job is not None:
            self._build(job)
            return True
        claim = ledger.claim_chunk(self.engine, self.owner, self.settings.lease_seconds)
        if claim is None:
            return False
        await self._deliver(claim)
        return True

    async def aclose(self) -> None:
        await self.transport.aclose()

    # --- audience -------------------------------------------------------------------------
    def _claim_audience(self) -> Any:
        now = utcnow()
        stale = now - timedelta(seconds=self.settings.lease_seconds)
        with self.engine.begin() as conn:
            jobs = conn.execute(
                select(send_jobs.c.id, send_jobs.c.phase)
                .where(
                    send_jobs.c.status == "Sending",
                    or_(
                        send_jobs.c.phase == "audience",
                        (send_jobs.c.phase == "building") & (send_jobs.c.modified_at < stale),
                    ),
                )
                .order_by(send_jobs.c.id)
                .limit(4)
            ).all()
            for job in jobs:
                taken = conn.execute(
                    update(send_jobs)
                    .where(send_jobs.c.id == job.id, send_jobs.c.phase == job.phase)
                    .values(phase="building", modified_at=now)
                ).rowcount
                if taken:
                    return conn.execute(select(send_jobs).where(send_jobs.c.id == job.id)).one()
        return None

    def _build(self, job: Any) -> None:
        started = time.perf_counter()
        try:
            with self.engine.begin() as conn:
                counts = build_audience(conn, job.id, job.mid, job.spec)
                ledger.create_chunks(conn, job.id, counts.targeted, self.settings.chunk_size)
                seconds = round(time.perf_counter() - started, 4)
                conn.execute(
                    update(send_jobs)
                    .where(send_jobs.c.id == job.id)
                    .values(
                        phase="delivering",
                        targeted=counts.targeted,
                        excluded=counts.excluded,
                        duplicates=counts.duplicates,
                        unsubscribed=counts.unsubscribed,
                        undeliverable=counts.undeliverable,
                        invalid=counts.invalid,
                        timings={"audience": seconds},
                        modified_at=utcnow(),
                    )
                )
                ledger.finish_if_done(conn, job.id)
            log.info(
                "job %s audience built: %s targeted, %s excluded, %s duplicates, "
                "%s unsubscribed, %s undeliverable, %s invalid in %.3fs",
                job.id,
                counts.targeted,
                counts.excluded,
                counts.duplicates,
                counts.unsubscribed,
                counts.undeliverable,
                counts.invalid,
                seconds,
            )
        except Exception as exc:  # a bad audience fails the job, never the worker
            log.exception("job %s audience failed", job.id)
            with self.engine.begin() as conn:
                conn.execute(
                    update(send_jobs)
                    .where(send_jobs.c.id == job.id)
                    .values(
                        status="Error",
                        phase="done",
                        error=str(exc)[:2000],
                        modified_at=utcnow(),
                    )
                )

    # --- delivery -------------------------------------------------------------------------
    def _prepare(self, job_id: int) -> PreparedJob:
        """The job's spec and compiled message, compiled once per job per worker."""
        prepared = self._prepared.get(job_id)
        if prepared is None:
            with self.engine.connect() as conn:
                job = conn.execute(
                    select(send_jobs.c.mid, send_jobs.c.spec).where(send_jobs.c.id == job_id)
                ).one()
            message = compile_message(message_spec(job_id, job.spec, self.settings))
            prepared = PreparedJob(job.mid, job.spec, message, profile_fields(job.spec, message))
            self._prepared[job_id] = prepared
            while len(self._prepared) > 16:
                self._prepared.popitem(last=False)
        return prepared

    async def _deliver(self, claim: ledger.Claim) -> None:
        job = self._prepare(claim.job_id)
        spec, message = job.spec, job.message
        with self.engine.connect() as conn:
            rows = ledger.pending_recipients(conn, claim)
            profiles = (
                subscriber_attributes(conn, job.mid, [r.subscriber_key for r in rows])
                if job.profile_fields
                else {}
            )
        date = formatdate(usegmt=True)
        job_text = str(claim.job_id)
        sender = spec["from_address"]
        envelopes: list[Envelope] = []
        message_ids: dict[int, str] = {}
        refused: list[Outcome] = []
        for row in rows:
            values = {k.lower(): "" if v is None else str(v) for k, v in row.attributes.items()}
            for name, value in profiles.get(row.subscriber_key, {}).items():
                values.setdefault(name, value)
            values["emailaddr"] = row.email
            values["_subscriberkey"] = row.subscriber_key
            values["jobid"] = job_text
            try:
                rendered = message.render(values, row.email, None, row.seq, date)
            except ValueError as exc:  # an address or value no message can carry
                refused.append(Outcome(row.seq, "failed", 0, f"not rendered: {exc}"))
                continue
            message_ids[row.seq] = rendered.message_id
            envelopes.append(
                Envelope(row.seq, sender, row.email, rendered.data, job_id=claim.job_id)
            )
        outcomes: list[Outcome] = await self.transport.deliver(envelopes) if envelopes else []
        outcomes += refused
        with self.engine.begin() as conn:
            tally = ledger.record_outcomes(
                conn,
                claim,
                (
                    ledger.RecipientOutcome(
                        o.ref, o.status, o.code, o.reply, message_ids.get(o.ref)
                    )
                    for o in outcomes
                ),
                self.owner,
            )
            finished = ledger.finish_if_done(conn, claim.job_id)
        log.info("job %s chunk %s delivered: %s", claim.job_id, claim.chunk_no, tally)
        if finished:
            log.info("job %s complete", claim.job_id)


def transport_for(url: str, engine: Engine) -> Transport:
    """The configured transport; ``capture://`` keeps messages in this database."""
    if url.split(":", 1)[0].lower() == "capture":
        return open_transport(url, db=engine)
    return open_transport(url)


def message_spec(job_id: int, spec: dict[str, Any], settings: Settings) -> MessageSpec:
    """The message to compile for a job, from its frozen spec."""
    return MessageSpec(
        from_name=spec["from_name"],
        from_address=spec["from_address"],
        subject=spec["subject"],
        html=spec["email"]["HTMLBody"] or None,
        text=spec["email"]["TextBody"] or None,
        reply_to=spec.get("reply_to") or None,
        message_id_domain=settings.message_id_domain,
        headers=(("X-Job-ID", str(job_id)),),
        job_id=job_id,
    )
