"""SOAP ``Create`` of ``TriggeredSend`` (one message to each of its subscribers, now), and
``TriggeredSendSummary`` (what a definition has sent).

A TriggeredSend names its definition (CustomerKey or ObjectID) and brings subscribers with
attributes and an optional ``Owner`` From; each is checked and queued on the definition's job
(``recipient_intake``). The result is a ``TriggeredSendCreateResult`` listing the subscribers
that were not queued (``SubscriberFailures``), with Marketing Cloud's 18000-range codes for a
definition that cannot take sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from sendwell.domain import errors as e
from sendwell.domain import not_sent
from sendwell.domain.errors import Invalid
from sendwell.domain.filters import Filter
from sendwell.domain.triggered import ACCEPTING, TriggeredStatus
from sendwell.services import recipient_intake as intake
from sendwell.services.audience_data import pairs
from sendwell.services.catalog import Unsupported, find_ref, page, rows_of
from sendwell.services.triggered_definitions import TSD, current_job
from sendwell.store.tables import recipients, send_jobs, tracking_events

SUBSCRIBER_ERROR = "TriggeredSendSubscriberProcessingError"


def definition_for_send(conn: Connection, mid: int, ref: Mapping[str, Any] | None) -> Any:
    """The definition a send names and the job that takes it; Invalid (18000 range) when the
    definition cannot take sends."""
    if not ref or not any(ref.get(k) for k in ("CustomerKey", "ObjectID", "ID")):
        raise Invalid(
            "The Triggered Send Object must contain the Triggered Send ID or the Customer Key",
            e.TS_DEFINITION_INVALID,
        )
    row = find_ref(conn, mid, TSD, ref)
    if row is None:
        raise Invalid("Invalid Customer Key", e.TS_DEFINITION_INVALID)
    status = row.props.get("TriggeredSendStatus") or TriggeredStatus.NEW
    if status == TriggeredStatus.NEW:
        raise Invalid(
            "The Triggered Send Definition is not completely configured or in a new status",
            e.TS_DEFINITION_NEW,
        )
    if status not in ACCEPTING:
        raise Invalid(
            "Triggered Send must be in an Active or Inactive status", e.TS_DEFINITION_INVALID
        )
    job = current_job(conn, mid, row.id)
    if job is None:  # Active or Inactive always has one; a store restored by hand may not
        raise Invalid(
            "Triggered Send must be in an Active or Inactive status", e.TS_DEFINITION_INVALID
        )
    return row, job


def rules_of(conn: Connection, mid: int, definition: Any) -> intake.Rules:
    """The definition's rules for its recipients."""
    props = definition.props
    classification = find_ref(conn, mid, "SendClassification", props.get("SendClassification"))
    exclusions = []
    for item in props.get("ExclusionListCollection") or []:
        ref = item.get("List") or {"ObjectID": item.get("CustomObjectID")}
        found = find_ref(conn, mid, "List" if item.get("List") else "DataExtension", ref)
        if found is not None:
            exclusions.append(found.id)
    list_ref = find_ref(conn, mid, "List", props.get("List"))
    de_ref = find_ref(conn, mid, "DataExtension", props.get("SendSourceDataExtension"))
    return intake.Rules(
        classification=(classification.props if classification else {}).get(
            "SendClassificationType", "Marketing"
        ),
        list_id=list_ref.id if list_ref else None,
        auto_add=bool(props.get("AutoAddSubscribers", True)),
        auto_update=bool(props.get("AutoUpdateSubscribers", True)),
        data_extension_id=de_ref.id if de_ref else None,
        exclusion_list_ids=tuple(exclusions),
    )


