"""The legacy REST triggered send (``/messaging/v1/messageDefinitionSends``) over a SOAP
TriggeredSendDefinition: ``send``, ``sendBatch`` and delivery records by recipientSendId.

The definition is named ``key:{CustomerKey}`` or by its ObjectID. Each request gets a
recipientSendId (the reply's requestId for a single send, as every documented sample shows);
its recipient is checked and queued as a SOAP TriggeredSend's is (``recipient_intake``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from sendwell.domain import errors as e
from sendwell.domain import not_sent
from sendwell.domain.clock import to_system_time
from sendwell.domain.errors import Invalid, NotFound, shown
from sendwell.domain.secrets import new_guid
from sendwell.services import recipient_intake as intake
from sendwell.services.catalog import find_ref
from sendwell.services.triggered_definitions import TSD
from sendwell.services.triggered_sends import definition_for_send, rules_of
from sendwell.store import message_keys as keys

# A missing or unusable To.Address (the third documented reply: no requestId, no id).
NO_ADDRESS = {"recipientSendId": "", "hasErrors": True, "messages": ["InvalidOrMissingToAddress"]}


def definition_ref(ref: str) -> dict[str, str]:
    """``key:ABC`` names a CustomerKey, anything else an ObjectID."""
    return {"CustomerKey": ref[4:]} if ref.lower().startswith("key:") else {"ObjectID": ref}


def _get(mapping: Any, name: str) -> Any:
    """A field by name whatever its case (FuelSDKWrapper sends ``OPTIONS``)."""
    if not isinstance(mapping, Mapping):
        return None
    return next((v for k, v in mapping.items() if str(k).lower() == name.lower()), None)


def send(conn: Connection, mid: int, ref: str, items: list[Any]) -> list[dict[str, Any]]:
    """Queue each item's message; one response per item, in order."""
    if find_ref(conn, mid, TSD, definition_ref(ref)) is None:
        raise NotFound(f"No triggered send definition {shown(ref)}", e.REST_NOT_FOUND)
    try:
        definition, job = definition_for_send(conn, mid, definition_ref(ref))
    except Invalid as exc:
        error = {"messageErrorCode": exc.code, "messageErrorStatus": exc.message}
        return [{"recipientSendId": "", "hasErrors": True, "messageErrors": [error]}] * len(items)
    rules = rules_of(conn, mid, definition)
    responses: list[dict[str, Any]] = []
    for item in items:
        to, sender = _get(item, "To"), _get(item, "From")
        address = _get(to, "Address")
        if not isinstance(address, str) or not address.strip():
            responses.append(
                {
                    "recipientSendId": "",
                    "hasErrors": True,
                    "messages": ["InvalidOrMissingToAddress"],
                }
            )
            continue
        attributes = _get(_get(to, "ContactAttributes"), "SubscriberAttributes") or {}
        request = intake.Request(
            email=address.strip(),
            subscriber_key=str(_get(to, "SubscriberKey") or address.strip()),
            attributes={str(k): "" if v is None else str(v) for k, v in attributes.items()},
            from_name=_get(sender, "Name"),
            from_address=_get(sender, "Address"),
        )
        (outcome,) = intake.take(conn, mid, job.id, rules, [request])
        responses.append(_response(conn, mid, job.id, definition, outcome))
    return responses


def _response(
    conn: Connection, mid: int, job_id: int, definition: Any, outcome: intake.Outcome
) -> dict[str, Any]:
    if outcome.seq is None:
        return dict(NO_ADDRESS)
    recipient_send_id = new_guid()
    keys.keep(
        conn,
        mid,
        keys.RECIPIENT_SEND_ID,
        [(recipient_send_id, job_id, outcome.seq)],
        definition.customer_key,
    )
    if outcome.reason is not None:
        status = f"{not_sent.name(outcome.reason)}: {not_sent.description(outcome.reason)}"
        return {
            "recipientSendId": recipient_send_id,
            "hasErrors": True,
            "messageErrors": [
                {"messageErrorCode": e.TS_NO_VALID_SUBSCRIBERS, "messageErrorStatus": status}
            ],
        }
    return {"recipientSendId": recipient_send_id, "hasErrors": False, "messages": ["Queued"]}


def delivery_record(
    conn: Connection, mid: int, ref: str, recipient_send_id: str, offset: int
) -> dict[str, Any]:
    """Sent, Queued or Error for one recipientSendId of the definition."""
    definition = find_ref(conn, mid, TSD, definition_ref(ref))
    row = keys.message(conn, mid, keys.RECIPIENT_SEND_ID, recipient_send_id)
    if definition is None or row is None or row.definition_id != definition.id:
        raise NotFound(f"No delivery record {shown(recipient_send_id)}", e.REST_NOT_FOUND)
    record: dict[str, Any] = {"id": definition.object_id, "messageId": row.message_key}
    to = {"address": row.email, "id": row.seq, "key": row.subscriber_key}
    if row.status == "sent":
        when = to_system_time(row.sent_at, offset).isoformat(timespec="milliseconds")
        return {"deliveryTime": when, **record, "status": "Sent", "to": to}
    if row.status == "failed":
        reason = (
            not_sent.description(row.reason_code) if row.reason_code else (row.smtp_reply or "")
        )
        return {
            **record,
            "status": "Error",
            "to": to,
            "messageErrors": [{"messageErrorStatus": reason}],
        }
    return {**record, "status": "Queued"}
