"""The one clock: naive UTC datetimes, as stored in the database."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC, without tzinfo (the store keeps naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)
