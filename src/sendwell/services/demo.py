"""Demo account and data for the local stand-in (``sendwell serve --demo``).

Creates MID 100001 with a child business unit, an API user and an installed package, and the
objects of a realistic send: an email with personalization, sender and delivery profiles, send
classifications, a sendable data extension of 1,000 subscribers, a filter over it, an exclusion
data extension, and the email send definition ``Definition_Key``. The child unit 100002 holds
the same objects with its own sender and 20 subscribers (2 excluded), so that the seed's second
sample (``PerformOptions`` with the child's ``ClientID``, same ``Definition_Key``) sends there.

The demo credentials survive restarts without being stored in clear anywhere: each one not set
in the settings is derived from the installation's secret key (HMAC-SHA256 under its own label),
so every start computes the same ones, prints them, and only their hashes are in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from dataclasses import dataclass

from sqlalchemy import Engine, update

from sendwell.config import Settings, resolve_secret_key
from sendwell.domain.secrets import hash_client_secret, hash_password
from sendwell.services import send_definitions
from sendwell.services.accounts import Accounts
from sendwell.services.audience_data import insert_rows, validate_row
from sendwell.services.catalog import find_ref
from sendwell.services.registry import KINDS
from sendwell.services.salesforce.crm_import import load_demo_crm
from sendwell.store.tables import api_users, packages

DEMO_MID = 100001
DEMO_CHILD_MID = 100002
CHILD_SUBSCRIBERS, CHILD_EXCLUDED = 20, 2  # the child unit's send: 18 messages
CITIES = ("Berlin", "Paris", "Lisbon", "Oslo", "Madrid", "Vienna", "Prague", "Dublin")
FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Linus", "Anita")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson")

HTML = """<html><body>
<h1>Hello %%FirstName%%!</h1>
<p>Your points balance in %%City%% is <b>%%Points%%</b>.</p>
<p>This message was sent to %%emailaddr%% (subscriber %%_subscriberkey%%, job %%jobid%%).</p>
</body></html>"""
TEXT = """Hello %%FirstName%%!

Your points balance in %%City%% is %%Points%%.

This message was sent to %%emailaddr%% (subscriber %%_subscriberkey%%, job %%jobid%%).
"""


@dataclass(frozen=True)
class DemoCredentials:
    mid: int
    username: str
    password: str
    client_id: str
    client_secret: str


def demo_credentials(settings: Settings) -> DemoCredentials:
    """The demo account's credentials: from the settings, or derived from the secret key."""

    def derived(label: str) -> bytes:
        key = resolve_secret_key(settings).encode()
        return hmac.new(key, f"sendwell demo {label}".encode(), hashlib.sha256).digest()

    def text(label: str, length: int) -> str:
        return base64.urlsafe_b64encode(derived(label)).decode("ascii")[:length]

    return DemoCredentials(
        DEMO_MID,
        settings.demo_username or "demo_api_user",
        settings.demo_password or text("password", 16),  # 96 bits
        settings.demo_client_id or "demo" + derived("client id")[:10].hex(),
        settings.demo_client_secret or text("client secret", 43),  # 256 bits, as generated ones
    )


def ensure_demo(engine: Engine, settings: Settings, subscribers: int = 1000) -> DemoCredentials:
    """Create the demo account and data once; set its credentials to ``demo_credentials``.

    Setting them again on every start is what keeps a restart working when the settings name
    other ones; with nothing set they are the same as last time.
    """
    creds = demo_credentials(settings)
    accounts = Accounts(engine)
    if not accounts.account_exists(DEMO_MID):
        accounts.create_account(DEMO_MID, "Sendwell Demo")
        accounts.create_account(DEMO_CHILD_MID, "Sendwell Demo Child Unit", DEMO_MID)
        accounts.create_user(DEMO_MID, creds.username, creds.password, [DEMO_CHILD_MID])
        accounts.create_package(
            DEMO_MID, "Demo package", creds.client_id, creds.client_secret, [DEMO_CHILD_MID]
        )
        load_demo_objects(engine, DEMO_MID, subscribers)
        load_demo_salesforce_send(engine, DEMO_MID)
    if not _has_single_sends(engine, DEMO_MID):  # also for demo databases made before them
        load_demo_single_sends(engine, DEMO_MID)
    if not _has_definition(engine, DEMO_CHILD_MID):  # also for demo databases made before it
        load_demo_objects(
            engine,
            DEMO_CHILD_MID,
            CHILD_SUBSCRIBERS,
            sender=("Sendwell Demo Child Unit", "child@sendwell.local"),
            address_prefix="child",
            excluded=CHILD_EXCLUDED,
        )
    with engine.begin() as conn:
        conn.execute(
            update(api_users)
            .where(api_users.c.mid == DEMO_MID)
            .values(username=creds.username, password_hash=hash_password(creds.password))
        )
        conn.execute(
            update(packages)
            .where(packages.c.mid == DEMO_MID)
            .values(client_id=creds.client_id, secret_hash=hash_client_secret(creds.client_secret))
        )
    return creds


