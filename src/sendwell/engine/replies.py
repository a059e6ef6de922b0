"""SMTP replies by class (2xx, 4xx, 5xx, or none), counted as chunks are delivered.

A process-wide tally under a lock, added once per chunk: ``GET /metrics`` reads it. It counts
what this process's workers delivered (``sendwell worker`` processes keep their own).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

from sendwell.engine.transports.base import Outcome

_lock = threading.Lock()
_tally: Counter[str] = Counter()


def count(outcomes: Iterable[Outcome]) -> None:
    """Add a delivered chunk's replies."""
    chunk = Counter(f"{o.code // 100}xx" if o.code else "none" for o in outcomes)
    with _lock:
        _tally.update(chunk)


def snapshot() -> dict[str, int]:
    """The replies counted so far, by class."""
    with _lock:
        return dict(_tally)
