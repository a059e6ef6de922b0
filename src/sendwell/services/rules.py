"""Per-type rules for catalog objects: what must be present, and which references resolve.

Each ``normalise_*`` takes the decoded property dict, checks it, resolves references to the
canonical stub (ID, ObjectID, CustomerKey) and returns what is stored. Error codes follow
Marketing Cloud's published tables (42000-42117 for EmailSendDefinition).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from sendwell.domain import errors as e
from sendwell.domain.content import content_error
from sendwell.domain.errors import Invalid, shown
from sendwell.domain.filters import parse_filter, properties_of
from sendwell.domain.secrets import new_guid
from sendwell.services.catalog import describe_ref, find_ref, ref_stub

EMAIL_RE = re.compile(r"^[^@\s<>\"(),;:\\\[\]]+@[^@\s<>\"(),;:\\\[\]]+\.[^@\s<>\"(),;:\\\[\]]+$")
FIELD_TYPES = (
    "Text",
    "Number",
    "Date",
    "Boolean",
    "EmailAddress",
    "Phone",
    "Decimal",
    "Locale",
)
SUBSCRIBER_KEY_NAMES = ("subscriber key", "_subscriberkey", "subscriberkey")


def valid_email(address: str | None) -> bool:
    return bool(address) and len(address) <= 254 and EMAIL_RE.match(address) is not None  # type: ignore[arg-type]


def normalise_sender_profile(conn: Connection, mid: int, props: dict, old: Mapping | None) -> dict:
    if not props.get("Name"):
        raise Invalid("SenderProfile needs a Name.")
    if not props.get("FromAddress"):
        raise Invalid("SenderProfile needs a FromAddress.")
    if not valid_email(props["FromAddress"]):
        raise Invalid(f"SenderProfile FromAddress {shown(props['FromAddress'])} is not valid.")
    _no_newlines(props, "FromName", "FromAddress", "ReplyToAddress", "ReplyToDisplayName")
    # The From name is personalised per recipient, like a subject.
    check_content(props, "FromName", code=e.ERR_GENERAL)
    return props


def normalise_classification(conn: Connection, mid: int, props: dict, old: Mapping | None) -> dict:
    if not props.get("Name"):
        raise Invalid("SendClassification needs a Name.")
    props.setdefault("SendClassificationType", "Marketing")
    props["SenderProfile"] = _resolve(conn, mid, "SenderProfile", props.get("SenderProfile"), True)
    if props.get("DeliveryProfile"):
        props["DeliveryProfile"] = _resolve(conn, mid, "DeliveryProfile", props["DeliveryProfile"])
    return props


def normalise_named(conn: Connection, mid: int, props: dict, old: Mapping | None) -> dict:
    if not props.get("Name"):
        raise Invalid("A Name is required.")
    return props


def normalise_email(conn: Connection, mid: int, props: dict, old: Mapping | None) -> dict:
    if not props.get("Name"):
        raise Invalid("Email needs a Name.")
    if not (props.get("HTMLBody") or props.get("TextBody")):
        raise Invalid("Email needs an HTMLBody or a TextBody.")
    _no_newlines(props, "Subject")
    check_content(props, "Subject", "HTMLBody", "TextBody")
    return props


def normalise_list(conn: Connection, mid: int, props: dict, old: Mapping | None) -> dict:
    if not props.get("ListName"):
        raise Invalid("List needs a ListName.")
    props.setdefault("Type", "Private")
    return props


def de_fields(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The field list of a DataExtension property dict (``Fields/Field``)."""
    fields = props.get("Fields") or []
    if isinstance(fields, Mapping):
        fields = fields.get("Field") or []
    return list(fields)


