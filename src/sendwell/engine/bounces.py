"""Bounces: the SMTP listener that takes them, and what a bounce does to the recipient.

Messages go out with a VERP envelope sender (``domain.verp``), so a bounce comes back to an
address that names the job and ledger recipient. ``BounceListener`` is a small SMTP server for
the bounce domain: it reads each bounce with ``flufl.bounce`` (RFC 3464 DSNs and the odd formats
of older MTAs), takes status code and reason from the DSN, and records a ``BounceEvent`` in
``tracking_events``. Refusals the relay gives during delivery (a 5xx to RCPT or DATA) are
bounces too: the delivery step records them in its own transaction. A subscriber
with ``bounce_hold_threshold`` hard bounces in the account is Held, which Marketing and
Operational sends skip.
"""

from __future__ import annotations

import asyncio
import email
import logging
import re
import threading
from collections.abc import Sequence
from email.iterators import typed_subpart_iterator
from email.message import Message
from email.utils import parseaddr
from typing import Any

from flufl.bounce import all_failures
from sqlalchemy import Connection, Engine

from sendwell.config import Settings, resolve_secret_key
from sendwell.domain import verp
from sendwell.domain.bounces import Failure
from sendwell.services.events import key_for, unsubscribe
from sendwell.store import bounces

log = logging.getLogger("sendwell.bounces")

_CODE = re.compile(r"^\s*([245]\d\d)\b")


def read_failures(message: Message) -> dict[str, Failure]:
    """The failed recipients a bounce reports, by lower-cased address."""
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # a heuristic detector tripped over a malformed message: nothing to use
        log.warning("a message no flufl.bounce detector could read: ignored")
        return {}
    details = _dsn_details(message)
    out: dict[str, Failure] = {}
    for addresses, is_permanent in ((temporary, False), (permanent, True)):
        for raw in addresses:
            address = raw.decode("ascii", "replace").lower()
            status, code, reason = details.get(address, ("", "", ""))
            out[address] = Failure(address, is_permanent, status, code, reason)
    return out


def _dsn_details(message: Message) -> dict[str, tuple[str, str, str]]:
    """Status, SMTP code and diagnostic text per recipient of RFC 3464 delivery-status parts."""
    found: dict[str, tuple[str, str, str]] = {}
    for part in typed_subpart_iterator(message, "message", "delivery-status"):
        if not part.is_multipart():
            continue
        for block in part.get_payload():  # type: ignore[union-attr]
            recipient = block.get("original-recipient") or block.get("final-recipient") or ""
            address = parseaddr(str(recipient).partition(";")[2])[1].lower()
            if not address:
                continue
            diagnostic = " ".join(str(block.get("diagnostic-code", "")).split())
            reason = diagnostic.partition(";")[2].strip() if ";" in diagnostic else diagnostic
            code = _CODE.match(reason)
            status = str(block.get("status", "")).strip()
            found[address] = (status, code[1] if code else "", reason)
            final = parseaddr(str(block.get("final-recipient", "")).partition(";")[2])[1]
            found.setdefault(final.lower(), found[address])
    return found


def process_bounce(engine: Engine, settings: Settings, rcpt_tos: Sequence[str], data: bytes) -> int:
    """Record what one bounce message reports; returns the number of events recorded."""
    failures = read_failures(email.message_from_bytes(data))
    if not failures:
        log.info("message to %s reports no failed recipient: ignored", ", ".join(rcpt_tos))
        return 0
    recorded = 0
    secret = resolve_secret_key(settings)
    with engine.begin() as conn:
        for address in rcpt_tos:
            named = verp.decode(address, secret)
            if named is None:
                log.warning("bounce to %s: not a valid VERP address, ignored", address)
                continue
            job_id, seq = named
            mid = bounces.mid_of_job(conn, job_id)
            if mid is None:
                continue
            for row, failure in _matches(conn, job_id, seq, failures):
                hold = settings.bounce_hold_threshold
                recorded += (
                    bounces.record_bounce(conn, row, mid, failure, "delayed", hold) is not None
                )
    return recorded


def _matches(
    conn: Connection, job_id: int, seq: int, failures: dict[str, Failure]
) -> list[tuple[Any, Failure]]:
    """Ledger rows a bounce is about, each with the failure that concerns it.

    A per-recipient address (seq > 0) names its row whatever address the bounce reports (it may
    be a forwarding target); a job address (seq 0, the copies) matches the failed addresses
    against the job's ledger.
    """
    if seq > 0:
        row = bounces.ledger_row(conn, job_id, seq)
        if row is None:
            return []
        failure = failures.get(row.email.lower()) or failures[sorted(failures)[0]]
        return [(row, failure)]
    rows = bounces.ledger_rows_by_email(conn, job_id, failures)
    return [(row, failures[row.email.lower()]) for row in rows]


def _unsubscribe_token(local: str, domain: str, settings: Settings) -> str | None:
    """The token of an ``unsubscribe+TOKEN@<mailto domain>`` address, else None."""
    if domain.lower() != settings.mailto_domain.lower() or not local.lower().startswith(
        "unsubscribe+"
    ):
        return None
    return local[len("unsubscribe+") :] or None


class _BounceHandler:
    """aiosmtpd handler: RCPT only at the bounce domain, DATA recorded off the event loop."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.domain = settings.bounce_domain.lower()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        local, _, domain = address.rpartition("@")
        if (
            _unsubscribe_token(local, domain, self.settings) is None
            and domain.lower() != self.domain
        ):
            return f"550 5.1.1 <{address}>: this server takes bounces for {self.domain} only"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        data = envelope.original_content or envelope.content
        tokens = [
            token
            for local, _, domain in (a.rpartition("@") for a in envelope.rcpt_tos)
            if (token := _unsubscribe_token(local, domain, self.settings)) is not None
        ]
        if tokens:  # the List-Unsubscribe mailto: address (RFC 2369), not a bounce
            key = key_for(self.settings)
            for token in tokens:
                await asyncio.to_thread(unsubscribe, self.engine, key, token)
            return "250 2.0.0 unsubscribed"
        try:
            await asyncio.to_thread(
                process_bounce, self.engine, self.settings, list(envelope.rcpt_tos), data
            )
        except Exception:  # the sending MTA keeps the bounce and tries again
            log.exception("bounce from %s could not be recorded", envelope.mail_from)
            return "451 4.3.0 bounce not recorded, try again later"
        return "250 2.0.0 OK"


class BounceListener:
    """The SMTP server for the bounce domain, in a thread of its own; ``start()``/``stop()``."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        if not settings.bounce_domain:
            raise ValueError("the bounce listener needs SENDWELL_BOUNCE_DOMAIN")
        resolve_secret_key(settings)  # read (or create) it now, not at the first bounce
        from aiosmtpd.controller import Controller

        logging.getLogger("flufl.bounce").setLevel(logging.WARNING)  # a line per detector at INFO
        address = settings.bounce_listen_address
        if address is None:
            raise ValueError("the bounce listener needs SENDWELL_BOUNCE_LISTEN")
        self.host, self.port = address
        self.controller = Controller(
            _BounceHandler(engine, settings),
            hostname=self.host,
            port=self.port,
            server_hostname=settings.bounce_domain,
            ready_timeout=10,
        )
        self._lock = threading.Lock()
        self.running = False

    def start(self) -> None:
        with self._lock:
            if not self.running:
                self.controller.start()
                self.running = True
                log.info("taking bounces on %s:%s", self.host, self.port)

    def stop(self) -> None:
        with self._lock:
            if self.running:
                self.controller.stop()
                self.running = False

    def __enter__(self) -> BounceListener:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
