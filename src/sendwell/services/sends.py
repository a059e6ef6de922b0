"""Starting a send, and the send job as the partner API shows it (``Send``, ``SentEvent``).

``start`` validates the definition, freezes what to send into the job's spec and returns at
once; the engine builds the audience and delivers in the background.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from sendwell.domain import errors as e
from sendwell.domain.errors import Invalid, NotFound
from sendwell.domain.filters import Filter, equality_on
from sendwell.domain.jobs import CONTINUOUS_ORIGINS, ListSource
from sendwell.domain.secrets import new_guid
from sendwell.services import job_specs
from sendwell.services.catalog import Unsupported, describe_ref, find_ref, page
from sendwell.services.events import counters
from sendwell.store import jobs
from sendwell.store.tables import recipients, subscribers


@dataclass(frozen=True)
class StartedSend:
    job_id: int
    interaction_object_id: str
    definition: dict[str, Any]


def start_send(
    conn: Connection, mid: int, ref: Mapping[str, Any], sender: Mapping[str, Any] | None = None
) -> StartedSend:
    """Create the send job for an EmailSendDefinition; delivery happens in the background."""
    definition = find_definition(conn, mid, ref)
    spec = job_specs.for_email_send_definition(conn, mid, definition, sender or {})
    interaction_id = new_guid()
    job_id = jobs.create_job(
        conn, mid, spec, interaction_object_id=interaction_id, definition_id=definition.id
    )
    echo = {
        "__type__": "EmailSendDefinition",
        "ObjectID": definition.object_id,
        "CustomerKey": definition.customer_key,
        "Name": definition.name,
    }
    if sender:
        given = {k: v for k, v in sender.items() if k in ("FromName", "FromAddress")}
        echo["SenderProfile"] = {"ObjectID": None, **given}  # as Marketing Cloud echoes it
    return StartedSend(job_id, interaction_id, echo)


def find_definition(conn: Connection, mid: int, ref: Mapping[str, Any]) -> Any:
    """The account's EmailSendDefinition that ``ref`` names (CustomerKey, ObjectID or ID):
    Invalid (42100) without a key, NotFound (42002) when there is none."""
    if not any(ref.get(k) for k in ("CustomerKey", "ObjectID", "ID")):
        raise Invalid(
            "The EmailSendDefinition needs a CustomerKey or ObjectID.", e.ESD_CUSTOMER_KEY_INVALID
        )
    definition = find_ref(conn, mid, "EmailSendDefinition", ref)
    if definition is None:
        raise NotFound(f"EmailSendDefinition {describe_ref(ref)} was not found.", e.ESD_NOT_FOUND)
    return definition


class SendKind(Unsupported):
    """The send job (JobID) as a partner API ``Send``."""

    type_name = "Send"

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        job_id = equality_on(tree, "ID")
        tracked = counters(conn, mid, job_id)
        sends = (send_to_api(r, tracked.get(r.id)) for r in jobs.jobs_of(conn, mid, job_id))
        return page(sends, tree, offset, limit)


def send_to_api(job: Any, counts: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The job as a ``Send``; ``counts`` holds counters kept from tracking events."""
    counts = counts or {}
    spec = jobs.spec_of(job)
    delivered = job.sent
    return {
        "__type__": "Send",
        "Client": {"ID": job.mid},
        "CreatedDate": job.created_at,
        "ModifiedDate": job.modified_at,
        "ID": job.id,
        "Email": {"ID": spec.email.id},
        # A scheduled send's SendDate is when it goes (inferred: no Scheduled Send sample).
        "SendDate": job.scheduled_at or job.created_at,
        "FromAddress": spec.from_address,
        "FromName": spec.from_name,
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
        "Subject": spec.subject,
        "SentDate": job.completed_at,
        "EmailName": spec.email.name,
        "Status": job.status,
        "IsMultipart": spec.email.is_multipart,
        "NumberTargeted": job.targeted,
        "NumberErrored": job.errored,
        "NumberExcluded": job.excluded,
        "BccEmail": ", ".join(spec.bcc) or None,
        "EmailSendDefinition": {
            "ObjectID": spec.definition.object_id,
            "CustomerKey": spec.definition.customer_key,
        },
    }


class SentEventKind(Unsupported):
    """One ``SentEvent`` per delivered recipient of jobs whose definition logs sends."""

    type_name = "SentEvent"

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        job_id = equality_on(tree, "SendID")
        specs = {j.id: jobs.spec_of(j) for j in jobs.jobs_of(conn, mid, job_id)}
        logged = [job for job, spec in specs.items() if spec.send_logging]
        if not logged:
            return [], False
        # A triggered or transactional send's events name its definition and request
        # (BatchID): a transactional definitionId is the ObjectID of the TriggeredSendDefinition
        # behind it in Marketing Cloud.
        triggered = {
            job: spec.definition.object_id
            for job, spec in specs.items()
            if spec.origin in CONTINUOUS_ORIGINS
        }
        # The list a job targeted (its first list source; none for data extension sends).
        lists = {
            job: next((s.list_id for s in spec.sources if isinstance(s, ListSource)), None)
            for job, spec in specs.items()
        }
        rows = conn.execute(
            select(
                recipients.c.job_id,
                recipients.c.subscriber_key,
                recipients.c.sent_at,
                recipients.c.batch_id,
                subscribers.c.id.label("subscriber_id"),
            )
            .outerjoin(
                subscribers,
                (subscribers.c.mid == mid)
                & (subscribers.c.subscriber_key == recipients.c.subscriber_key),
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
                "TriggeredSendDefinitionObjectID": triggered.get(r.job_id),
                "BatchID": r.batch_id if r.job_id in triggered else None,
                "ListID": lists.get(r.job_id),
                "SubscriberID": r.subscriber_id,
            }
            for r in rows
        )
        return page(events, tree, offset, limit)
