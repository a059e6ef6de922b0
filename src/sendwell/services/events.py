"""Tracking events: recorded from a recipient's signed links, retrieved as partner API objects.

A token names (mid, job, seq): one recipient of one job. Opens and clicks add events; the
one-click unsubscribe marks the subscriber Unsubscribed for the account (a master unsubscribe,
which suppresses later commercial sends) and adds an event. ``TrackingEventKind`` serves
``OpenEvent``, ``ClickEvent``, ``UnsubEvent`` (and any other event type of the table) to
Retrieve; ``counters`` gives a page of ``Send`` objects their unique counts in one query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, select

from sendwell.config import Settings, resolve_secret_key
from sendwell.domain.clock import utcnow
from sendwell.domain.filters import Filter, equality_on
from sendwell.domain.jobs import CONTINUOUS_ORIGINS
from sendwell.domain.tracking import fill_link, same_origin, tracking_key, verify
from sendwell.services.catalog import Unsupported, page
from sendwell.store import tracking as store
from sendwell.store.tables import objects, recipients, send_jobs, tracking_events

# Send counters kept from tracking events: unique recipients per event type.
SEND_COUNTERS = {
    "Open": "UniqueOpens",
    "Click": "UniqueClicks",
    "Unsubscribe": "Unsubscribes",
    "HardBounce": "HardBounces",
    "SoftBounce": "SoftBounces",
    "OtherBounce": "OtherBounces",
}


@lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    return tracking_key(secret)


def key_for(settings: Settings) -> bytes:
    """The MAC key of this installation's tracking tokens."""
    return _key(resolve_secret_key(settings))


def recipient_of(conn: Connection, key: bytes, token: str) -> Any:
    """The ledger row (with ``mid``) a valid token names, or None."""
    fields = verify(key, token)
    if fields is None or len(fields) != 3:
        return None
    mid, job_id, seq = fields
    return store.recipient(conn, mid, job_id, seq)


def record_open(engine: Engine, key: bytes, token: str) -> bool:
    """An OpenEvent for the token's recipient; False (nothing recorded) for a bad token."""
    with engine.begin() as conn:
        row = recipient_of(conn, key, token)
        if row is None:
            return False
        store.record_event(conn, row, "Open", utcnow())
    return True


def click(engine: Engine, key: bytes, token: str, url_id: int) -> str | None:
    """Record a ClickEvent and return the job's own link ``url_id``; None if either is unknown.

    Only a URL stored for the token's job is ever returned: no token or link number can make
    this redirect anywhere else.
    """
    with engine.begin() as conn:
        row = recipient_of(conn, key, token)
        if row is None:
            return None
        stored = store.link_url(conn, row.job_id, url_id)
        if stored is None:
            return None
        url = fill_link(stored, _values(conn, row)) if "%%" in stored else stored
        if not same_origin(stored, url):
            return None
        store.record_event(conn, row, "Click", utcnow(), url_id, {"URL": url})
    return url


def _values(conn: Connection, row: Any) -> dict[str, str]:
    """The recipient's personalization values, as its message was rendered with."""
    values = {k.lower(): "" if v is None else str(v) for k, v in (row.attributes or {}).items()}
    profile = store.subscriber(conn, row.mid, row.subscriber_key)
    for name, value in ((profile.attributes or {}) if profile else {}).items():
        values.setdefault(name.lower(), "" if value is None else str(value))
    values.update(emailaddr=row.email, _subscriberkey=row.subscriber_key, jobid=str(row.job_id))
    return values


@dataclass(frozen=True)
class Recipient:
    """What the unsubscribe and profile pages show."""

    email: str
    status: str


def recipient_status(engine: Engine, key: bytes, token: str) -> Recipient | None:
    """The token's subscriber: address and status (Active when it has no subscriber row)."""
    with engine.connect() as conn:
        row = recipient_of(conn, key, token)
        if row is None:
            return None
        found = store.subscriber(conn, row.mid, row.subscriber_key)
    return Recipient(row.email, found.status if found else "Active")


def unsubscribe(engine: Engine, key: bytes, token: str) -> Recipient | None:
    """Unsubscribe the token's subscriber from the account; an UnsubEvent if it was subscribed."""
    when = utcnow()
    with engine.begin() as conn:
        row = recipient_of(conn, key, token)
        if row is None:
            return None
        if store.unsubscribe(conn, row.mid, row.subscriber_key, row.email, when):
            store.record_event(conn, row, "Unsubscribe", when, details={"master": True})
    return Recipient(row.email, "Unsubscribed")


