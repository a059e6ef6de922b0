"""The ``JobSpec`` constructors: one per way a send starts, sharing what they have in common.

``for_email_send_definition`` serves SOAP ``Perform start``; ``for_send_api_definition`` serves
the REST Send API's instances. Each resolves the definition's email, classification and sender
in the account as they are now, checks the content (personalization and AMPscript) and freezes
the result; the engine reads only the spec.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, time
from typing import Any

from sqlalchemy import Connection

from sendwell.config import Settings
from sendwell.domain import errors as e
from sendwell.domain.errors import Invalid
from sendwell.domain.jobs import (
    AudienceSource,
    DataExtensionSource,
    DefinitionRef,
    EmailContent,
    JobOrigin,
    JobSpec,
    ListSource,
    SeedList,
    SyncSource,
    addresses,
)
from sendwell.domain.throttle import Throttle
from sendwell.services.assets import email_by_asset_key
from sendwell.services.catalog import find_ref
from sendwell.services.rules import check_content, de_fields, valid_email
from sendwell.services.send_definitions import seed_addresses


def for_email_send_definition(
    conn: Connection, mid: int, definition: Any, sender: Mapping[str, Any]
) -> JobSpec:
    """A SOAP EmailSendDefinition's job; ``sender`` is Perform's dynamic From name/address."""
    props = definition.props
    email = find_ref(conn, mid, "Email", props.get("Email"))
    if email is None:
        raise Invalid("The definition's Email no longer exists.", e.ESD_EMAIL_NOT_FOUND)
    classification = find_ref(conn, mid, "SendClassification", props.get("SendClassification"))
    if classification is None:
        raise Invalid(
            "The definition's SendClassification no longer exists.", e.ESD_CLASSIFICATION_NOT_FOUND
        )
    profile_ref = props.get("SenderProfile") or classification.props.get("SenderProfile")
    common = _sending(
        conn,
        mid,
        email,
        props.get("EmailSubject"),
        classification,
        profile_ref,
        sender,
        e.ESD_INVALID_PERSONALIZATION,
    )
    sources: list[AudienceSource] = []
    exclusions: list[AudienceSource] = []
    for item in props.get("SendDefinitionList") or []:
        target = sources if item["SendDefinitionListType"] == "SourceList" else exclusions
        target.append(_audience_source(conn, mid, item))
    return JobSpec(
        definition=_object_ref(definition),
        **common,
        sources=tuple(sources),
        exclusions=tuple(exclusions),
        dedupe_by_email=bool(props.get("DeduplicateByEmail")),
        send_logging=bool(props.get("IsSendLogging", True)),
        tracking=not props.get("SuppressTracking"),
        bcc=addresses(props.get("BccEmail")),
        message_token=secrets.token_hex(8),
    )


def for_send_api_definition(
    conn: Connection, mid: int, definition: Any, sync_id: int, settings: Settings
) -> JobSpec:
    """A REST Send API definition's job, its audience the instance's resolved sync."""
    body = definition.body
    email = find_ref(conn, mid, "Email", {"ID": int(body["EmailId"])})
    if email is None:
        raise Invalid(
            f"Salesforce Send Unknown Email: no email with Id {body['EmailId']}",
            e.REST_INVALID_VALUE,
        )
    classification = find_ref(
        conn, mid, "SendClassification", {"ID": int(body["SendClassificationId"])}
    )
    if classification is None:
        raise Invalid("The definition's send classification no longer exists", e.REST_INVALID_VALUE)
    override = body.get("OverrideSenderProfileId")
    profile_ref = {"ID": int(override)} if override else classification.props.get("SenderProfile")
    common = _sending(
        conn,
        mid,
        email,
        body.get("EmailSubject"),
        classification,
        profile_ref,
        {},
        e.REST_INVALID_VALUE,
    )
    if not body.get("IsMultipartMIME", True) and common["email"].html:
        common["email"] = replace(common["email"], text=None)  # single-part: the HTML alone
    exclusions = (SyncSource(sync_id, "exclusion"),) if body.get("Exclusions") else ()
    return JobSpec(
        origin=JobOrigin.SEND_DEFINITION,
        definition=DefinitionRef(
            id=definition.id, customer_key=definition.external_key, name=definition.name
        ),
        **common,
        sources=(SyncSource(sync_id, "target"),),
        exclusions=exclusions,
        dedupe_by_email=bool(body.get("DedupeByEmail")),
        send_logging=bool(body.get("UseSendLogging")),
        tracking=settings.track_rest_sends,
        cc=addresses(body.get("CC")),
        bcc=addresses(body.get("Bcc")),
        seeds=_seeds(conn, mid, body.get("SeedList")),
        throttle=send_throttle(body.get("SendThrottling"), settings),
        message_token=secrets.token_hex(8),
    )


def for_triggered_send_definition(conn: Connection, mid: int, definition: Any) -> JobSpec:
    """A TriggeredSendDefinition's continuous job: its requests bring the recipients."""
    props = definition.props
    email = find_ref(conn, mid, "Email", props.get("Email"))
    if email is None:
        raise Invalid("The definition's Email no longer exists.", e.TSD_EMAIL_NOT_FOUND)
    classification = find_ref(conn, mid, "SendClassification", props.get("SendClassification"))
    if classification is None:
        raise Invalid(
            "The definition's SendClassification no longer exists.",
            e.TSD_SEND_CLASSIFICATION_NOT_FOUND,
        )
    profile_ref = props.get("SenderProfile") or classification.props.get("SenderProfile")
    own = {k: props[k] for k in ("FromName", "FromAddress") if props.get(k)}
    subject = props.get("EmailSubject") or props.get("DynamicEmailSubject")
    common = _sending(
        conn,
        mid,
        email,
        subject,
        classification,
        profile_ref,
        own,
        e.TSD_INVALID_PERSONALIZATION,
    )
    common["reply_to"] = props.get("ReplyToAddress") or common["reply_to"]
    return JobSpec(
        origin=JobOrigin.TRIGGERED_SEND_DEFINITION,
        definition=_object_ref(definition),
        **common,
        send_logging=bool(props.get("IsSendLogging", True)),
        tracking=not props.get("SuppressTracking"),
        cc=addresses(props.get("CCEmail")),
        bcc=addresses(props.get("BccEmail")),
        message_token=secrets.token_hex(8),
    )


