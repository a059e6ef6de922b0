"""Every partner API object type Sendwell handles, and the kind that handles it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, or_, select

from sendwell.domain.errors import ESD_NOT_FOUND
from sendwell.domain.filters import Filter
from sendwell.domain.permissions import (
    ACCOUNTS,
    DATA_EXTENSIONS,
    EMAIL,
    LIST_AND_SUBSCRIBERS,
    TRACKING_EVENTS,
    Access,
    Area,
)
from sendwell.services import rules
from sendwell.services.audience_data import DataExtensionObjectKind, SubscriberKind
from sendwell.services.bounce_events import BOUNCE_EVENT
from sendwell.services.catalog import CatalogKind, Kind, Unsupported, page
from sendwell.services.content_areas import normalise_content_area
from sendwell.services.de_schema import DataExtensionFieldKind, DataExtensionKind
from sendwell.services.events import (
    CLICK_EVENT,
    FORWARDED_EMAIL_EVENT,
    FORWARDED_EMAIL_OPT_IN_EVENT,
    NOT_SENT_EVENT,
    OPEN_EVENT,
    SURVEY_EVENT,
    UNSUB_EVENT,
)
from sendwell.services.folders import FolderKind, in_folders
from sendwell.services.list_members import ListSubscriberKind
from sendwell.services.sends import SendKind, SentEventKind
from sendwell.services.triggered_definitions import TriggeredSendDefinitionKind
from sendwell.services.triggered_sends import TriggeredSendKind, TriggeredSendSummaryKind
from sendwell.store.tables import accounts


class BusinessUnitKind(Unsupported):
    """The caller's account and its child business units (read-only)."""

    type_name = "BusinessUnit"

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        rows = conn.execute(
            select(accounts)
            .where(or_(accounts.c.mid == mid, accounts.c.parent_mid == mid))
            .order_by(accounts.c.mid)
        )
        units = (
            {
                "__type__": "BusinessUnit",
                "Client": {"ID": r.mid, "EnterpriseID": r.parent_mid or r.mid},
                "ID": r.mid,
                "CreatedDate": r.created_at,
                "AccountType": "BUSINESS_UNIT" if r.parent_mid else "ENTERPRISE_2",
                "ParentID": r.parent_mid or 0,
                "Name": r.name,
                "IsActive": 1,
            }
            for r in rows
        )
        return page(units, tree, offset, limit)


DATA_EXTENSION_OBJECT = DataExtensionObjectKind()
# What lives in folders, and the field that names its folder: a folder holding any is kept.
FOLDER_CONTENTS = (
    ("Email", "CategoryID"),
    ("ContentArea", "CategoryID"),
    ("DataExtension", "CategoryID"),
    ("List", "Category"),
    ("FilterDefinition", "CategoryID"),
    ("EmailSendDefinition", "CategoryID"),
    ("TriggeredSendDefinition", "CategoryID"),
)

KINDS: dict[str, Kind] = {
    kind.type_name: kind
    for kind in (
        in_folders(CatalogKind("Email", rules.normalise_email), "email", content_builder=True),
        CatalogKind("SenderProfile", rules.normalise_sender_profile),
        CatalogKind("DeliveryProfile", rules.normalise_named),
        CatalogKind("SendClassification", rules.normalise_classification),
        in_folders(
            CatalogKind("List", rules.normalise_list, name_field="ListName"),
            "list",
            "publication",
            "suppression_list",
            field="Category",
        ),
        in_folders(
            DataExtensionKind("DataExtension", rules.normalise_data_extension), "dataextension"
        ),
        DataExtensionFieldKind(),
        in_folders(
            CatalogKind("FilterDefinition", rules.normalise_filter_definition), "filterdefinition"
        ),
        # Marketing Cloud's code for a missing definition, whatever the operation or action.
        in_folders(
            CatalogKind(
                "EmailSendDefinition", rules.normalise_send_definition, not_found_code=ESD_NOT_FOUND
            ),
            "userinitiatedsends",
        ),
        in_folders(TriggeredSendDefinitionKind(), "triggered_send"),
        in_folders(CatalogKind("ContentArea", normalise_content_area), "content"),
        FolderKind(FOLDER_CONTENTS),
        ListSubscriberKind(),
        TriggeredSendKind(),
        TriggeredSendSummaryKind(),
        SubscriberKind(),
        DATA_EXTENSION_OBJECT,
        SendKind(),
        SentEventKind(),
        BOUNCE_EVENT,
        OPEN_EVENT,
        CLICK_EVENT,
        UNSUB_EVENT,
        NOT_SENT_EVENT,
        SURVEY_EVENT,
        FORWARDED_EMAIL_EVENT,
        FORWARDED_EMAIL_OPT_IN_EVENT,
        BusinessUnitKind(),
    )
}

# The scope area that guards each object type: Retrieve and Describe need its read scope,
# Create/Update/Delete its write scope, Perform its send scope. Marketing Cloud names the areas
# (data-access-permissions: "Email", "List and Subscribers", "Data Extensions", "Tracking
# Events", "Accounts") but publishes no per-object table for SOAP; where an object's area is not
# evident, the user permission it sits under in Marketing Cloud decided (inferred): sender,
# delivery profiles and send classifications are Email admin, data filters sit under
# Subscribers, a Send is the email send job (its status poll needs no tracking scope).
OBJECT_AREAS: dict[str, Area] = {
    "Email": EMAIL,
    "ContentArea": EMAIL,
    # Folders hold every kind of content; their scope is inferred as the email area's.
    "DataFolder": EMAIL,
    "ListSubscriber": LIST_AND_SUBSCRIBERS,
    "SenderProfile": EMAIL,
    "DeliveryProfile": EMAIL,
    "SendClassification": EMAIL,
    "EmailSendDefinition": EMAIL,
    "TriggeredSendDefinition": EMAIL,
    "TriggeredSend": EMAIL,
    "TriggeredSendSummary": EMAIL,
    "Send": EMAIL,
    "List": LIST_AND_SUBSCRIBERS,
    "Subscriber": LIST_AND_SUBSCRIBERS,
    "FilterDefinition": LIST_AND_SUBSCRIBERS,
    "DataExtension": DATA_EXTENSIONS,
    "DataExtensionObject": DATA_EXTENSIONS,
    "DataExtensionField": DATA_EXTENSIONS,
    "SentEvent": TRACKING_EVENTS,
    "BounceEvent": TRACKING_EVENTS,
    "OpenEvent": TRACKING_EVENTS,
    "ClickEvent": TRACKING_EVENTS,
    "UnsubEvent": TRACKING_EVENTS,
    "NotSentEvent": TRACKING_EVENTS,
    "SurveyEvent": TRACKING_EVENTS,
    "ForwardedEmailEvent": TRACKING_EVENTS,
    "ForwardedEmailOptInEvent": TRACKING_EVENTS,
    "BusinessUnit": ACCOUNTS,
}
# Creating a TriggeredSend sends mail: it needs the send scope of its area, as Perform start.
WRITE_ACCESS = {"TriggeredSend": Access.SEND}
if OBJECT_AREAS.keys() != KINDS.keys():  # a new kind must say which scopes guard it
    raise RuntimeError(f"OBJECT_AREAS and KINDS differ: {OBJECT_AREAS.keys() ^ KINDS.keys()}")
