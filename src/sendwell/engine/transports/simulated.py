"""The mailbox simulator and injected transport faults, in front of the real transport.

``Simulated`` wraps the configured transport (``capture://`` or ``smtp://``): addresses at the
simulator's domain (``domain.simulator``) are answered here and never reach a relay (with
``capture://`` the ones delivered are captured, so the inbox shows them); recipients an
injected transport fault picks (``services.faults``, target ``transport``) get its SMTP reply.
Everything else goes to the real transport untouched, so a send with neither pays one cheap
check per chunk.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence

from sqlalchemy import Engine

from sendwell.domain import simulator
from sendwell.domain.faults import FaultTarget
from sendwell.engine.transports.base import (
    Envelope,
    Outcome,
    Report,
    Transport,
    status_for_code,
)
from sendwell.services import events
from sendwell.services.faults import FaultBook

log = logging.getLogger("sendwell.simulator")
_ONE_CLICK = re.compile(rb"List-Unsubscribe: <([^>]*/t/u/([^>/]+))>")


class Simulated:
    """The real transport, with simulator addresses and injected faults answered first."""

    def __init__(
        self, inner: Transport, engine: Engine, faults: FaultBook, tracking_key: bytes
    ) -> None:
        self.inner = inner
        self.engine = engine
        self.faults = faults
        self.key = tracking_key
        self._mids: dict[int, int] = {}

    async def deliver(
        self, envelopes: Sequence[Envelope], report: Report | None = None
    ) -> list[Outcome]:
        # Outcomes answered here are returned, not reported: the caller records them with the
        # chunk's result; the real transport reports its own as it goes.
        faulty = bool(self.faults.candidates(FaultTarget.TRANSPORT))
        if not faulty and not any(simulator.is_simulated(e.rcpt_to) for e in envelopes):
            return await self.inner.deliver(envelopes, report)
        answered: list[Outcome] = []
        passed: list[Envelope] = []
        unsubscribe: list[bytes] = []
        for envelope in envelopes:
            injected = self._injected(envelope) if faulty else None
            if injected is not None:
                answered.append(injected)
            elif simulator.is_simulated(envelope.rcpt_to):
                reply = simulator.answer(envelope.rcpt_to, envelope.attempt)
                if 200 <= reply.code < 300:
                    passed.append(envelope)  # captured (capture://) or answered below
                    if reply.unsubscribe and envelope.ref > 0:
                        unsubscribe.append(envelope.data)
                else:
                    answered.append(_outcome(envelope, reply.code, reply.reply))
            else:
                passed.append(envelope)
        answered.extend(await self._pass(passed, report))
        if unsubscribe:
            await asyncio.to_thread(self._one_click, unsubscribe)
        return answered

    async def _pass(self, envelopes: list[Envelope], report: Report | None) -> list[Outcome]:
        """Deliver through the real transport, except simulator addresses over SMTP."""
        if not envelopes:
            return []
        if _captures(self.inner):
            return await self.inner.deliver(envelopes, report)
        local = [e for e in envelopes if simulator.is_simulated(e.rcpt_to)]
        real = [e for e in envelopes if not simulator.is_simulated(e.rcpt_to)]
        delivered = await self.inner.deliver(real, report) if real else []
        return delivered + [
            _outcome(e, simulator.DELIVERED.code, simulator.DELIVERED.reply) for e in local
        ]

    def _injected(self, envelope: Envelope) -> Outcome | None:
        mid = self._mid(envelope.job_id)
        if mid is None:
            return None
        fault = self.faults.strike(
            mid, FaultTarget.TRANSPORT, envelope.rcpt_to, envelope.job_id, envelope.ref
        )
        if fault is None:
            return None
        code = fault.code or 451
        return _outcome(envelope, code, fault.message or f"{code} injected failure")

    def _mid(self, job_id: int) -> int | None:
        if job_id not in self._mids:
            from sendwell.store.jobs import job_by_id

            with self.engine.connect() as conn:
                job = job_by_id(conn, job_id)
            if job is None:
                return None
            self._mids[job_id] = job.mid
        return self._mids[job_id]

    def _one_click(self, messages: list[bytes]) -> None:
        """Unsubscribe as the recipient's mail client would, by its List-Unsubscribe token."""
        for data in messages:
            head = data[: data.find(b"\r\n\r\n")]
            found = _ONE_CLICK.search(head)
            if found is None:
                log.info("simulator: a complaint address got a message without List-Unsubscribe")
                continue
            events.unsubscribe(self.engine, self.key, found.group(2).decode("ascii"))

    async def aclose(self) -> None:
        await self.inner.aclose()


def _captures(transport: Transport) -> bool:
    return type(transport).__name__ == "CaptureTransport"


def _outcome(envelope: Envelope, code: int, reply: str) -> Outcome:
    return Outcome(envelope.ref, status_for_code(code), code, reply, "RCPT")
