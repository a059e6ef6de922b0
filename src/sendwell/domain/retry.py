"""When to try a deferred recipient again, and how fast a destination domain may be sent to.

Pure rules over naive UTC datetimes: exponential backoff up to a maximum age, and per-domain
token buckets (messages per second) with a cap on messages in flight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 60.0
    max_interval_seconds: float = 3600.0
    max_age_seconds: float = 3 * 24 * 3600.0

    def next_attempt(
        self, now: datetime, first_attempt: datetime, attempts: int
    ) -> datetime | None:
        """When to retry after ``attempts`` tries; None once the recipient is too old to retry."""
        if (now - first_attempt).total_seconds() >= self.max_age_seconds:
            return None
        delay = min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_interval_seconds)
        return now + timedelta(seconds=delay)


@dataclass(frozen=True)
class DomainLimit:
    rate: float | None = None  # messages per second
    concurrency: int | None = None  # messages to the domain in one delivery batch


def parse_domain_limits(text: str) -> dict[str, DomainLimit]:
    """``gmail.com:rate=10,concurrency=2;yahoo.com:rate=5`` → limits by domain."""
    limits: dict[str, DomainLimit] = {}
    for entry in filter(None, (e.strip() for e in text.split(";"))):
        domain, _, options = entry.partition(":")
        values: dict[str, float] = {}
        for option in filter(None, (o.strip() for o in options.split(","))):
            key, _, value = option.partition("=")
            if key.strip() not in ("rate", "concurrency"):
                raise ValueError(f"unknown domain limit {key!r} for {domain!r}")
            values[key.strip()] = float(value)
        concurrency = values.get("concurrency")
        limits[domain.strip().lower()] = DomainLimit(
            values.get("rate"), int(concurrency) if concurrency else None
        )
    return limits


@dataclass
class DomainGate:
    """Per-worker token buckets: which envelopes may go to their domain right now."""

    limits: dict[str, DomainLimit]
    clock: object = time.monotonic
    _tokens: dict[str, float] = field(default_factory=dict)
    _stamp: dict[str, float] = field(default_factory=dict)

    def admit(self, domains: list[str]) -> tuple[list[bool], float]:
        """For each recipient domain: may it go now? And seconds until a held one may go."""
        now = self.clock()  # type: ignore[operator]
        in_batch: dict[str, int] = {}
        wait = 0.0
        admitted = []
        for domain in domains:
            limit = self.limits.get(domain)
            if limit is None:
                admitted.append(True)
                continue
            count = in_batch.get(domain, 0)
            ok = limit.concurrency is None or count < limit.concurrency
            if ok and limit.rate:
                tokens = min(
                    limit.rate,
                    self._tokens.get(domain, limit.rate)
                    + (now - self._stamp.get(domain, now)) * limit.rate,
                )
                self._stamp[domain] = now
                ok = tokens >= 1
                self._tokens[domain] = tokens - 1 if ok else tokens
                if not ok:
                    wait = max(wait, (1 - tokens) / limit.rate)
            elif not ok:
                wait = max(wait, 0.1)  # it can go with the next batch
            if ok:
                in_batch[domain] = count + 1
            admitted.append(ok)
        return admitted, wait