def normalise_data_extension(conn: Connection, mid: int, props: dict, old: Mapping | None) -> dict:
    if not props.get("Name"):
        raise Invalid("DataExtension needs a Name.", e.DE_NOT_FOUND)
    fields = de_fields(props)
    if not fields:
        raise Invalid("DataExtension needs at least one field.", e.DE_FIELDS_INVALID)
    seen: set[str] = set()
    for ordinal, field in enumerate(fields):
        name = field.get("Name")
        if not name:
            raise Invalid(f"DataExtension field {ordinal + 1} has no Name.", e.DE_FIELDS_INVALID)
        if name.lower() in seen:
            raise Invalid(
                f"DataExtension field name {e.shown(name)} is repeated.", e.DE_FIELDS_INVALID
            )
        seen.add(name.lower())
        field.setdefault("FieldType", "Text")
        if field["FieldType"] not in FIELD_TYPES:
            raise Invalid(
                f"Field type {e.shown(field['FieldType'])} is not supported.", e.DE_FIELDS_INVALID
            )
        field.setdefault("Ordinal", ordinal)
        field.setdefault("ObjectID", new_guid())
        field.setdefault("IsPrimaryKey", False)
        field.setdefault("IsRequired", bool(field["IsPrimaryKey"]))
    props["Fields"] = {"Field": fields}
    if props.get("IsSendable"):
        sendable = (props.get("SendableDataExtensionField") or {}).get("Name")
        if not sendable or sendable.lower() not in seen:
            raise Invalid(
                "A sendable DataExtension needs SendableDataExtensionField naming a field."
            )
        subscriber = (props.get("SendableSubscriberField") or {}).get("Name") or "Subscriber Key"
        if subscriber.lower() not in (*SUBSCRIBER_KEY_NAMES, "email address", "_emailaddress"):
            raise Invalid("SendableSubscriberField must be 'Subscriber Key' or 'Email Address'.")
        props["SendableSubscriberField"] = {"Name": subscriber}
        if email_field(props) is None:
            raise Invalid("A sendable DataExtension needs a field of type EmailAddress.")
    return props


def email_field(props: Mapping[str, Any]) -> str | None:
    """The field holding the recipient's address: the first EmailAddress field."""
    for field in de_fields(props):
        if field.get("FieldType") == "EmailAddress":
            return field["Name"]
    return None


def sendable_key_field(props: Mapping[str, Any]) -> str | None:
    """The field related to the subscriber key (or email) in a sendable data extension."""
    if not props.get("IsSendable"):
        return None
    return (props.get("SendableDataExtensionField") or {}).get("Name")


def normalise_filter_definition(
    conn: Connection, mid: int, props: dict, old: Mapping | None
) -> dict:
    if not props.get("Name"):
        raise Invalid("FilterDefinition needs a Name.")
    source = props.get("DataSource") or {}
    source_type = source.get("__type__", "DataExtension")
    if source_type not in ("DataExtension", "List"):
        raise Invalid("FilterDefinition DataSource must be a DataExtension or a List.")
    row = find_ref(conn, mid, source_type, source)
    if row is None:
        raise Invalid(
            f"FilterDefinition DataSource {source_type} {describe_ref(source)} was not found."
        )
    props["DataSource"] = {"__type__": source_type, **ref_stub(row)}
    # A data extension's field types decide how values must read (a Number field: a number).
    types = {f["Name"].lower(): f.get("FieldType", "Text") for f in de_fields(row.props)}
    type_of = (lambda prop: types.get(prop.lower())) if source_type == "DataExtension" else None
    try:
        tree = parse_filter(props.get("DataFilter"), type_of)
    except Invalid as exc:
        raise Invalid(
            f"The DataFilter that was provided is invalid: {exc.message}", e.FILTER_INVALID
        ) from None
    if tree is None:
        raise Invalid("FilterDefinition needs a DataFilter.", e.FILTER_INVALID)
    if source_type == "DataExtension":
        unknown = sorted(p for p in properties_of(tree) if p.lower() not in types)
        if unknown:
            names = ", ".join(e.shown(p) for p in unknown[:20])
            raise Invalid(f"The DataFilter refers to unknown fields: {names}.", e.FILTER_INVALID)
    return props


def normalise_send_definition(conn: Connection, mid: int, props: dict, old: Mapping | None) -> dict:
    if not props.get("Name"):
        raise Invalid("EmailSendDefinition needs a Name.", e.ESD_NAME_INVALID)
    if not props.get("Email"):
        raise Invalid("EmailSendDefinition needs an Email.", e.ESD_EMAIL_NOT_SPECIFIED)
    email = find_ref(conn, mid, "Email", props["Email"])
    if email is None:
        raise Invalid(f"Email {describe_ref(props['Email'])} was not found.", e.ESD_EMAIL_NOT_FOUND)
    props["Email"] = {"ID": email.id}
    classification = props.get("SendClassification") or {"CustomerKey": "Default Commercial"}
    row = find_ref(conn, mid, "SendClassification", classification)
    if row is None:
        raise Invalid(
            f"SendClassification {describe_ref(classification)} was not found.",
            e.ESD_CLASSIFICATION_NOT_FOUND,
        )
    props["SendClassification"] = ref_stub(row)
    profile = props.get("SenderProfile")
    if profile and any(profile.get(k) for k in ("ID", "ObjectID", "CustomerKey")):
        props["SenderProfile"] = _resolve(conn, mid, "SenderProfile", profile)
    _no_newlines(props, "EmailSubject", "BccEmail", "CCEmail", "ReplyToAddress")
    check_content(props, "EmailSubject")
    props.setdefault("IsSendLogging", True)
    props.setdefault("DeduplicateByEmail", False)
    props["SendDefinitionList"] = [
        _audience_item(conn, mid, item) for item in props.get("SendDefinitionList") or []
    ]
    if not any(i["SendDefinitionListType"] == "SourceList" for i in props["SendDefinitionList"]):
        raise Invalid(
            "EmailSendDefinition needs at least one SendDefinitionList of type SourceList.",
            e.ESD_SEND_DEFINITION_LIST_INVALID,
        )
    return props


