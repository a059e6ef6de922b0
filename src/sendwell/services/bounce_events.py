"""``BounceEvent`` as the partner API retrieves it: a tracking event with the bounce's fields.

The bounce listener and the relay's refusals (``engine.bounces``) record HardBounce, SoftBounce
and OtherBounce rows in ``tracking_events``; the Send counters HardBounces, SoftBounces and
OtherBounces count their recipients (``services.events.SEND_COUNTERS``).
"""

from __future__ import annotations

from typing import Any

from sendwell.services.events import TrackingEventKind

BOUNCE_TYPES = ("HardBounce", "SoftBounce", "OtherBounce")
BOUNCE_FIELDS = ("SMTPCode", "BounceCategory", "SMTPReason", "BounceType")


def bounce_fields(row: Any) -> dict[str, Any]:
    """BounceEvent's own fields from a ``tracking_events`` row (kept in ``details``)."""
    details = row.details or {}
    return {name: details.get(name) for name in BOUNCE_FIELDS}


BOUNCE_EVENT = TrackingEventKind("BounceEvent", BOUNCE_TYPES, bounce_fields)