def for_transactional_definition(conn: Connection, mid: int, definition: Any) -> JobSpec:
    """A Transactional Messaging API definition's continuous job."""
    body = definition.props
    email = email_by_asset_key(conn, mid, body["content"]["customerKey"])
    if email is None:
        raise Invalid(
            "MCMS_UTM_Validation_InvalidValue_content: the definition's email no longer exists",
            e.REST_INVALID_VALUE,
        )
    classification = find_ref(
        conn, mid, "SendClassification", {"CustomerKey": body.get("classification")}
    )
    if classification is None:
        raise Invalid(
            "MCMS_UTM_Validation_InvalidValue_classification: it no longer exists",
            e.REST_INVALID_VALUE,
        )
    profile_ref = classification.props.get("SenderProfile")
    common = _sending(conn, mid, email, None, classification, profile_ref, {}, e.REST_INVALID_VALUE)
    options = body.get("options") or {}
    return JobSpec(
        origin=JobOrigin.TRANSACTIONAL_EMAIL,
        definition=_object_ref(definition),
        **common,
        # "Send logging only with auto send logging" (docs): kept, as triggered sends do.
        send_logging=True,
        tracking=options.get("trackLinks", True) is not False,
        cc=addresses(options.get("cc")),
        bcc=addresses(options.get("bcc")),
        message_token=secrets.token_hex(8),
    )


def _object_ref(row: Any) -> DefinitionRef:
    """A partner API object (or one stored like one) as the job's definition."""
    return DefinitionRef(
        id=row.id, object_id=row.object_id, customer_key=row.customer_key, name=row.name
    )


def _sending(
    conn: Connection,
    mid: int,
    email: Any,
    subject: str | None,
    classification: Any,
    profile_ref: Mapping[str, Any] | None,
    sender: Mapping[str, Any],
    code: int,
) -> dict[str, Any]:
    """What every constructor resolves alike: the content (checked), the subject line (the
    definition's, else the email's), the sender and the classification's type."""
    content, subject = _content(email, subject, code)
    from_name, from_address, reply_to = resolve_sender(conn, mid, profile_ref, sender)
    return {
        "email": content,
        "subject": subject,
        "from_name": from_name,
        "from_address": from_address,
        "reply_to": reply_to,
        "classification": _classification_type(classification),
    }


