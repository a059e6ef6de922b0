"""Transactional Messaging API sends (``/messaging/v1/email/messages``): one message to each
recipient, now; its status by messageKey; the feed of messages not sent.

Each recipient is checked as Marketing Cloud documents (contactKey and ``to`` required, a
messageKey of at most 100 characters, unused in the account for 72 hours), then queued on the
definition's continuous job through ``recipient_intake`` like a triggered send. Errors use the
MCMS_UTM codes of triggered-transactional.md section 5.5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from sendwell.domain import errors as e
from sendwell.domain import not_sent
from sendwell.domain.clock import to_system_time
from sendwell.domain.errors import Invalid, NotFound, shown
from sendwell.domain.jobs import JobOrigin
from sendwell.domain.secrets import new_guid
from sendwell.services import recipient_intake as intake
from sendwell.services import transactional_definitions as definitions
from sendwell.services.catalog import find_ref
from sendwell.services.rules import valid_email
from sendwell.store import message_keys as keys
from sendwell.store.tables import message_keys, send_jobs, tracking_events

MAX_RECIPIENTS = 2000
MAX_MESSAGE_KEY = 100
V = "MCMS_UTM_Validation"


@dataclass(frozen=True)
class RecipientResult:
    """One recipient's answer: its messageKey, and its error if it was not queued."""

    message_key: str
    errorcode: int = 0
    message: str = ""


@dataclass(frozen=True)
class SendResult:
    responses: list[RecipientResult]

    @property
    def failed(self) -> int:
        return sum(1 for r in self.responses if r.errorcode)


def send(
    conn: Connection,
    mid: int,
    body: Mapping[str, Any],
    path_key: str | None = None,
) -> SendResult:
    """Queue a single (``path_key`` is its messageKey) or batch send; Invalid when nothing
    can be queued for a reason of the whole request."""
    definition_key = body.get("definitionKey")
    if not isinstance(definition_key, str) or not definition_key:
        raise Invalid(f"{V}_MissingRequiredField_definitionKey: definitionKey is required", 109107)
    if "recipient" in body and "recipients" in body:
        raise Invalid(f"{V}_InvalidValue: give recipient or recipients, not both", 109108)
    if path_key is not None:
        given = [{**(body.get("recipient") or {}), "messageKey": path_key}]
        if not isinstance(body.get("recipient"), Mapping):
            raise Invalid(f"{V}_NoSubscribers: recipient is required", 109102)
    else:
        given = body.get("recipients")
        if not isinstance(given, list) or not given:
            raise Invalid(f"{V}_NoSubscribers: recipients is required", 109102)
        if len(given) > MAX_RECIPIENTS:
            raise Invalid(
                f"{V}_TooManySubscribers: at most {MAX_RECIPIENTS} recipients per request", 109101
            )
    try:
        row, job_id = definitions.for_send(conn, mid, definition_key)
    except NotFound:
        raise Invalid(
            f"{V}_InvalidValue_definitionKey: no definition with key {shown(definition_key)}",
            109111,
        ) from None
    shared = body.get("attributes") if isinstance(body.get("attributes"), Mapping) else {}
    checked = [_check(item, shared) for item in given]
    expired = _refuse_reused(conn, mid, checked)
    queued = [c for c in checked if c.error is None]
    outcomes = intake.take(conn, mid, job_id, _rules(conn, mid, row), [c.request for c in queued])
    keys.keep(
        conn,
        mid,
        keys.MESSAGE_KEY,
        [(c.key, job_id, o.seq) for c, o in zip(queued, outcomes, strict=True) if o.seq],
        row.customer_key,
        sorted(expired),
    )
    results = []
    entered = iter(outcomes)
    for c in checked:
        error = c.error or _intake_error(next(entered))
        results.append(RecipientResult(c.key, *(error or (0, ""))))
    return SendResult(results)


@dataclass
class _Checked:
    key: str
    request: intake.Request
    error: tuple[int, str] | None = None


def _check(item: Any, shared: Mapping[str, Any]) -> _Checked:
    """One recipient as given: its messageKey (generated when absent) and its first problem."""
    if not isinstance(item, Mapping):
        return _Checked(new_guid(), intake.Request(None, None), (109122, f"{V}_UnknownFieldName"))
    key = item.get("messageKey")
    key = str(key) if key not in (None, "") else new_guid().replace("-", "")[:22]
    attributes = item.get("attributes") if isinstance(item.get("attributes"), Mapping) else {}
    request = intake.Request(
        email=item.get("to") if isinstance(item.get("to"), str) else None,
        subscriber_key=str(item["contactKey"]) if item.get("contactKey") else None,
        attributes={**shared, **attributes},
    )
    error = None
    if len(key) > MAX_MESSAGE_KEY:
        error = (109108, f"{V}_InvalidValue_messageKey: longer than {MAX_MESSAGE_KEY} characters")
    elif not request.subscriber_key:
        error = (109105, f"{V}_MissingRequiredField_subscriberKey: Invalid subscriber")
    elif not request.email:
        error = (109106, f"{V}_MissingRequiredField_to: Invalid subscriber")
    elif not valid_email(request.email):
        error = (109121, f"{V}_InvalidValue_to: Invalid subscriber")
    return _Checked(key[:MAX_MESSAGE_KEY], request, error)


def _refuse_reused(conn: Connection, mid: int, checked: list[_Checked]) -> set[str]:
    """Refuse a messageKey used twice in the request, or in the account within 72 hours;
    the keys used before the window (to be replaced)."""
    given = [c.key for c in checked if c.error is None]
    used, expired = keys.used(conn, mid, keys.MESSAGE_KEY, given)
    seen: set[str] = set()
    for c in checked:
        if c.error is None and (c.key in used or c.key in seen):
            c.error = (109110, f"{V}_DuplicateMessageKey: Invalid subscriber")
        seen.add(c.key)
    return expired