def _has_definition(engine: Engine, mid: int) -> bool:
    with engine.connect() as conn:
        found = find_ref(conn, mid, "EmailSendDefinition", {"CustomerKey": "Definition_Key"})
    return found is not None


ORDER_TEXT = (
    '%%[ SET @name = AttributeValue("FirstName") IF Empty(@name) THEN SET @name = "there"'
    " ENDIF ]%%Hi %%=v(@name)=%%,\n\nyour order %%OrderNo%% is confirmed.\n"
)


def _has_single_sends(engine: Engine, mid: int) -> bool:
    with engine.connect() as conn:
        found = find_ref(conn, mid, "TriggeredSendDefinition", {"CustomerKey": "Demo_Triggered"})
    return found is not None


def load_demo_single_sends(engine: Engine, mid: int) -> None:
    """A started triggered send definition (``Demo_Triggered``) and a transactional
    definition (``demo-order``), both sending an order confirmation (asset ``demo_order``)."""
    from sendwell.services import transactional_definitions

    with engine.begin() as conn:
        email = KINDS["Email"].create(
            conn,
            mid,
            {
                "__type__": "Email",
                "CustomerKey": "demo_order",
                "Name": "Demo Order Confirmation",
                "Subject": "Order %%OrderNo%% confirmed",
                "TextBody": ORDER_TEXT,
            },
        )
        KINDS["TriggeredSendDefinition"].create(
            conn,
            mid,
            {
                "__type__": "TriggeredSendDefinition",
                "CustomerKey": "Demo_Triggered",
                "Name": "Demo triggered send",
                "Email": {"ID": email["ID"]},
                "SendClassification": {"CustomerKey": "Default Transactional"},
                "TriggeredSendStatus": "Active",
            },
        )
        transactional_definitions.create(
            conn,
            mid,
            {
                "definitionKey": "demo-order",
                "name": "Demo order confirmation",
                "content": {"customerKey": "demo_order"},
                "subscriptions": {"list": "All Subscribers"},
            },
        )


def load_demo_salesforce_send(engine: Engine, mid: int) -> None:
    """A demo CRM (contacts, leads, campaigns, a report) and a Send API definition over it."""
    crm = load_demo_crm(engine, mid)
    with engine.begin() as conn:
        email = find_ref(conn, mid, "Email", {"CustomerKey": "demo_newsletter"})
        commercial = find_ref(
            conn, mid, "SendClassification", {"CustomerKey": "Default Commercial"}
        )
        (campaign_id, campaign_name), *_ = crm.campaigns
        send_definitions.create(
            conn,
            mid,
            {
                "Name": "Demo Salesforce send",
                "ExternalKey": "Demo_Salesforce_Send",
                "Description": "Demo campaign members, through the REST Send API",
                "EmailId": email.id,
                "SendClassificationId": commercial.id,
                "DedupeByEmail": True,
                "Targets": [{"Type": "Campaign", "Name": campaign_name, "Id": campaign_id}],
            },
        )


