"""``LogUnsubEvent`` (SOAP ``Execute``): the documented way to unsubscribe through the API.

As Marketing Cloud's "Unsubscribe and Log an UnsubEvent with a LogUnsubEvent Execute Call":
the subscriber context is ``SubscriberID``, ``SubscriberKey`` or ``EmailAddress`` (at least
one; when several are given they must name the same subscriber); the job context ``JobID``
(and ``BatchID``); ``ListID`` unsubscribes from that list only, without it the subscriber is
unsubscribed from the account (a master unsubscribe); ``Reason`` is optional. With a JobID that
sent to the subscriber, an UnsubEvent is logged against that job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select, update

from sendwell.domain import errors as e
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import Invalid, NotFound, clipped
from sendwell.domain.limits import parse_id
from sendwell.store import tracking
from sendwell.store.tables import list_members, objects, recipients, send_jobs, subscribers

SUBSCRIBER_CONTEXT = ("SubscriberID", "SubscriberKey", "EmailAddress")


def log_unsub_event(conn: Connection, mid: int, parameters: Mapping[str, str]) -> str:
    """Unsubscribe the subscriber the parameters name; the status message of the answer."""
    subscriber = _subscriber(conn, mid, parameters)
    when = utcnow()
    list_id = None
    if parameters.get("ListID"):
        list_id = _list(conn, mid, parameters["ListID"])
        conn.execute(
            update(list_members)
            .where(list_members.c.list_id == list_id, list_members.c.subscriber_id == subscriber.id)
            .values(status="Unsubscribed")
        )
    else:
        tracking.unsubscribe(conn, mid, subscriber.subscriber_key, subscriber.email, when)
    row = _sent_row(conn, mid, parameters.get("JobID"), subscriber.subscriber_key)
    if row is not None:
        details: dict[str, Any] = {"master": list_id is None}
        if list_id is not None:
            details["list_id"] = list_id
        if parameters.get("Reason"):
            details["reason"] = parameters["Reason"][:500]
        tracking.record_event(conn, row, "Unsubscribe", when, details=details)
    return "Event posted"


def _subscriber(conn: Connection, mid: int, parameters: Mapping[str, str]) -> Any:
    given = {k: parameters[k] for k in SUBSCRIBER_CONTEXT if parameters.get(k)}
    if not given:
        raise Invalid(
            "LogUnsubEvent needs a SubscriberID, SubscriberKey or EmailAddress.", e.ERR_GENERAL
        )
    query = select(subscribers).where(subscribers.c.mid == mid)
    if "SubscriberID" in given:
        query = query.where(subscribers.c.id == parse_id(given["SubscriberID"]))
    elif "SubscriberKey" in given:
        query = query.where(subscribers.c.subscriber_key == given["SubscriberKey"])
    else:
        query = query.where(subscribers.c.email == given["EmailAddress"])
    found = conn.execute(query.limit(1)).first()
    if found is None:
        first = next(iter(given))
        raise NotFound(f"No subscriber has the {first} {clipped(given[first])}.", e.ERR_NOT_FOUND)
    if (
        ("SubscriberKey" in given and given["SubscriberKey"] != found.subscriber_key)
        or ("EmailAddress" in given and given["EmailAddress"].lower() != found.email.lower())
        or ("SubscriberID" in given and parse_id(given["SubscriberID"]) != found.id)
    ):
        raise Invalid(
            "The SubscriberID, SubscriberKey and EmailAddress given name different subscribers.",
            e.ERR_GENERAL,
        )
    return found


def _list(conn: Connection, mid: int, raw: str) -> int:
    list_id = parse_id(raw)
    found = conn.execute(
        select(objects.c.id).where(
            objects.c.mid == mid, objects.c.type == "List", objects.c.id == list_id
        )
    ).first()
    if found is None:
        raise NotFound(f"No list has the ListID {clipped(raw)}.", e.ERR_NOT_FOUND)
    return int(found.id)


def _sent_row(conn: Connection, mid: int, job: str | None, subscriber_key: str) -> Any:
    """The job's ledger row for the subscriber, in ``tracking.record_event``'s shape."""
    job_id = parse_id(job) if job else None
    if job_id is None:
        return None
    return conn.execute(
        select(
            recipients.c.job_id,
            recipients.c.seq,
            recipients.c.subscriber_key,
            recipients.c.email,
            send_jobs.c.mid,
        )
        .join(send_jobs, send_jobs.c.id == recipients.c.job_id)
        .where(
            send_jobs.c.mid == mid,
            recipients.c.job_id == job_id,
            recipients.c.subscriber_key == subscriber_key,
        )
        .limit(1)
    ).first()