def counters(conn: Connection, mid: int, job_id: int | None = None) -> dict[int, dict[str, int]]:
    """``{job_id: {"UniqueOpens": n, "UniqueClicks": n, "Unsubscribes": n}}`` (jobs with any)."""
    counts = store.unique_counts(conn, SEND_COUNTERS, mid, job_id)
    return {
        job: {SEND_COUNTERS[kind]: n for kind, n in by_type.items()}
        for job, by_type in counts.items()
    }


# --- Retrieve ---------------------------------------------------------------------------------

Extra = Callable[[Any], dict[str, Any]]


class TrackingEventKind(Unsupported):
    """Events of some types from ``tracking_events`` as one partner API event type.

    ``extra`` adds the type's own fields from a row (``details`` holds what the recorder kept).
    """

    def __init__(
        self, type_name: str, event_types: tuple[str, ...], extra: Extra | None = None
    ) -> None:
        self.type_name = type_name
        self.event_types = event_types
        self.extra = extra

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        query = (
            select(
                tracking_events,
                objects.c.object_id.label("definition_object_id"),
                recipients.c.batch_id,
            )
            .join(send_jobs, send_jobs.c.id == tracking_events.c.job_id)
            .outerjoin(
                objects,
                (objects.c.id == send_jobs.c.definition_id)
                & send_jobs.c.origin.in_(CONTINUOUS_ORIGINS),
            )
            .outerjoin(
                recipients,
                (recipients.c.job_id == tracking_events.c.job_id)
                & (recipients.c.seq == tracking_events.c.seq),
            )
            .where(tracking_events.c.mid == mid, tracking_events.c.event_type.in_(self.event_types))
            .order_by(tracking_events.c.id)
        )
        job_id = equality_on(tree, "SendID")
        if job_id is not None:
            query = query.where(tracking_events.c.job_id == job_id)
        return page((self._event(mid, r) for r in conn.execute(query)), tree, offset, limit)

    def _event(self, mid: int, row: Any) -> dict[str, Any]:
        event = {
            "__type__": self.type_name,
            "Client": {"ID": mid},
            "ID": row.id,
            "SendID": row.job_id,
            "SubscriberKey": row.subscriber_key,
            "EventDate": row.event_date,
            "EventType": row.event_type,
            # A triggered or transactional send's events name its definition and request
            # (BatchID). A transactional definition's definitionId is the ObjectID of the
            # TriggeredSendDefinition behind it in Marketing Cloud (its journey's
            # triggeredSendId), so its events carry that ID too.
            "TriggeredSendDefinitionObjectID": row.definition_object_id,
            "BatchID": row.batch_id if row.definition_object_id else None,
        }
        if self.extra is not None:
            event.update(self.extra(row))
        return event


def _click(row: Any) -> dict[str, Any]:
    return {"URLID": row.url_id, "URL": (row.details or {}).get("URL")}


def _unsub(row: Any) -> dict[str, Any]:
    details = row.details or {}
    event = {"IsMasterUnsubscribed": bool(details.get("master", True))}
    if details.get("list_id"):  # a LogUnsubEvent from one list
        event["List"] = {"__type__": "List", "ID": details["list_id"]}
    return event


OPEN_EVENT = TrackingEventKind("OpenEvent", ("Open",))
CLICK_EVENT = TrackingEventKind("ClickEvent", ("Click",), _click)
UNSUB_EVENT = TrackingEventKind("UnsubEvent", ("Unsubscribe",), _unsub)
NOT_SENT_EVENT = TrackingEventKind("NotSentEvent", ("NotSent",))
# Sendwell has no surveys and no forward-to-a-friend: these are always empty, but retrievable
# and filterable by every property the WSDL gives them.
SURVEY_EVENT = TrackingEventKind("SurveyEvent", ("Survey",))
FORWARDED_EMAIL_EVENT = TrackingEventKind("ForwardedEmailEvent", ("ForwardedEmail",))
FORWARDED_EMAIL_OPT_IN_EVENT = TrackingEventKind(
    "ForwardedEmailOptInEvent", ("ForwardedEmailOptIn",)
)
