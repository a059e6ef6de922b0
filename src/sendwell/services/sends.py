"""Starting a send, and the send job as the partner API shows it (``Send``, ``SentEvent``).

``start`` validates the definition, freezes what to send into the job's spec and returns at
once; the engine builds the audience and delivers in the background.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from sendwell.domain import errors as e
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import Invalid, NotFound
from sendwell.domain.filters import Complex, Filter, Simple
from sendwell.domain.secrets import new_guid
from sendwell.services.catalog import Unsupported, describe_ref, find_ref, page
from sendwell.services.rules import check_content, de_fields, valid_email
from sendwell.store.tables import recipients, send_jobs


@dataclass(frozen=True)
class StartedSend:
    job_id: int
    interaction_object_id: str
    definition: dict[str, Any]


def start_send(
    conn: Connection, mid: int, ref: Mapping[str, Any], sender: Mapping[str, Any] | None = None
) -> StartedSend:
    """Create the send job for an EmailSendDefinition; delivery happens in the background."""
    if not any(ref.get(k) for k in ("CustomerKey", "ObjectID", "ID")):
        raise Invalid(
            "The EmailSendDefinition needs a CustomerKey or ObjectID.", e.ESD_CUSTOMER_KEY_INVALID
        )
    definition = find_ref(conn, mid, "EmailSendDefinition", ref)
    if definition is None:
        raise NotFound(f"EmailSendDefinition {describe_ref(ref)} was not found.", e.ESD_NOT_FOUND)
    spec = build_spec(conn, mid, definition, sender or {})
    stamp = utcnow()
    interaction_id = new_guid()
    job_id = conn.execute(
        insert(send_jobs).values(
            mid=mid,
            definition_id=definition.id,
            interaction_object_id=interaction_id,
            status="Sending",
            phase="audience",
            spec=spec,
            created_at=stamp,
            modified_at=stamp,
        )
    ).inserted_primary_key[0]
    echo = {
        "__type__": "EmailSendDefinition",
        "ObjectID": definition.object_id,
        "CustomerKey": definition.customer_key,
        "Name": definition.name,
    }
    if sender:
        given = {k: v for k, v in sender.items() if k in ("FromName", "FromAddress")}
        echo["SenderProfile"] = {"ObjectID": None, **given}  # as Marketing Cloud echoes it
    return StartedSend(int(job_id), interaction_id, echo)


def build_spec(
    conn: Connection, mid: int, definition: Any, sender: Mapping[str, Any]
) -> dict[str, Any]:
    """Everything the engine needs, resolved and frozen at start time."""
    props = definition.props
    email = find_ref(conn, mid, "Email", props.get("Email"))
    if email is None:
        raise Invalid("The definition's Email no longer exists.", e.ESD_EMAIL_NOT_FOUND)
    subject = props.get("EmailSubject") or email.props.get("Subject") or ""
    check_content({**email.props, "Subject": subject}, "Subject", "HTMLBody", "TextBody")
    classification = find_ref(conn, mid, "SendClassification", props.get("SendClassification"))
    if classification is None:
        raise Invalid(
            "The definition's SendClassification no longer exists.", e.ESD_CLASSIFICATION_NOT_FOUND
        )
    profile_ref = props.get("SenderProfile") or classification.props.get("SenderProfile")
    from_name, from_address, reply_to = resolve_sender(conn, mid, profile_ref, sender)
    sources, exclusions = [], []
    for item in props.get("SendDefinitionList") or []:
        target = sources if item["SendDefinitionListType"] == "SourceList" else exclusions
        target.append(_audience_source(conn, mid, item))
    return {
        # Fixed per job: a recipient's Message-ID is the same on every delivery attempt.
        "message_token": secrets.token_hex(8),
        "definition": {
            "ID": definition.id,
            "ObjectID": definition.object_id,
            "CustomerKey": definition.customer_key,
            "Name": definition.name,
        },
        "email": {
            "ID": email.id,
            "Name": email.props.get("Name"),
            "HTMLBody": email.props.get("HTMLBody"),
            "TextBody": email.props.get("TextBody"),
        },
        "subject": props.get("EmailSubject") or email.props.get("Subject") or "",
        "from_name": from_name,
        "from_address": from_address,
        "reply_to": reply_to,
        "classification": classification.props.get("SendClassificationType", "Marketing"),
        "sources": sources,
        "exclusions": exclusions,
        "dedupe_by_email": bool(props.get("DeduplicateByEmail")),
        "send_logging": bool(props.get("IsSendLogging", True)),
        "bcc": props.get("BccEmail"),
        "tracking": not props.get("SuppressTracking"),  # opens and clicks
    }


def resolve_sender(
    conn: Connection, mid: int, profile_ref: Mapping[str, Any] | None, dynamic: Mapping[str, Any]
) -> tuple[str, str, str | None]:
    """From name, From address and Reply-To: the dynamic sender over the sender profile."""
    profile = find_ref(conn, mid, "SenderProfile", profile_ref)
    props = profile.props if profile else {}
    from_name = dynamic.get("FromName") or props.get("FromName") or ""
    from_address = dynamic.get("FromAddress") or props.get("FromAddress")
    if not valid_email(from_address):
        raise Invalid(f"The From address {from_address!r} is not valid.", 2)
    if "\r" in from_name or "\n" in from_name:
        raise Invalid("The From name must not contain line breaks.", 2)
    return from_name, from_address, props.get("ReplyToAddress") or None


def _audience_source(conn: Connection, mid: int, item: Mapping[str, Any]) -> dict[str, Any]:
    kind = item["DataSourceTypeID"]
    if kind == "List":
        row = find_ref(conn, mid, "List", item["List"])
        if row is None:
            raise Invalid("A list of the definition no longer exists.", e.ESD_LIST_NOT_FOUND)
        return {"kind": "list", "list_id": row.id}
    if kind == "CustomObject":
        row = find_ref(conn, mid, "DataExtension", {"ObjectID": item["CustomObjectID"]})
        if row is None:
            raise Invalid(
                "A data extension of the definition no longer exists.", e.ESD_DE_NOT_FOUND
            )
        return {"kind": "de", "de_id": row.id, "fields": field_types(row.props)}
    row = find_ref(conn, mid, "FilterDefinition", item["FilterDefinition"])
    if row is None:
        raise Invalid(
            "A filter definition of the definition no longer exists.",
            e.ESD_SEND_DEFINITION_LIST_INVALID,
        )
    source = row.props["DataSource"]
    target = find_ref(conn, mid, source["__type__"], source)
    if target is None:
        raise Invalid(
            "The filter's data source no longer exists.", e.ESD_SEND_DEFINITION_LIST_INVALID
        )
    if source["__type__"] == "DataExtension":
        return {
            "kind": "de",
            "de_id": target.id,
            "filter": row.props["DataFilter"],
            "fields": field_types(target.props),
        }
    return {"kind": "list", "list_id": target.id, "filter": row.props["DataFilter"]}


def field_types(de_props: Mapping[str, Any]) -> dict[str, str]:
    """A data extension's field names and Marketing Cloud field types."""
    return {f["Name"]: f.get("FieldType", "Text") for f in de_fields(de_props)}


