"""The delivery step of a job, in one pass: claimed chunk → render → deliver → record.

The ledger gives the chunk's pending recipients (and profile attributes) in one read; each is
rendered from the job's message compiled once (``PreparedJob``); the transport delivers them
all; the outcomes, the relay's refusals (bounces), the chunk's state and the job's pace are
written in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import formatdate
from typing import Any

from sqlalchemy import Engine

from sendwell.domain import not_sent
from sendwell.domain.ampscript import RecipientSkipped
from sendwell.domain.bounces import Failure, refusal
from sendwell.domain.clock import utcnow
from sendwell.domain.retry import DomainGate, RetryPolicy
from sendwell.engine import replies
from sendwell.engine.prepared_job import PreparedJob
from sendwell.engine.transports.base import FAILED, Envelope, Outcome, Transport
from sendwell.store import ledger
from sendwell.store.bounces import LedgerRef
from sendwell.store.continuous import FROM_ADDRESS, FROM_NAME

log = logging.getLogger("sendwell.engine")


@dataclass
class RenderedChunk:
    """A chunk's messages ready for the transport, and the recipients none could be made for."""

    envelopes: list[Envelope] = field(default_factory=list)
    message_ids: dict[int, str] = field(default_factory=dict)  # by ledger seq
    refused: list[ledger.RecipientOutcome] = field(default_factory=list)  # not rendered


async def deliver_chunk(
    engine: Engine,
    transport: Transport,
    job: PreparedJob,
    claim: ledger.Claim,
    policy: RetryPolicy,
    gate: DomainGate | None = None,
    lease_seconds: int = 60,
) -> None:
    """Render and deliver one claimed chunk; record every recipient's outcome.

    The transport reports outcomes batch by batch (per connection) and each batch is written
    before that connection goes on, so a killed worker leaves at most one batch per
    connection sent but unrecorded; the chunk is closed when all of it is settled.
    """
    with engine.connect() as conn:
        work = ledger.load_chunk(conn, claim, job.mid, bool(job.profile_fields))
    rows, held_for = admit(gate, work.rows)
    rendered = render_chunk(job, rows, work.profiles)
    by_seq = work.by_seq
    batches = _BatchRecorder(engine, job, claim, policy, by_seq, lease_seconds)
    batches.message_ids = rendered.message_ids
    delivered = (
        await transport.deliver(rendered.envelopes, batches.report) if rendered.envelopes else []
    )
    if batches.lost:
        log.warning("job %s chunk %s: lease lost to another worker", job.job_id, claim.chunk_no)
        return
    replies.count(o for o in delivered if o.ref > 0)
    outcomes = [o for o in delivered if o.ref > 0 and o.ref not in batches.recorded]
    for copy in (o for o in delivered if o.ref < 0 and o.status != "sent"):
        log.warning("job %s: a copy (CC/BCC/seed) was not delivered: %s", job.job_id, copy.reply)
    result = ledger.ChunkResult(
        outcomes=batches.ledger_outcomes(outcomes, rendered.message_ids) + rendered.refused,
        refusals=smtp_refusals(job.job_id, outcomes, by_seq),
        # The held ones stay pending; the chunk waits for the domain's limit.
        held_until=utcnow() + timedelta(seconds=held_for)
        if held_for and len(rows) < len(by_seq)
        else None,
    )
    with engine.begin() as conn:
        tally, finished = ledger.record_delivery(
            conn,
            claim,
            job.mid,
            result,
            by_seq,
            policy,
            hold_after=job.hold_after,
            throttle=job.spec.throttle,
        )
    for status, count in batches.tally.items():
        tally[status] = tally.get(status, 0) + count
    log.info("job %s chunk %s delivered: %s", claim.job_id, claim.chunk_no, tally)
    if finished:
        log.info("job %s complete", claim.job_id)


class _BatchRecorder:
    """Writes the outcomes a transport reports mid-chunk, one batch per transaction."""

    def __init__(
        self,
        engine: Engine,
        job: PreparedJob,
        claim: ledger.Claim,
        policy: RetryPolicy,
        rows: Mapping[int, Any],
        lease_seconds: int,
    ) -> None:
        self.engine, self.job, self.claim, self.policy = engine, job, claim, policy
        self.rows, self.lease_seconds = rows, lease_seconds
        self.recorded: set[int] = set()
        self.message_ids: dict[int, str] = {}
        self.lost = False
        self.tally: dict[str, int] = {}  # of the batches recorded so far
        self._lock = asyncio.Lock()  # one batch at a time: they share the job's row

    def ledger_outcomes(
        self, outcomes: Sequence[Outcome], ids: Mapping[int, str]
    ) -> list[ledger.RecipientOutcome]:
        return [
            ledger.RecipientOutcome(o.ref, o.status, o.code, o.reply, ids.get(o.ref))
            for o in outcomes
        ]

    async def report(self, outcomes: list[Outcome]) -> bool:
        """Record one connection's batch; False once the chunk's lease is no longer ours."""
        mine = [o for o in outcomes if o.ref > 0 and o.ref not in self.recorded]
        if self.lost or not mine:
            return not self.lost
        async with self._lock:
            tally = await asyncio.to_thread(self._write, mine)
        if tally is None:
            self.lost = True
            return False
        self.recorded.update(o.ref for o in mine)
        for status, count in tally.items():
            self.tally[status] = self.tally.get(status, 0) + count
        return True

    def _write(self, outcomes: list[Outcome]) -> dict[str, int] | None:
        job = self.job
        result = ledger.ChunkResult(
            outcomes=self.ledger_outcomes(outcomes, self.message_ids),
            refusals=smtp_refusals(job.job_id, outcomes, self.rows),
        )
        with self.engine.begin() as conn:
            return ledger.record_batch(
                conn,
                self.claim,
                job.mid,
                result,
                self.rows,
                self.policy,
                hold_after=job.hold_after,
                lease_seconds=self.lease_seconds,
            )


