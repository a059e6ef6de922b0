"""``BounceEvent`` as the partner API retrieves it, and the bounce counters of a ``Send``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select

from sendwell.domain.filters import Filter
from sendwell.services.catalog import Unsupported, page
from sendwell.services.sends import equality_on
from sendwell.store.tables import tracking_events

BOUNCE_TYPES = ("HardBounce", "SoftBounce", "OtherBounce")
BOUNCE_FIELDS = ("SMTPCode", "BounceCategory", "SMTPReason", "BounceType")
# Send counter for each bounce event type.
COUNTERS = {"HardBounce": "HardBounces", "SoftBounce": "SoftBounces", "OtherBounce": "OtherBounces"}


class BounceEventKind(Unsupported):
    """One ``BounceEvent`` per recorded bounce (from the bounce listener or a relay's refusal)."""

    type_name = "BounceEvent"

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        query = (
            select(tracking_events)
            .where(tracking_events.c.mid == mid, tracking_events.c.event_type.in_(BOUNCE_TYPES))
            .order_by(tracking_events.c.id)
        )
        job_id = equality_on(tree, "SendID")
        if job_id is not None:
            query = query.where(tracking_events.c.job_id == job_id)
        events = (_event(mid, r) for r in conn.execute(query))
        return page(events, tree, offset, limit)


def _event(mid: int, row: Any) -> dict[str, Any]:
    return {
        "__type__": "BounceEvent",
        "Client": {"ID": mid},
        "ID": row.id,
        "SendID": row.job_id,
        "SubscriberKey": row.subscriber_key,
        "EventDate": row.event_date,
        "EventType": row.event_type,
        **bounce_fields(row),
    }


def bounce_fields(row: Any) -> dict[str, Any]:
    """BounceEvent's own fields from a ``tracking_events`` row (kept in ``details``)."""
    details = row.details or {}
    return {name: details.get(name) for name in BOUNCE_FIELDS}


def bounce_counts(conn: Connection, job_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """``{job_id: {"HardBounces": n, "SoftBounces": n, "OtherBounces": n}}``.

    Counts recipients, not events: a recipient that bounced soft, then hard counts once in each.
    """
    ids = list(job_ids)
    counts = {job_id: dict.fromkeys(COUNTERS.values(), 0) for job_id in ids}
    if not ids:
        return counts
    rows = conn.execute(
        select(
            tracking_events.c.job_id,
            tracking_events.c.event_type,
            func.count(tracking_events.c.seq.distinct()),
        )
        .where(tracking_events.c.job_id.in_(ids), tracking_events.c.event_type.in_(BOUNCE_TYPES))
        .group_by(tracking_events.c.job_id, tracking_events.c.event_type)
    )
    for job_id, event_type, n in rows:
        counts[job_id][COUNTERS[event_type]] = n
    return counts