class SendKind(Unsupported):
    """The send job (JobID) as a partner API ``Send``."""

    type_name = "Send"

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        query = select(send_jobs).where(send_jobs.c.mid == mid).order_by(send_jobs.c.id)
        job_id = equality_on(tree, "ID")
        if job_id is not None:
            query = query.where(send_jobs.c.id == job_id)
        from sendwell.services.events import counters  # it builds on this module

        tracked = counters(conn, mid, job_id)
        sends = (send_to_api(r, tracked.get(r.id)) for r in conn.execute(query))
        return page(sends, tree, offset, limit)


def send_to_api(job: Any, counts: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The job as a ``Send``; ``counts`` holds counters kept from tracking events."""
    counts = counts or {}
    spec = job.spec
    delivered = job.sent
    return {
        "__type__": "Send",
        "Client": {"ID": job.mid},
        "CreatedDate": job.created_at,
        "ModifiedDate": job.modified_at,
        "ID": job.id,
        "Email": {"ID": spec["email"]["ID"]},
        "SendDate": job.created_at,
        "FromAddress": spec["from_address"],
        "FromName": spec["from_name"],
        "Duplicates": job.duplicates,
        "InvalidAddresses": job.invalid,
        "ExistingUndeliverables": job.undeliverable,
        "ExistingUnsubscribes": job.unsubscribed,
        "HardBounces": counts.get("HardBounces", 0),
        "SoftBounces": counts.get("SoftBounces", 0),
        "OtherBounces": counts.get("OtherBounces", 0),
        "ForwardedEmails": 0,
        "UniqueClicks": counts.get("UniqueClicks", 0),
        "UniqueOpens": counts.get("UniqueOpens", 0),
        "NumberSent": job.sent,
        "NumberDelivered": delivered,
        "Unsubscribes": counts.get("Unsubscribes", 0),
        "MissingAddresses": 0,
        "Subject": spec["subject"],
        "SentDate": job.completed_at,
        "EmailName": spec["email"]["Name"],
        "Status": job.status,
        "IsMultipart": bool(spec["email"]["HTMLBody"] and spec["email"]["TextBody"]),
        "NumberTargeted": job.targeted,
        "NumberErrored": job.errored,
        "NumberExcluded": job.excluded,
        "BccEmail": spec.get("bcc"),
        "EmailSendDefinition": {
            "ObjectID": spec["definition"]["ObjectID"],
            "CustomerKey": spec["definition"]["CustomerKey"],
        },
    }


class SentEventKind(Unsupported):
    """One ``SentEvent`` per delivered recipient of jobs whose definition logs sends."""

    type_name = "SentEvent"

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        jobs = select(send_jobs.c.id, send_jobs.c.spec).where(send_jobs.c.mid == mid)
        job_id = equality_on(tree, "SendID")
        if job_id is not None:
            jobs = jobs.where(send_jobs.c.id == job_id)
        logged = [j.id for j in conn.execute(jobs) if j.spec.get("send_logging")]
        if not logged:
            return [], False
        rows = conn.execute(
            select(
                recipients.c.job_id,
                recipients.c.subscriber_key,
                recipients.c.sent_at,
            )
            .where(recipients.c.job_id.in_(logged), recipients.c.status == "sent")
            .order_by(recipients.c.job_id, recipients.c.seq)
        )
        events = (
            {
                "__type__": "SentEvent",
                "Client": {"ID": mid},
                "SendID": r.job_id,
                "SubscriberKey": r.subscriber_key,
                "EventDate": r.sent_at,
                "EventType": "Sent",
            }
            for r in rows
        )
        return page(events, tree, offset, limit)


def equality_on(tree: Filter | None, prop: str) -> int | None:
    """An ``prop equals N`` condition that every match must satisfy, to narrow the query."""
    if isinstance(tree, Simple):
        if tree.property.lower() == prop.lower() and tree.operator == "equals":
            try:
                return int(str(tree.values[0]).strip())
            except ValueError:
                return -1
        return None
    if isinstance(tree, Complex) and tree.operator == "AND":
        for operand in tree.operands:
            found = equality_on(operand, prop)
            if found is not None:
                return found
    return None