def admit(gate: DomainGate | None, rows: Sequence[Any]) -> tuple[Sequence[Any], float]:
    """The rows a per-domain rate and concurrency limit lets through now, and for how long
    the others are held back."""
    if gate is None or not gate.limits:
        return rows, 0.0
    admitted, held_for = gate.admit([r.email.rpartition("@")[2].lower() for r in rows])
    return [r for r, ok in zip(rows, admitted, strict=True) if ok], held_for


def render_chunk(
    job: PreparedJob, rows: Sequence[Any], profiles: Mapping[str, Mapping[str, str]]
) -> RenderedChunk:
    """Each recipient's message, with its copies (CC, BCC, seed) and its Message-ID."""
    out = RenderedChunk()
    date = formatdate(usegmt=True)
    job_text = str(job.job_id)
    copy_sender = job.mail_from(0)
    copies = job.spec.copies
    for row in rows:
        values = {k.lower(): None if v is None else str(v) for k, v in row.attributes.items()}
        for name, value in profiles.get(row.subscriber_key, {}).items():
            values.setdefault(name, value)
        values["emailaddr"] = row.email
        values["_subscriberkey"] = row.subscriber_key
        values["jobid"] = job_text
        if job.tracking is not None:
            values.update(job.tracking.values(row.seq))
        sender = _own_sender(row.attributes)
        try:
            message = job.message.render(
                values, row.email, None, row.seq, date, job.environment, sender
            )
        except ValueError as exc:  # an address or value no message can carry
            reply = f"not rendered: {exc}"
            out.refused.append(_not_sent(row.seq, reply, not_sent.MESSAGE_BUILD_ERROR))
            continue
        except RecipientSkipped as exc:  # the content's RaiseError: skip, record its message
            reply = f"RaiseError: {exc.message}"
            out.refused.append(_not_sent(row.seq, reply, not_sent.SCRIPT_RAISE_ERROR))
            continue
        out.message_ids[row.seq] = message.message_id
        data, wire = message.data, message.wire
        if job.sign:  # it puts a DKIM-Signature header in front: the wire form gets it too
            data = job.sign(data)
            wire = None if wire is None else data[: len(data) - len(message.data)] + wire
        mail_from = job.mail_from(row.seq, sender[1] if sender else None)
        attempt = row.attempts + 1
        out.envelopes.append(
            Envelope(row.seq, mail_from, row.email, data, job.job_id, attempt, wire)
        )
        # Copies carry a negative reference: they are delivered, not entered in the ledger.
        out.envelopes.extend(
            Envelope(-row.seq, copy_sender, c, data, job.job_id, wire=wire) for c in copies
        )
        seed = job.seed_for(row.seq)
        if seed is not None:
            out.envelopes.append(Envelope(-row.seq, copy_sender, seed, data, job.job_id, wire=wire))
    return out


def _own_sender(attributes: Mapping[str, Any]) -> tuple[str, str] | None:
    """A triggered request's From override for its recipient (kept in the ledger row)."""
    address = attributes.get(FROM_ADDRESS)
    return (str(attributes.get(FROM_NAME) or ""), str(address)) if address else None


def _not_sent(seq: int, reply: str, reason: int) -> ledger.RecipientOutcome:
    return ledger.RecipientOutcome(seq, FAILED, 0, reply, None, reason)


def smtp_refusals(
    job_id: int, outcomes: Sequence[Outcome], rows: Mapping[int, Any]
) -> list[tuple[LedgerRef, Failure]]:
    """The relay's 5xx refusals of ledger recipients, as bounces to record.

    A refusal at MAIL FROM is about our sender, not a recipient's bounce.
    """
    refused = []
    for o in outcomes:
        if o.ref > 0 and o.status == FAILED and 500 <= o.code < 600 and o.phase != "MAIL":
            row = rows[o.ref]
            ref = LedgerRef(job_id, row.seq, row.subscriber_key, row.email)
            refused.append((ref, refusal(row.email, o.code, o.reply)))
    return refused
