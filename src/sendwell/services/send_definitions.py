"""Integrated send definitions (the REST Send API's ``EmailDefinition``): validate, store, find.

A definition names an email, a send classification and a Salesforce audience (Targets minus
Exclusions). It is stored with every field and its defaults, and read again whenever one of its
instances starts, so an update affects instances still waiting to start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from sendwell.domain.clock import utcnow
from sendwell.domain.errors import (
    REST_EXISTS,
    REST_INVALID_VALUE,
    REST_MISSING_FIELD,
    REST_NOT_FOUND,
    Invalid,
    NotFound,
    clipped,
    shown,
)
from sendwell.domain.jobs import addresses
from sendwell.domain.limits import check_lengths, parse_id
from sendwell.domain.salesforce_ids import same_id
from sendwell.domain.secrets import new_guid
from sendwell.services.catalog import find_ref
from sendwell.services.rules import check_content, valid_email
from sendwell.services.salesforce import connector_for, parse_audience
from sendwell.store.tables import list_members, objects, send_definitions, subscribers

REQUIRED = ("Name", "EmailId", "SendClassificationId", "Targets")
DEFAULTS: dict[str, Any] = {
    "IsMultipartMIME": True,
    "UseSendLogging": False,
    "SupressFromReports": False,
    "RequestIntegratedTracking": True,
    "TrackingFolderId": 0,
    "DedupeByEmail": False,
}
ACTIVE = ("Scheduled", "Processing", "Sending", "Cancel Pending")
# Seed list sends copy every Nth message to the members of this List (Marketing Cloud keeps
# seed lists per account; Sendwell takes the List of this name).
SEED_LIST = "Seed List"


def _number(body: Mapping[str, Any], field: str) -> int | None:
    value = body.get(field)
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise Invalid(f"{field} must be a number, not {shown(value)}", REST_INVALID_VALUE) from None


def validate(
    conn: Connection, mid: int, given: Mapping[str, Any], key: str | None, secret_key: str = ""
) -> dict[str, Any]:
    """Check an EmailDefinition and return it as stored: defaults filled, references checked."""
    body = {k: v for k, v in given.items() if v is not None}
    check_lengths("EmailDefinition", body)
    missing = [f for f in REQUIRED if body.get(f) in (None, "", [])]
    if missing:
        raise Invalid(
            "One or more required fields are missing from this email send definition: "
            + ", ".join(missing),
            REST_MISSING_FIELD,
        )
    email = find_ref(conn, mid, "Email", {"ID": _number(body, "EmailId")})
    if email is None:
        raise Invalid(
            f"Salesforce Send Unknown Email: no email with Id {body['EmailId']}", REST_INVALID_VALUE
        )
    subject = body.get("EmailSubject") or email.props.get("Subject") or ""
    parts = {**email.props, "Subject": subject}
    check_content(parts, "Subject", "HTMLBody", "TextBody", code=REST_INVALID_VALUE)
    classification = find_ref(
        conn, mid, "SendClassification", {"ID": _number(body, "SendClassificationId")}
    )
    if classification is None:
        raise Invalid(
            f"No send classification with Id {body['SendClassificationId']}", REST_INVALID_VALUE
        )
    for field, type_name in (
        ("OverrideSenderProfileId", "SenderProfile"),
        ("OverrideDeliveryProfileId", "DeliveryProfile"),
    ):
        number = _number(body, field)
        if number is not None and find_ref(conn, mid, type_name, {"ID": number}) is None:
            raise Invalid(f"No {type_name} with Id {number} for {field}", REST_INVALID_VALUE)
    for field in ("CC", "Bcc"):
        for address in addresses(body.get(field)):
            if not valid_email(address):
                raise Invalid(f"{field} address {shown(address)} is not valid", REST_INVALID_VALUE)
    body["Targets"] = _audience(conn, mid, body.get("Targets"), "Target", secret_key)
    body["Exclusions"] = _audience(conn, mid, body.get("Exclusions") or [], "Exclusion", secret_key)
    types = {a["Type"] for a in body["Targets"] + body["Exclusions"]}
    if "SalesforceDataExtension" in types and len(types) > 1:
        raise Invalid(
            "Targets and exclusions of type SalesforceDataExtension cannot be mixed with others",
            REST_INVALID_VALUE,
        )
    seed = body.get("SeedList") or {}
    if seed.get("IsSeedListSend"):
        if not seed_addresses(conn, mid):
            raise Invalid(
                f"IsSeedListSend needs a List named '{SEED_LIST}' with active members",
                REST_INVALID_VALUE,
            )
        if int(seed.get("SeedListOccurance") or 0) < 1:
            raise Invalid(
                "SeedList.SeedListOccurance must be a positive number", REST_INVALID_VALUE
            )
    throttle = body.get("SendThrottling")
    if throttle:
        limit = throttle.get("ThrottleLimit")
        if limit is not None and (not isinstance(limit, int) or limit <= 0):
            raise Invalid(
                "SendThrottling.ThrottleLimit must be a positive number", REST_INVALID_VALUE
            )
    for field, value in DEFAULTS.items():
        body.setdefault(field, value)
    body.setdefault("EmailSubject", email.props.get("Subject") or "")
    body["ExternalKey"] = body.get("ExternalKey") or key or new_guid()
    return body


def _audience(
    conn: Connection, mid: int, entries: Any, role: str, secret_key: str
) -> list[dict[str, str]]:
    if not isinstance(entries, list):
        raise Invalid(f"{role}s must be a list", REST_INVALID_VALUE)
    if role == "Target" and not entries:
        raise Invalid("Salesforce Send No Targets", REST_MISSING_FIELD)
    connector = connector_for(conn, mid, secret_key)
    out = []
    for entry in entries:
        try:
            ref = parse_audience(entry)
        except Invalid as exc:
            raise Invalid(
                f"Salesforce Send Invalid {role}: {exc.message}", REST_INVALID_VALUE
            ) from None
        if not connector.exists(conn, mid, ref):
            raise Invalid(
                f"Salesforce Send Invalid {role}: {ref.type} {ref.id} was not found",
                REST_INVALID_VALUE,
            )
        out.append({"Type": ref.type, "Name": ref.name, "Id": ref.id})
    return out


def seed_addresses(conn: Connection, mid: int) -> list[str]:
    """The account's seed list: active members of the List named "Seed List"."""
    rows = conn.execute(
        select(subscribers.c.email)
        .join(list_members, list_members.c.subscriber_id == subscribers.c.id)
        .join(objects, objects.c.id == list_members.c.list_id)
        .where(
            objects.c.mid == mid,
            objects.c.type == "List",
            func.lower(objects.c.name) == SEED_LIST.lower(),
            list_members.c.status == "Active",
        )
        .order_by(subscribers.c.id)
    )
    return [r.email for r in rows]


