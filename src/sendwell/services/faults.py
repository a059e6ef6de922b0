"""Fault injection, off unless the operator switches it on (``SENDWELL_FAULT_INJECTION``).

Faults are kept in the database, so every process (the server, ``sendwell worker``) sees the
same ones. Each process reads the faults in force at most once a second (``FaultBook``), so a
request or a chunk costs no query while none is set; a hit is counted down in the database,
atomically, and logged (``sendwell.faults`` and the account's fault log, shown on the pages).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from sendwell.domain.errors import Forbidden
from sendwell.domain.faults import FaultSpec, matches, picked
from sendwell.store import faults as store

log = logging.getLogger("sendwell.faults")
REFRESH_SECONDS = 1.0
DISABLED = "Fault injection is off: the operator enables it with SENDWELL_FAULT_INJECTION=true."


@dataclass(frozen=True)
class Fault:
    """A fault in force, as read from the database."""

    id: int
    mid: int
    target: str
    match: str | None
    kind: str
    code: int | None
    message: str | None
    share: float | None
    remaining: int | None
    delay_ms: int | None
    retry_after: int | None
    hits: int

    @classmethod
    def of(cls, row: Any) -> Fault:
        return cls(
            row.id,
            row.mid,
            row.target,
            row.match,
            row.kind,
            row.code,
            row.message,
            row.share,
            row.remaining,
            row.delay_ms,
            row.retry_after,
            row.hits,
        )

    def describe(self) -> str:
        """One line: what it breaks and how often."""
        scope = f"{self.target}{':' + self.match if self.match else ''}"
        what = self.kind + (f" {self.code}" if self.code else "")
        often = (f"next {self.remaining}" if self.remaining is not None else "until cleared") + (
            f", {self.share:.0%} of calls" if self.share is not None else ""
        )
        return f"#{self.id} {scope} → {what} ({often}, {self.hits} so far)"


def require_enabled(enabled: bool) -> None:
    """Forbidden (403 / a SOAP error) unless the operator enabled fault injection."""
    if not enabled:
        raise Forbidden(DISABLED)


def add(engine: Engine, enabled: bool, mid: int, spec: FaultSpec) -> Fault:
    """Store a fault for account ``mid``; it acts within a second in every process."""
    require_enabled(enabled)
    with engine.begin() as conn:
        fault_id = store.add(conn, mid, spec)
        (row,) = [r for r in store.active(conn, mid) if r.id == fault_id]
    fault = Fault.of(row)
    log.warning("fault injection: account %s added %s", mid, fault.describe())
    return fault


def listed(engine: Engine, mid: int) -> list[Fault]:
    """The account's faults in force, oldest first."""
    with engine.connect() as conn:
        return [Fault.of(r) for r in store.active(conn, mid)]


def history(engine: Engine, mid: int, limit: int = 50) -> list[Any]:
    """The account's newest injected faults (fault_id, at, what), newest first."""
    with engine.connect() as conn:
        return store.log_of(conn, mid, limit)


def clear(engine: Engine, mid: int, fault_id: int | None = None) -> int:
    """Remove the account's faults (or one of them); how many were removed."""
    with engine.begin() as conn:
        removed = store.clear(conn, mid, fault_id)
    log.warning("fault injection: account %s cleared %s fault(s)", mid, removed)
    return removed


class FaultBook:
    """This process's view of the faults in force, read again at most once a second."""

    def __init__(self, engine: Engine, enabled: bool) -> None:
        self.engine = engine
        self.enabled = enabled
        self._faults: list[Fault] = []
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> list[Fault]:
        """Every account's faults in force (none at all while injection is off)."""
        if not self.enabled:
            return []
        now = time.monotonic()
        if now - self._read_at >= REFRESH_SECONDS:
            with self._lock:
                if now - self._read_at >= REFRESH_SECONDS:
                    with self.engine.connect() as conn:
                        self._faults = [Fault.of(r) for r in store.active(conn)]
                    self._read_at = now
        return self._faults

    def candidates(self, target: str) -> list[Fault]:
        """Faults in force for ``target`` (any account): empty, cheaply, in the usual case."""
        return [f for f in self.current() if f.target == target]

    def strike(self, mid: int, target: str, operation: str, *key: object) -> Fault | None:
        """The fault that hits this call of account ``mid``, if any; its hit is counted and
        logged. ``key`` picks the call for a share (a recipient: job and seq)."""
        for fault in self.candidates(target):
            if fault.mid != mid or not matches(target, fault.match, operation):
                continue
            if not picked(fault.share, fault.id, *(key or (time.monotonic_ns(),))):
                continue
            what = f"{target} {operation}: {fault.kind}" + (f" {fault.code}" if fault.code else "")
            with self.engine.begin() as conn:
                if not store.take(conn, fault.id, what):
                    continue
            log.warning("fault injected for account %s: %s (fault #%s)", mid, what, fault.id)
            return fault
        return None

    def expire(self) -> None:
        """Read the faults again at the next call (after one was added or cleared here)."""
        self._read_at = float("-inf")


def account_of(
    engine: Engine, username: str | None = None, client_id: str | None = None
) -> int | None:
    """The account an API user or a package belongs to (no password checked: a fault aims at an
    account's calls whatever their credentials)."""
    with engine.connect() as conn:
        if username:
            return store.user_mid(conn, username)
        if client_id:
            return store.package_mid(conn, client_id)
    return None
