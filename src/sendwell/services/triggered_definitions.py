"""``TriggeredSendDefinition``: the partner API object behind triggered sends, and its job.

Created New; an Update to Active starts it, to Inactive pauses it (requests queue), Canceled
archives it for good; ``RefreshContent`` publishes changes of its email, subject or sender to
the messages still to come. Each definition that has been started has one continuous job: its
status follows the definition's (Active: Sending, Inactive: Paused), its ledger holds every
request's recipients in arrival order. Error codes are Marketing Cloud's 17000 range.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, update

from sendwell.domain import errors as e
from sendwell.domain.errors import Invalid, NotFound, WrongState
from sendwell.domain.jobs import TERMINAL, JobStatus, addresses
from sendwell.domain.secrets import new_guid
from sendwell.domain.triggered import TriggeredStatus, check_move, parse_status
from sendwell.services import job_specs
from sendwell.services.catalog import CatalogKind, describe_ref, find_ref, ref_stub
from sendwell.services.rules import check_content, valid_email
from sendwell.store import continuous, jobs
from sendwell.store.tables import objects

TSD = "TriggeredSendDefinition"
# Fields an Update may carry while the definition is Active (content changes need a pause).
STATUS_FIELDS = frozenset(
    {"__type__", "Client", "PartnerKey", "PartnerProperties", "ID", "ObjectID", "CustomerKey"}
    | {"TriggeredSendStatus", "RefreshContent"}
)
# Marketing Cloud's echo shows Priority 4 and these constants (MCDEV fixtures).
DEFAULTS = {
    "TriggeredSendType": "Continuous",
    "BatchInterval": 0,
    "AllowedSlots": 0,
    "NewSlotTrigger": 0,
    "Priority": "4",
    "AutoAddSubscribers": True,
    "AutoUpdateSubscribers": True,
    "IsSendLogging": True,
}


def normalise(conn: Connection, mid: int, props: dict, old: Mapping | None) -> dict:
    """Check a definition's properties and store its references as stubs."""
    props.pop("RefreshContent", None)  # an instruction, not a property
    if not props.get("Name"):
        raise Invalid("Triggered Send Definition Name Invalid", e.TSD_NAME_INVALID)
    props["TriggeredSendStatus"] = parse_status(props.get("TriggeredSendStatus") or "New")
    email = find_ref(conn, mid, "Email", props.get("Email"))
    if email is None:
        raise Invalid(
            f"Triggered Send Definition Email Not Found: {describe_ref(props.get('Email') or {})}",
            e.TSD_EMAIL_NOT_FOUND,
        )
    props["Email"] = {"ID": email.id}
    classification = props.get("SendClassification") or {"CustomerKey": "Default Commercial"}
    row = find_ref(conn, mid, "SendClassification", classification)
    if row is None:
        raise Invalid(
            "Triggered Send Definition Send Classification Not Found: "
            + describe_ref(classification),
            e.TSD_SEND_CLASSIFICATION_NOT_FOUND,
        )
    props["SendClassification"] = ref_stub(row)
    for field, type_name, code in (
        ("SenderProfile", "SenderProfile", e.TSD_FROM_ADDRESS_INVALID),
        ("List", "List", e.TSD_LIST_NOT_FOUND),
        ("SendSourceDataExtension", "DataExtension", e.DE_NOT_FOUND),
    ):
        ref = props.get(field)
        if ref and any(ref.get(k) for k in ("ID", "ObjectID", "CustomerKey", "Name")):
            found = find_ref(conn, mid, type_name, ref)
            if found is None:
                raise Invalid(f"{field} {describe_ref(ref)} was not found.", code)
            props[field] = ref_stub(found)
    props["ExclusionListCollection"] = [
        _exclusion(conn, mid, item) for item in props.get("ExclusionListCollection") or []
    ]
    if props.get("FromAddress") and not valid_email(props["FromAddress"]):
        raise Invalid("Triggered Send Definition From Address Invalid", e.TSD_FROM_ADDRESS_INVALID)
    for field in ("BccEmail", "CCEmail"):
        if any(not valid_email(a) for a in addresses(props.get(field))):
            raise Invalid(f"Triggered Send Definition {field} Invalid", e.TSD_BCC_EMAIL_INVALID)
    for field in ("EmailSubject", "DynamicEmailSubject", "FromName", "ReplyToAddress"):
        value = props.get(field)
        if isinstance(value, str) and ("\r" in value or "\n" in value):
            raise Invalid(f"{field} must not contain line breaks.", e.TSD_EMAIL_SUBJECT_INVALID)
    check_content(props, "EmailSubject", "DynamicEmailSubject", code=e.TSD_INVALID_PERSONALIZATION)
    for name, value in DEFAULTS.items():
        props.setdefault(name, value)
    return props