def create(
    conn: Connection, mid: int, given: Mapping[str, Any], secret_key: str = ""
) -> dict[str, Any]:
    key = given.get("ExternalKey")
    if key and _by_key(conn, mid, key) is not None:
        raise Invalid(f"A definition with ExternalKey {shown(key)} already exists", REST_EXISTS)
    body = validate(conn, mid, given, None, secret_key)
    now = utcnow()
    definition_id = conn.execute(
        insert(send_definitions).values(
            mid=mid,
            external_key=body["ExternalKey"],
            name=body["Name"],
            body=body,
            created_at=now,
            modified_at=now,
        )
    ).inserted_primary_key[0]
    return {**body, "DefinitionId": str(definition_id)}


def replace(
    conn: Connection, mid: int, definition_id: str, given: Mapping[str, Any], secret_key: str = ""
) -> None:
    row = get_row(conn, mid, definition_id)
    key = given.get("ExternalKey") or row.external_key
    other = _by_key(conn, mid, key)
    if other is not None and other.id != row.id:
        raise Invalid(f"A definition with ExternalKey {shown(key)} already exists", REST_EXISTS)
    body = validate(conn, mid, given, key, secret_key)
    conn.execute(
        update(send_definitions)
        .where(send_definitions.c.id == row.id)
        .values(external_key=key, name=body["Name"], body=body, modified_at=utcnow())
    )


def get(conn: Connection, mid: int, definition_id: str) -> dict[str, Any]:
    row = get_row(conn, mid, definition_id)
    return {**row.body, "DefinitionId": str(row.id), "ExternalKey": row.external_key}


def get_row(conn: Connection, mid: int, definition_id: str, include_deleted: bool = False) -> Any:
    """The definition row, or NotFound in Marketing Cloud's words."""
    row = None
    number = parse_id(definition_id)
    if number is not None:
        query = select(send_definitions).where(
            send_definitions.c.mid == mid, send_definitions.c.id == number
        )
        if not include_deleted:
            query = query.where(send_definitions.c.deleted_at.is_(None))
        row = conn.execute(query).first()
    if row is None:
        raise NotFound(
            "Unable to find a salesforce email send definition with the Id "
            f"{clipped(definition_id)} for mid {mid}",
            REST_NOT_FOUND,
        )
    return row


def _by_key(conn: Connection, mid: int, key: str) -> Any:
    return conn.execute(
        select(send_definitions).where(
            send_definitions.c.mid == mid,
            func.lower(send_definitions.c.external_key) == str(key).lower(),
        )
    ).first()


def search(
    conn: Connection, mid: int, criteria: Mapping[str, Any], page: int, page_size: int
) -> tuple[int, list[dict[str, str]]]:
    """Definitions named like ``Name`` and/or targeting or excluding ``SubscriberListId``."""
    name = (criteria.get("Name") or "").strip().lower()
    list_id = (criteria.get("SubscriberListId") or "").strip()
    if not name and not list_id:
        raise Invalid("Name or SubscriberListId is required", REST_MISSING_FIELD)
    both = str(criteria.get("Operation") or "or").lower() == "and"
    rows = conn.execute(
        select(send_definitions)
        .where(send_definitions.c.mid == mid, send_definitions.c.deleted_at.is_(None))
        .order_by(send_definitions.c.id.desc())
    )
    found = []
    for row in rows:
        tests = []
        if name:
            tests.append(name in row.name.lower())
        if list_id:
            ids = [a["Id"] for a in row.body.get("Targets", []) + row.body.get("Exclusions", [])]
            tests.append(any(_same(list_id, i) for i in ids))
        if all(tests) if both else any(tests):
            found.append(
                {"DefinitionId": str(row.id), "ExternalKey": row.external_key, "Name": row.name}
            )
    start = (page - 1) * page_size
    return len(found), found[start : start + page_size]


def _same(a: str, b: str) -> bool:
    try:
        return same_id(a, b)
    except ValueError:
        return a == b
