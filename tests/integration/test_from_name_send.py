"""A sender profile's From name with personalization (``%%FromN%%``) is filled per recipient,
delivered to a real SMTP server; a value with line breaks stays inside the From header."""

from __future__ import annotations

import re

import pytest
from tests.conftest import make_world
from tests.support import SmtpServer, perform_start, soap, text, wait_for

from sendwell.services.audience_data import insert_rows, validate_row
from sendwell.services.catalog import find_ref
from sendwell.services.registry import KINDS

ROWS = [  # key, email, name, FromN
    ("k1", "ann@example.test", "Ann", "Ann's adviser"),
    ("k2", "bob@example.test", "Bob", "Evil\r\nBcc: victim@example.test"),
    ("k3", "cid@example.test", "Cid", ""),
]


@pytest.fixture
def smtp_world(database_url):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        for world in make_world(database_url, transport=server.url):
            world.smtp = server.recorder  # type: ignore[attr-defined]
            yield world


def make_send(world, from_name: str) -> None:  # type: ignore[no-untyped-def]
    with world.engine.begin() as conn:

        def create(type_name: str, **props: object) -> dict:
            return KINDS[type_name].create(conn, world.mid, {"__type__": type_name, **props})

        create("SenderProfile", CustomerKey="sp", Name="S", FromName=from_name,
               FromAddress="shop@example.test")  # fmt: skip
        create("SendClassification", CustomerKey="c", Name="C", SenderProfile={"CustomerKey": "sp"})
        email = create("Email", Name="E", Subject="Hello %%Name%%", TextBody="Hi %%Name%%")
        fields = [
            {"Name": "Key", "FieldType": "Text", "IsPrimaryKey": True},
            {"Name": "Email", "FieldType": "EmailAddress"},
            {"Name": "Name", "FieldType": "Text"},
            {"Name": "FromN", "FieldType": "Text"},
        ]
        create("DataExtension", CustomerKey="de", Name="DE", IsSendable=True,
               SendableDataExtensionField={"Name": "Key"}, Fields={"Field": fields})  # fmt: skip
        de = find_ref(conn, world.mid, "DataExtension", {"CustomerKey": "de"})
        insert_rows(
            conn,
            de,
            [
                validate_row(de.props, dict(zip(("Key", "Email", "Name", "FromN"), r, strict=True)))
                for r in ROWS
            ],
        )
        create(
            "EmailSendDefinition",
            CustomerKey="send",
            Name="send",
            Email={"ID": email["ID"]},
            SendClassification={"CustomerKey": "c"},
            SendDefinitionList=[
                {"DataSourceTypeID": "CustomObject", "CustomObjectID": de.object_id}
            ],
        )


def deliver(world, extra: str = "") -> dict[str, object]:  # type: ignore[no-untyped-def]
    _, response = soap(world.client, "Perform", perform_start("send", extra), user=world.user)
    assert text(response, "p:OverallStatus") == "OK", text(response, ".//p:StatusMessage")
    wait_for(lambda: len(world.smtp.messages) == len(ROWS))
    return {m.rcpt_to[0]: m for m in world.smtp.messages}


def test_the_profile_from_name_is_filled_per_recipient(smtp_world) -> None:
    world = smtp_world
    make_send(world, "%%FromN%% at Shop")
    delivered = deliver(world)

    assert sorted(delivered) == ["ann@example.test", "bob@example.test", "cid@example.test"]
    ann = delivered["ann@example.test"].message
    assert ann["From"].addresses[0].display_name == "Ann's adviser at Shop"
    assert ann["From"].addresses[0].addr_spec == "shop@example.test"
    assert delivered["cid@example.test"].message["From"] == "at Shop <shop@example.test>"
    # The value's line break became a space: one From mailbox, no Bcc header, no extra recipient.
    bob = delivered["bob@example.test"]
    assert bob.message["From"].addresses[0].display_name == (
        "Evil Bcc: victim@example.test at Shop"
    )
    assert len(bob.message["From"].addresses) == 1
    assert "Bcc" not in bob.message
    head = bob.message.as_bytes().split(b"\n\n", 1)[0]
    assert not re.search(rb"^bcc:", head, re.IGNORECASE | re.MULTILINE)
    assert bob.rcpt_to == ["bob@example.test"]


def test_a_dynamic_from_name_at_start_is_filled_too(smtp_world) -> None:
    world = smtp_world
    make_send(world, "Shop")
    sender = "<SenderProfile><FromName>%%Name%% via Shop</FromName></SenderProfile>"
    delivered = deliver(world, sender)
    assert str(delivered["ann@example.test"].message["From"]) == "Ann via Shop <shop@example.test>"
    assert str(delivered["bob@example.test"].message["From"]) == "Bob via Shop <shop@example.test>"


def test_a_from_name_that_does_not_compile_is_refused_at_save_and_at_start(smtp_world) -> None:
    world = smtp_world
    make_send(world, "Shop")
    broken = "%%=ProperCase(Name=%%"
    body = (
        '<CreateRequest xmlns="http://exacttarget.com/wsdl/partnerAPI">'
        '<Objects xsi:type="SenderProfile"><CustomerKey>sp2</CustomerKey><Name>S2</Name>'
        f"<FromName>{broken}</FromName><FromAddress>a@example.test</FromAddress></Objects>"
        "</CreateRequest>"
    )
    _, created = soap(world.client, "Create", body, user=world.user)
    assert text(created, "p:Results/p:StatusCode") == "Error"
    assert "Invalid AMPscript in FromName" in text(created, "p:Results/p:StatusMessage")
    sender = f"<SenderProfile><FromName>{broken}</FromName></SenderProfile>"
    _, started = soap(world.client, "Perform", perform_start("send", sender), user=world.user)
    assert text(started, "p:Results/p:Result/p:StatusCode") == "Error"
    assert "Invalid AMPscript in FromName" in text(started, "p:Results/p:Result/p:StatusMessage")
    assert world.smtp.messages == []