def load_demo_objects(
    engine: Engine,
    mid: int,
    subscribers: int = 1000,
    sender: tuple[str, str] = ("Sendwell Demo", "news@sendwell.local"),
    address_prefix: str = "subscriber",
    excluded: int = 10,
) -> None:
    """The objects of the demo send, created through the same kinds the APIs use."""
    with engine.begin() as conn:

        def create(type_name: str, **props: object) -> dict:
            return KINDS[type_name].create(conn, mid, {"__type__": type_name, **props})

        create(
            "SenderProfile",
            CustomerKey="Default",
            Name="Default",
            FromName=sender[0],
            FromAddress=sender[1],
        )
        create("DeliveryProfile", CustomerKey="Default", Name="Default")
        for key, kind in (
            ("Default Commercial", "Marketing"),
            ("Default Transactional", "Operational"),
        ):
            create(
                "SendClassification",
                CustomerKey=key,
                Name=key,
                SendClassificationType=kind,
                SenderProfile={"CustomerKey": "Default"},
                DeliveryProfile={"CustomerKey": "Default"},
            )
        email = create(
            "Email",
            CustomerKey="demo_newsletter",
            Name="Demo Newsletter",
            Subject="%%FirstName%%, your points in %%City%%",
            HTMLBody=HTML,
            TextBody=TEXT,
        )
        fields = [
            {"Name": "SubscriberKey", "FieldType": "Text", "IsPrimaryKey": True, "MaxLength": 254},
            {"Name": "EmailAddress", "FieldType": "EmailAddress", "IsRequired": True},
            {"Name": "FirstName", "FieldType": "Text"},
            {"Name": "LastName", "FieldType": "Text"},
            {"Name": "City", "FieldType": "Text"},
            {"Name": "Points", "FieldType": "Number"},
        ]
        sendable = {
            "IsSendable": True,
            "SendableDataExtensionField": {"Name": "SubscriberKey"},
            "SendableSubscriberField": {"Name": "Subscriber Key"},
        }
        create(
            "DataExtension",
            CustomerKey="DemoSubscribers",
            Name="Demo Subscribers",
            Fields={"Field": fields},
            **sendable,
        )
        create(
            "DataExtension",
            CustomerKey="DemoExclusions",
            Name="Demo Exclusions",
            Fields={"Field": fields[:2]},
            **sendable,
        )
        de = find_ref(conn, mid, "DataExtension", {"CustomerKey": "DemoSubscribers"})
        excl = find_ref(conn, mid, "DataExtension", {"CustomerKey": "DemoExclusions"})
        rng = random.Random(42)
        rows = [
            validate_row(
                de.props,
                {
                    "SubscriberKey": f"demo-{i:05d}",
                    "EmailAddress": f"{address_prefix}{i:05d}@example.test",
                    "FirstName": rng.choice(FIRST),
                    "LastName": rng.choice(LAST),
                    "City": CITIES[i % len(CITIES)],
                    "Points": str(rng.randint(0, 5000)),
                },
            )
            for i in range(1, subscribers + 1)
        ]
        insert_rows(conn, de, rows)
        insert_rows(
            conn,
            excl,
            [
                validate_row(
                    excl.props,
                    {
                        "SubscriberKey": f"demo-{i:05d}",
                        "EmailAddress": f"{address_prefix}{i:05d}@example.test",
                    },
                )
                for i in range(1, min(subscribers, excluded) + 1)
            ],
        )
        create(
            "FilterDefinition",
            CustomerKey="DemoBerlin",
            Name="Demo subscribers in Berlin",
            DataSource={"__type__": "DataExtension", "CustomerKey": "DemoSubscribers"},
            DataFilter={
                "__type__": "SimpleFilterPart",
                "Property": "City",
                "SimpleOperator": "equals",
                "Value": ["Berlin"],
            },
        )
        create(
            "EmailSendDefinition",
            CustomerKey="Definition_Key",
            Name="Definition_Name",
            Description="Demo send: the demo data extension minus the exclusion list",
            Email={"ID": email["ID"]},
            SendClassification={"CustomerKey": "Default Commercial"},
            IsSendLogging=True,
            DeduplicateByEmail=True,
            SendDefinitionList=[
                {
                    "SendDefinitionListType": "SourceList",
                    "DataSourceTypeID": "CustomObject",
                    "CustomObjectID": de.object_id,
                },
                {
                    "SendDefinitionListType": "ExclusionList",
                    "DataSourceTypeID": "CustomObject",
                    "CustomObjectID": excl.object_id,
                },
            ],
        )