def _audience_item(conn: Connection, mid: int, item: dict) -> dict:
    """Resolve one SendDefinitionList entry to the list, data extension or filter it names."""
    kind = item.get("DataSourceTypeID") or ("List" if item.get("List") else "CustomObject")
    role = item.get("SendDefinitionListType") or "SourceList"
    if role not in ("SourceList", "ExclusionList"):
        raise Invalid(
            f"SendDefinitionListType {role} is not supported.", e.ESD_SEND_DEFINITION_LIST_INVALID
        )
    out = {k: v for k, v in item.items() if k not in ("List", "FilterDefinition", "CustomObjectID")}
    out.update(SendDefinitionListType=role, DataSourceTypeID=kind)
    out.setdefault("ObjectID", new_guid())
    if kind == "List":
        row = find_ref(conn, mid, "List", item.get("List"))
        if row is None:
            raise Invalid(
                f"List {describe_ref(item.get('List') or {})} was not found.", e.ESD_LIST_NOT_FOUND
            )
        out["List"] = {"ID": row.id}
    elif kind == "CustomObject":
        # By DE ObjectID in CustomObjectID, or (SDK samples) the DE key in the item's CustomerKey.
        ref = {"ObjectID": item.get("CustomObjectID")} if item.get("CustomObjectID") else item
        row = find_ref(
            conn, mid, "DataExtension", {k: ref.get(k) for k in ("ObjectID", "CustomerKey", "Name")}
        )
        if row is None:
            raise Invalid(f"DataExtension {describe_ref(ref)} was not found.", e.ESD_DE_NOT_FOUND)
        if not row.props.get("IsSendable") and role == "SourceList":
            raise Invalid(
                f"DataExtension {shown(row.customer_key)} is not sendable.",
                e.ESD_SEND_DEFINITION_LIST_INVALID,
            )
        out["CustomObjectID"] = row.object_id
        out.pop("CustomerKey", None)
    elif kind == "FilterDefinition":
        row = find_ref(conn, mid, "FilterDefinition", item.get("FilterDefinition"))
        if row is None:
            ref_text = describe_ref(item.get("FilterDefinition") or {})
            raise Invalid(
                f"FilterDefinition {ref_text} was not found.", e.ESD_SEND_DEFINITION_LIST_INVALID
            )
        out["FilterDefinition"] = {"ObjectID": row.object_id, "CustomerKey": row.customer_key}
    else:
        raise Invalid(
            f"DataSourceTypeID {kind} is not supported.", e.ESD_SEND_DEFINITION_LIST_INVALID
        )
    return out


def _resolve(
    conn: Connection, mid: int, type_name: str, ref: Mapping | None, required: bool = False
) -> dict | None:
    if not ref:
        if required:
            raise Invalid(f"A {type_name} is required.")
        return None
    row = find_ref(conn, mid, type_name, ref)
    if row is None:
        raise Invalid(f"{type_name} {describe_ref(ref)} was not found.")
    return ref_stub(row)


def check_content(
    props: Mapping[str, Any], *names: str, code: int = e.ESD_INVALID_PERSONALIZATION
) -> None:
    """Compile the named parts' AMPscript; the first error names part, line and column."""
    error = content_error({n: props.get(n) for n in names if isinstance(props.get(n), str)})
    if error is not None:
        raise Invalid(f"Invalid AMPscript in {error}", code)


def _no_newlines(props: Mapping[str, Any], *names: str) -> None:
    for name in names:
        value = props.get(name)
        if isinstance(value, str) and ("\r" in value or "\n" in value):
            raise Invalid(f"{name} must not contain line breaks.")