def _intake_error(outcome: intake.Outcome) -> tuple[int, str] | None:
    """A recipient the intake did not enter (its address or key): the request's error for it.
    One it entered but suppressed is queued as far as the caller sees: EmailNotSent later."""
    if outcome.seq is not None or outcome.reason is None:
        return None
    return 109106, f"{V}_InvalidValue_to: {not_sent.name(outcome.reason)}"


def _rules(conn: Connection, mid: int, row: Any) -> intake.Rules:
    body = row.props
    subs = body.get("subscriptions") or {}
    resolved = body.get("__rules")
    if resolved:  # resolved when the definition was saved
        return intake.Rules(
            classification=resolved["classification"],
            list_id=resolved["list_id"],
            auto_add=bool(subs.get("autoAddSubscriber", True)),
            auto_update=bool(subs.get("updateSubscriber", True)),
            data_extension_id=resolved["data_extension_id"],
        )
    listed = find_ref(conn, mid, "List", {"CustomerKey": subs.get("list")})
    de = (
        find_ref(conn, mid, "DataExtension", {"CustomerKey": subs["dataExtension"]})
        if subs.get("dataExtension")
        else None
    )
    classification = find_ref(
        conn, mid, "SendClassification", {"CustomerKey": body.get("classification")}
    )
    return intake.Rules(
        classification=(classification.props if classification else {}).get(
            "SendClassificationType", "Operational"
        ),
        list_id=listed.id if listed else None,
        auto_add=bool(subs.get("autoAddSubscriber", True)),
        auto_update=bool(subs.get("updateSubscriber", True)),
        data_extension_id=de.id if de else None,
    )


def _stamp(moment: datetime | None, offset: int) -> str | None:
    """Marketing Cloud's timestamps: Central Standard Time, naive, milliseconds."""
    if moment is None:
        return None
    return to_system_time(moment, offset).isoformat(timespec="milliseconds")


def status(conn: Connection, mid: int, message_key: str, offset: int) -> dict[str, Any]:
    """EmailQueued, EmailSent or EmailNotSent for the newest send with that messageKey."""
    row = keys.message(conn, mid, keys.MESSAGE_KEY, message_key)
    if row is None:
        raise NotFound(
            f"MCMS_UTM_Runtime_ObjectNotFound: no message with messageKey {shown(message_key)}",
            e.REST_NOT_FOUND,
        )
    info = {"messageKey": row.message_key, "contactKey": row.subscriber_key, "to": row.email}
    composite = f"{row.definition_id}.{row.job_id}.{row.seq}"
    if row.status == "sent" or (row.status == "failed" and row.reason_code is None):
        # Handed to the relay (a bounce afterwards is a BounceEvent, as in Marketing Cloud).
        return {
            "eventCategoryType": "TransactionalSendEvents.EmailSent",
            "timestamp": _stamp(row.sent_at or row.accepted_at, offset),
            "compositeId": composite,
            "info": info,
        }
    if row.status == "failed":
        return {
            "eventCategoryType": "TransactionalSendEvents.EmailNotSent",
            "timestamp": _stamp(row.accepted_at, offset),
            "compositeId": composite,
            "info": {
                **info,
                "statusCode": row.reason_code,
                "statusMessage": not_sent.name(row.reason_code),
            },
        }
    return {
        "eventCategoryType": "TransactionalSendEvents.EmailQueued",
        "timestamp": _stamp(row.accepted_at, offset),
    }


def not_sent_feed(
    conn: Connection, mid: int, last_event_id: int, size: int, offset: int
) -> dict[str, Any]:
    """Messages not sent after event ``last_event_id``, oldest first."""
    rows = conn.execute(
        select(
            tracking_events.c.id,
            tracking_events.c.event_date,
            tracking_events.c.details,
            tracking_events.c.subscriber_key,
            message_keys.c.message_key,
            message_keys.c.definition_key,
        )
        .join(send_jobs, send_jobs.c.id == tracking_events.c.job_id)
        .outerjoin(
            message_keys,
            (message_keys.c.job_id == tracking_events.c.job_id)
            & (message_keys.c.seq == tracking_events.c.seq)
            & (message_keys.c.kind == keys.MESSAGE_KEY),
        )
        .where(
            tracking_events.c.mid == mid,
            tracking_events.c.event_type == "NotSent",
            tracking_events.c.id > last_event_id,
            send_jobs.c.origin == JobOrigin.TRANSACTIONAL_EMAIL,
        )
        .order_by(tracking_events.c.id)
        .limit(size)
    ).all()
    messages = [
        {
            "statusCode": (r.details or {}).get("StatusCode"),
            "statusMessage": (r.details or {}).get("StatusMessage"),
            "eventCategoryType": "TransactionalSendEvents.EmailNotSent",
            "timestamp": _stamp(r.event_date, offset),
            "definitionKey": r.definition_key,
            "eventID": r.id,
            "info": {"messageKey": r.message_key, "contactKey": r.subscriber_key},
        }
        for r in rows
    ]
    return {
        "lastEventID": rows[-1].id if rows else last_event_id,
        "messages": messages,
        "count": len(messages),
        "pageSize": size,
    }


def accepted(results: Sequence[RecipientResult]) -> list[dict[str, Any]]:
    """The ``responses`` array of a send's reply."""
    out = []
    for r in results:
        item: dict[str, Any] = {"messageKey": r.message_key}
        if r.errorcode:
            item.update(errorcode=r.errorcode, message=r.message)
        out.append(item)
    return out