def _content(email: Any, subject_override: str | None, code: int) -> tuple[EmailContent, str]:
    """The email's parts and the subject line (the definition's, else the email's), checked."""
    props = email.props
    html, text = props.get("HTMLBody"), props.get("TextBody")
    if not (html or text):  # a Content Builder email may be saved before it has content
        raise Invalid(f"Email {email.id} has no content: it needs an HTML or a text body.", code)
    subject = subject_override or props.get("Subject") or ""
    check_content(
        {"Subject": subject, "HTMLBody": html, "TextBody": text},
        "Subject",
        "HTMLBody",
        "TextBody",
        code=code,
    )
    return EmailContent(email.id, props.get("Name"), html, text), subject


def _classification_type(classification: Any) -> str:
    return classification.props.get("SendClassificationType", "Marketing")


def resolve_sender(
    conn: Connection, mid: int, profile_ref: Mapping[str, Any] | None, dynamic: Mapping[str, Any]
) -> tuple[str, str, str | None]:
    """From name, From address and Reply-To: the dynamic sender over the sender profile."""
    profile = find_ref(conn, mid, "SenderProfile", profile_ref)
    props = profile.props if profile else {}
    from_name = dynamic.get("FromName") or props.get("FromName") or ""
    from_address = dynamic.get("FromAddress") or props.get("FromAddress")
    if not valid_email(from_address):
        raise Invalid(f"The From address {str(from_address)[:254]!r} is not valid.", 2)
    if "\r" in from_name or "\n" in from_name:
        raise Invalid("The From name must not contain line breaks.", 2)
    check_content({"FromName": from_name}, "FromName")  # personalised per recipient
    return from_name, from_address, props.get("ReplyToAddress") or None


def _audience_source(conn: Connection, mid: int, item: Mapping[str, Any]) -> AudienceSource:
    """One SendDefinitionList entry: a list, a data extension, or a filter over either."""
    kind = item["DataSourceTypeID"]
    if kind == "List":
        row = find_ref(conn, mid, "List", item["List"])
        if row is None:
            raise Invalid("A list of the definition no longer exists.", e.ESD_LIST_NOT_FOUND)
        return ListSource(row.id)
    if kind == "CustomObject":
        row = find_ref(conn, mid, "DataExtension", {"ObjectID": item["CustomObjectID"]})
        if row is None:
            raise Invalid(
                "A data extension of the definition no longer exists.", e.ESD_DE_NOT_FOUND
            )
        return DataExtensionSource(row.id, field_types(row.props))
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
        return DataExtensionSource(target.id, field_types(target.props), row.props["DataFilter"])
    return ListSource(target.id, row.props["DataFilter"])


def field_types(de_props: Mapping[str, Any]) -> dict[str, str]:
    """A data extension's field names and Marketing Cloud field types."""
    return {f["Name"]: f.get("FieldType", "Text") for f in de_fields(de_props)}


def _seeds(conn: Connection, mid: int, seed: Mapping[str, Any] | None) -> SeedList | None:
    if not seed or not seed.get("IsSeedListSend"):
        return None
    return SeedList(int(seed.get("SeedListOccurance") or 1), tuple(seed_addresses(conn, mid)))


def send_throttle(given: Mapping[str, Any] | None, settings: Settings) -> Throttle | None:
    """SendThrottling as the engine reads it: limit per period and a daily window (system time)."""
    if not given:
        return None

    def time_of_day(value: Any) -> time | None:
        if not value:
            return None
        text = str(value).strip()
        try:
            return time.fromisoformat(text)
        except ValueError:
            # A full date and time: its time of day, read as system time like the window.
            return datetime.fromisoformat(text.replace("Z", "+00:00")).time()

    limit = given.get("ThrottleLimit")
    return Throttle(
        limit=int(limit) if limit else None,
        period_seconds=settings.throttle_period_seconds,
        opens=time_of_day(given.get("ThrottleOpens")),
        closes=time_of_day(given.get("ThrottleCloses")),
        utc_offset_minutes=settings.system_utc_offset_minutes,
    )
