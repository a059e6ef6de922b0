"""The delivery step of a job: render a claimed chunk, hand it to the transport, record it.

The message is compiled once per job per worker (``PreparedJob``); per recipient only its slots
are filled. Outcomes go to the ledger in the same transaction that closes the chunk.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from email.utils import formatdate
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from sendwell.config import Settings, resolve_secret_key
from sendwell.domain.ampscript import RecipientSkipped
from sendwell.domain.clock import utcnow
from sendwell.domain.message import CompiledMessage, MessageSpec, compile_message
from sendwell.domain.personalization import SYSTEM_FIELDS
from sendwell.domain.retry import DomainGate, RetryPolicy
from sendwell.domain.throttle import PeriodState, Throttle, after_delivery
from sendwell.domain.tracking import (
    TRACKING_FIELDS,
    RecipientTokens,
    TrackedContent,
    track_content,
    tracking_key,
)
from sendwell.domain.verp import ReturnPath
from sendwell.engine.bounces import record_smtp_refusals
from sendwell.engine.dkim_signing import DkimKeys
from sendwell.engine.transports.base import Envelope, Outcome, Transport
from sendwell.services.lookups import job_environment
from sendwell.store import ledger
from sendwell.store.tables import send_jobs, subscribers
from sendwell.store.tracking import save_links

log = logging.getLogger("sendwell.engine")


@dataclass(frozen=True)
class PreparedJob:
    """What a worker keeps per job: the frozen spec and the message compiled once."""

    mid: int
    spec: dict[str, Any]
    message: CompiledMessage
    profile_fields: frozenset[str]  # fields to take from subscriber attributes
    copies: tuple[str, ...]  # CC and BCC addresses that get a copy of every message
    throttle: Throttle | None
    seeds: tuple[str, ...] = ()  # seed list: one of them gets a copy of every Nth message
    seed_every: int = 0
    sign: Callable[[bytes], bytes] | None = None  # DKIM, when the From domain has a key
    return_path: Callable[[int], str] | None = None  # VERP envelope sender per ledger seq
    hold_after: int = 3  # hard bounces until a subscriber is Held
    tracking: RecipientTokens | None = None  # fills %%__t%% and the center URLs per recipient


class PreparedJobs:
    """A small per-worker cache of prepared jobs."""

    def __init__(self, engine: Engine, settings: Settings, size: int = 16) -> None:
        self.engine = engine
        self.settings = settings
        self.size = size
        self._jobs: OrderedDict[int, PreparedJob] = OrderedDict()
        self.dkim = DkimKeys(settings.dkim_keys)  # keys parsed once per worker
        self._tracking_key: bytes | None = None

    @property
    def tracking_key(self) -> bytes:
        """The key of tracking tokens, read (or generated) when a job first needs it."""
        if self._tracking_key is None:
            self._tracking_key = tracking_key(resolve_secret_key(self.settings))
        return self._tracking_key

    def get(self, job_id: int) -> PreparedJob:
        prepared = self._jobs.get(job_id)
        if prepared is None:
            with self.engine.connect() as conn:
                job = conn.execute(
                    select(send_jobs.c.mid, send_jobs.c.spec).where(send_jobs.c.id == job_id)
                ).one()
            spec = job.spec
            content = tracked_content(spec, self.settings)
            if content.links:
                with self.engine.begin() as conn:
                    save_links(conn, job_id, content.links)
            message = compile_message(message_spec(job_id, spec, self.settings, content))
            copies = tuple(spec.get("cc") or ()) + tuple(spec.get("bcc") or ())
            seeds = spec.get("seeds") or {}
            prepared = PreparedJob(
                job.mid,
                spec,
                message,
                profile_fields(spec, message),
                copies,
                throttle_of(spec),
                tuple(seeds.get("addresses") or ()),
                int(seeds.get("every") or 0),
                self.dkim.signer_for(spec["from_address"]),
                ReturnPath(job_id, resolve_secret_key(self.settings), self.settings.bounce_domain)
                if self.settings.bounce_domain
                else None,
                self.settings.bounce_hold_threshold,
                RecipientTokens(self.tracking_key, self.settings.tracking_base, job.mid, job_id)
                if content.uses_token
                else None,
            )
            self._jobs[job_id] = prepared
            while len(self._jobs) > self.size:
                self._jobs.popitem(last=False)
        return prepared


async def deliver_chunk(
    engine: Engine,
    transport: Transport,
    job: PreparedJob,
    claim: ledger.Claim,
    policy: RetryPolicy,
    gate: DomainGate | None = None,
) -> None:
    """Render and deliver one claimed chunk; record every recipient's outcome."""
    with engine.connect() as conn:
        rows = ledger.pending_recipients(conn, claim)
        by_seq = {r.seq: r for r in rows}
        held_for = 0.0
        if gate is not None and gate.limits:  # per-domain rate and concurrency limits
            admitted, held_for = gate.admit([r.email.rpartition("@")[2].lower() for r in rows])
            rows = [r for r, ok in zip(rows, admitted, strict=True) if ok]
        profiles = (
            subscriber_attributes(conn, job.mid, [r.subscriber_key for r in rows])
            if job.profile_fields
            else {}
        )
    date = formatdate(usegmt=True)
    job_text = str(claim.job_id)
    # AMPscript's lookups and system strings, kept per job across chunks.
    environment = (
        job_environment(engine, claim.job_id, job.mid, job.spec) if job.message.scripted else None
    )
    sender = job.spec["from_address"]
    copy_sender = job.return_path(0) if job.return_path else sender
    envelopes: list[Envelope] = []
    message_ids: dict[int, str] = {}
    refused: list[Outcome] = []
    for row in rows:
        values = {k.lower(): None if v is None else str(v) for k, v in row.attributes.items()}
        for name, value in profiles.get(row.subscriber_key, {}).items():
            values.setdefault(name, value)
        values["emailaddr"] = row.email
        values["_subscriberkey"] = row.subscriber_key
        values["jobid"] = job_text
        if job.tracking is not None:
            values.update(job.tracking.values(row.seq))
        try:
            rendered = job.message.render(values, row.email, None, row.seq, date, environment)
        except ValueError as exc:  # an address or value no message can carry
            refused.append(Outcome(row.seq, "failed", 0, f"not rendered: {exc}"))
            continue
        except RecipientSkipped as exc:  # the content's RaiseError: skip, record its message
            refused.append(Outcome(row.seq, "failed", 0, f"RaiseError: {exc.message}"))
            continue
        message_ids[row.seq] = rendered.message_id
        data = job.sign(rendered.data) if job.sign else rendered.data
        mail_from = job.return_path(row.seq) if job.return_path else sender
        envelopes.append(Envelope(row.seq, mail_from, row.email, data, job_id=claim.job_id))
        # Copies carry a negative reference: they are delivered, not entered in the ledger.
        envelopes.extend(
            Envelope(-row.seq, copy_sender, copy, data, job_id=claim.job_id) for copy in job.copies
        )
        if job.seeds and row.seq % job.seed_every == 0:
            seed = job.seeds[(row.seq // job.seed_every - 1) % len(job.seeds)]
            envelopes.append(Envelope(-row.seq, copy_sender, seed, data, job_id=claim.job_id))
    outcomes = await transport.deliver(envelopes) if envelopes else []
    for outcome in outcomes:
        if outcome.ref < 0 and outcome.status != "sent":
            log.warning(
                "job %s: a copy (CC/BCC/seed) was not delivered: %s", claim.job_id, outcome.reply
            )
    outcomes = [o for o in outcomes if o.ref > 0] + refused
    with engine.begin() as conn:
        tally = ledger.record_outcomes(
            conn,
            claim,
            (
                ledger.RecipientOutcome(o.ref, o.status, o.code, o.reply, message_ids.get(o.ref))
                for o in outcomes
            ),
            by_seq,
            policy,
        )
        record_smtp_refusals(conn, claim.job_id, outcomes, job.hold_after)  # 5xx = bounces
        if held_for and len(rows) < len(by_seq):  # the held ones stay pending, the chunk waits
            ledger.hold_chunk(conn, claim, utcnow() + timedelta(seconds=held_for))
        if job.throttle is not None:
            _pace(conn, claim.job_id, job.throttle, len(outcomes))
        finished = ledger.finish_if_done(conn, claim.job_id)
    log.info("job %s chunk %s delivered: %s", claim.job_id, claim.chunk_no, tally)
    if finished:
        log.info("job %s complete", claim.job_id)


def _pace(conn: Connection, job_id: int, throttle: Throttle, delivered: int) -> None:
    """Move a throttled job's next_send_at past its period limit and outside-window hours."""
    job = conn.execute(
        select(send_jobs.c.period_start, send_jobs.c.period_sent).where(send_jobs.c.id == job_id)
    ).one()
    now = utcnow()
    state, next_at = after_delivery(
        now, PeriodState(job.period_start, job.period_sent), delivered, throttle
    )
    conn.execute(
        update(send_jobs)
        .where(send_jobs.c.id == job_id)
        .values(
            period_start=state.period_start,
            period_sent=state.period_sent,
            next_send_at=next_at or now,
        )
    )


def throttle_of(spec: dict[str, Any]) -> Throttle | None:
    """The job's throttle, if its definition asked for one."""
    given = spec.get("throttle")
    if not given:
        return None
    return Throttle(
        limit=given.get("limit"),
        period_seconds=int(given.get("period_seconds") or 3600),
        opens=time.fromisoformat(given["opens"]) if given.get("opens") else None,
        closes=time.fromisoformat(given["closes"]) if given.get("closes") else None,
        utc_offset_minutes=int(given.get("utc_offset_minutes") or 0),
    )


def profile_fields(spec: dict[str, Any], message: CompiledMessage) -> frozenset[str]:
    """Personalization fields a data extension send must read from subscriber attributes.

    Data extension rows are looked up first; a field no source data extension has comes from
    the subscriber's profile attributes (All Subscribers), as in Marketing Cloud.
    """
    if not any(s["kind"] == "de" for s in spec["sources"]):
        return frozenset()
    row_fields = {f.lower() for s in spec["sources"] for f in (s.get("fields") or ())}
    engine_fields = {f for f in message.fields if f.startswith("__")}  # filled by the engine
    return frozenset(message.fields - SYSTEM_FIELDS - TRACKING_FIELDS - row_fields - engine_fields)


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


def tracked_content(spec: dict[str, Any], settings: Settings) -> TrackedContent:
    """The job's bodies with tracked links and pixel, and the unsubscribe headers it needs."""
    return track_content(
        spec["email"]["HTMLBody"] or None,
        spec["email"]["TextBody"] or None,
        base=settings.tracking_base,
        track=bool(spec.get("tracking")),
        commercial=spec.get("classification", "Marketing") == "Marketing",
        mailto_domain=settings.mailto_domain,
    )


def message_spec(
    job_id: int, spec: dict[str, Any], settings: Settings, content: TrackedContent | None = None
) -> MessageSpec:
    """The message to compile for a job, from its frozen spec."""
    content = content or tracked_content(spec, settings)
    return MessageSpec(
        from_name=spec["from_name"],
        from_address=spec["from_address"],
        subject=spec["subject"],
        html=content.html,
        text=content.text,
        reply_to=spec.get("reply_to") or None,
        cc=tuple(spec.get("cc") or ()),
        recipient_headers=content.recipient_headers,
        message_id_domain=settings.message_id_domain,
        message_id_token=spec.get("message_token", ""),
        headers=(("X-Job-ID", str(job_id)), *content.headers),
        job_id=job_id,
    )