def _exclusion(conn: Connection, mid: int, item: Mapping[str, Any]) -> dict[str, Any]:
    """An exclusion list entry: a list, or a data extension by its ObjectID (CustomObjectID)."""
    if item.get("List"):
        row = find_ref(conn, mid, "List", item["List"])
        kind = "List"
    else:
        ref = {"ObjectID": item.get("CustomObjectID")} if item.get("CustomObjectID") else item
        row = find_ref(conn, mid, "DataExtension", ref)
        kind = "CustomObject"
    if row is None:
        raise Invalid(
            f"An exclusion list {describe_ref(item)} was not found.", e.TSD_LIST_NOT_FOUND
        )
    out: dict[str, Any] = {"DataSourceTypeID": kind, "ObjectID": item.get("ObjectID") or new_guid()}
    if kind == "List":
        out["List"] = {"ID": row.id}
    else:
        out["CustomObjectID"] = row.object_id
    return out


class TriggeredSendDefinitionKind(CatalogKind):
    """Create / Retrieve / Update / Delete of triggered send definitions; they drive the job."""

    def __init__(self) -> None:
        super().__init__(TSD, normalise, not_found_code=e.TSD_NOT_FOUND)

    def find(self, conn: Connection, mid: int, ref: Mapping[str, Any]) -> Any:
        """The definition ``ref`` names; NotFound (17015) with Marketing Cloud's phrase."""
        try:
            return super().find(conn, mid, ref)
        except NotFound as exc:
            raise NotFound(
                f"Triggered Send Definition Not Found: {exc.message}", exc.code
            ) from None

    def create(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        stored = super().create(conn, mid, obj)
        status = TriggeredStatus(stored["TriggeredSendStatus"])
        if status not in (TriggeredStatus.NEW, TriggeredStatus.CANCELED):
            _follow(conn, mid, self.find(conn, mid, {"ID": stored["ID"]}), status, False)
        return stored

    def update(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        row = self.find(conn, mid, obj)
        current = TriggeredStatus(row.props.get("TriggeredSendStatus") or "New")
        target = parse_status(obj.get("TriggeredSendStatus") or current)
        if target != current:
            check_move(current, target)
        elif current in (TriggeredStatus.CANCELED, TriggeredStatus.DELETED):
            raise WrongState(
                f"Triggered Send Definition Cannot Be Updated: it is {current}.",
                e.TSD_CANNOT_BE_UPDATED,
            )
        changes_content = bool(set(obj) - STATUS_FIELDS)
        if changes_content and current == TriggeredStatus.ACTIVE:
            raise WrongState(
                "Triggered Send Definition Cannot Be Updated while it is Active: pause it "
                "(TriggeredSendStatus Inactive), update it, then publish and start it.",
                e.TSD_CANNOT_BE_UPDATED,
            )
        refresh = _true(obj.get("RefreshContent"))
        stored = super().update(conn, mid, obj)
        _follow(conn, mid, self.find(conn, mid, {"ID": stored["ID"]}), target, refresh)
        return stored

    def delete(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        """Deleted, renamed so that its key and name can be used again (as Marketing Cloud
        does); its job ends and what was queued is not sent."""
        row = self.find(conn, mid, obj)
        if row.props.get("TriggeredSendStatus") == TriggeredStatus.DELETED:
            raise WrongState("Triggered Send Definition Not Found", e.TSD_NOT_FOUND)
        _follow(conn, mid, row, TriggeredStatus.DELETED, False)
        suffix = f" [deleted {new_guid()[:8]}]"
        conn.execute(
            update(objects)
            .where(objects.c.id == row.id)
            .values(
                customer_key=f"{row.customer_key}{suffix}"[:200],
                name=f"{row.name or ''}{suffix}"[:200],
                props={**row.props, "TriggeredSendStatus": TriggeredStatus.DELETED},
            )
        )
        return {"__type__": TSD, "ObjectID": None, "CustomerKey": row.customer_key}


def _true(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1")


def _follow(conn: Connection, mid: int, row: Any, status: TriggeredStatus, refresh: bool) -> None:
    """Make the definition's job follow its status (and publish its content if asked)."""
    job = current_job(conn, mid, row.id)
    if status in (TriggeredStatus.ACTIVE, TriggeredStatus.INACTIVE):
        if job is None:
            spec = job_specs.for_triggered_send_definition(conn, mid, row)
            job_id = jobs.create_job(
                conn, mid, spec, interaction_object_id=row.object_id, definition_id=row.id
            )
            job = jobs.job_by_id(conn, job_id)
        elif refresh:
            jobs.republish(conn, job.id, job_specs.for_triggered_send_definition(conn, mid, row))
        if status == TriggeredStatus.ACTIVE and job.status == JobStatus.PAUSED:
            jobs.move(conn, job, "resume")
        elif status == TriggeredStatus.INACTIVE and job.status == JobStatus.SENDING:
            jobs.move(conn, job, "pause")
    elif job is not None and status in (TriggeredStatus.CANCELED, TriggeredStatus.DELETED):
        jobs.move(conn, job, "cancel")
        continuous.clear_queue(conn, mid, job.id)


def current_job(conn: Connection, mid: int, definition_id: int) -> Any:
    """The definition's job while it takes requests (its newest, unless that one ended)."""
    job_id = jobs.latest_job_of_definition(conn, mid, definition_id)
    job = jobs.job_by_id(conn, job_id) if job_id is not None else None
    return None if job is None or job.status in TERMINAL else job