class TriggeredSendKind(Unsupported):
    """Create of TriggeredSend: queue one message per subscriber on the definition's job."""

    type_name = "TriggeredSend"

    def create(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        definition, job = definition_for_send(conn, mid, obj.get("TriggeredSendDefinition"))
        defaults = dict(pairs(obj.get("Attributes")))  # for every subscriber; theirs win
        subscribers = obj.get("Subscribers") or []
        requests = [
            intake.Request(
                email=s.get("EmailAddress"),
                subscriber_key=s.get("SubscriberKey") or s.get("EmailAddress"),
                attributes={**defaults, **dict(pairs(s.get("Attributes")))},
                from_name=(s.get("Owner") or {}).get("FromName"),
                from_address=(s.get("Owner") or {}).get("FromAddress"),
            )
            for s in subscribers
        ]
        outcomes = intake.take(conn, mid, job.id, rules_of(conn, mid, definition), requests)
        failures = [
            {
                "Subscriber": {
                    "EmailAddress": subscribers[o.ordinal].get("EmailAddress"),
                    "SubscriberKey": requests[o.ordinal].subscriber_key,
                },
                "ErrorCode": SUBSCRIBER_ERROR,
                "ErrorDescription": not_sent.description(o.reason or not_sent.UNSPECIFIED),
                "Ordinal": o.ordinal,
            }
            for o in outcomes
            if not o.queued
        ]
        queued = any(o.queued for o in outcomes)
        result: dict[str, Any] = {
            "__type__": "TriggeredSendCreateResult",
            "StatusCode": "OK" if queued else "Error",
            "StatusMessage": "Created TriggeredSend"
            if queued
            else "Unable to queue Triggered Send request. There are no valid subscribers.",
            "SubscriberFailures": failures,
        }
        if not queued:
            result["ErrorCode"] = e.TS_NO_VALID_SUBSCRIBERS
        echo = {
            "__type__": "TriggeredSend",
            "TriggeredSendDefinition": {
                "ObjectID": definition.object_id,
                "CustomerKey": definition.customer_key,
            },
            "Subscribers": [
                {"EmailAddress": r.email, "SubscriberKey": r.subscriber_key} for r in requests
            ],
        }
        return {**echo, "__result__": result, "__started__": queued}


class TriggeredSendSummaryKind(Unsupported):
    """Retrieve of TriggeredSendSummary: each definition's counters over all its jobs."""

    type_name = "TriggeredSendSummary"

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        summaries = (summary(conn, mid, row) for row in rows_of(conn, mid, TSD))
        return page(summaries, tree, offset, limit)


_OPT_OUT = (not_sent.UNSUBSCRIBED,)
_UNDELIVERABLE = (not_sent.HELD, not_sent.INVALID_EMAIL_ADDRESS, not_sent.MISSING_EMAIL_ADDRESS)


def summary(conn: Connection, mid: int, definition: Any) -> dict[str, Any]:
    """A definition's TriggeredSendSummary, from its jobs' ledgers and tracking events."""
    job_ids = select(send_jobs.c.id).where(
        send_jobs.c.mid == mid, send_jobs.c.definition_id == definition.id
    )
    by_status = dict(
        conn.execute(
            select(recipients.c.status, func.count())
            .where(recipients.c.job_id.in_(job_ids))
            .group_by(recipients.c.status)
        ).all()
    )
    reasons = dict(
        conn.execute(
            select(recipients.c.reason_code, func.count())
            .where(recipients.c.job_id.in_(job_ids), recipients.c.reason_code.is_not(None))
            .group_by(recipients.c.reason_code)
        ).all()
    )
    events = dict(
        conn.execute(
            select(tracking_events.c.event_type, func.count())
            .where(tracking_events.c.job_id.in_(job_ids))
            .group_by(tracking_events.c.event_type)
        ).all()
    )
    unique = dict(
        conn.execute(
            select(tracking_events.c.event_type, func.count(tracking_events.c.seq.distinct()))
            .where(tracking_events.c.job_id.in_(job_ids))
            .group_by(tracking_events.c.event_type)
        ).all()
    )
    opted_out = sum(reasons.get(c, 0) for c in _OPT_OUT)
    undeliverable = sum(reasons.get(c, 0) for c in _UNDELIVERABLE)
    return {
        "__type__": "TriggeredSendSummary",
        "Client": {"ID": mid},
        "ObjectID": definition.object_id,
        "CustomerKey": definition.customer_key,
        "TriggeredSendDefinition": {
            "ObjectID": definition.object_id,
            "CustomerKey": definition.customer_key,
        },
        "Sent": by_status.get("sent", 0),
        "NotSentDueToOptOut": opted_out,
        "NotSentDueToUndeliverable": undeliverable,
        "Bounces": sum(events.get(t, 0) for t in ("HardBounce", "SoftBounce", "OtherBounce")),
        "Opens": events.get("Open", 0),
        "Clicks": events.get("Click", 0),
        "UniqueOpens": unique.get("Open", 0),
        "UniqueClicks": unique.get("Click", 0),
        "OptOuts": events.get("Unsubscribe", 0),
        "SurveyResponses": 0,
        "FTAFRequests": 0,
        "FTAFEmailsSent": 0,
        "FTAFOptIns": 0,
        "Conversions": 0,
        "UniqueConversions": 0,
        "InProcess": by_status.get("deferred", 0),
        "NotSentDueToError": sum(reasons.values()) - opted_out - undeliverable,
        "Queued": by_status.get("pending", 0),
    }
