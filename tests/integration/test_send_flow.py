"""Seed sample 3's object graph, created and started over SOAP, delivered to a real SMTP server.

A sendable data extension with duplicate emails, a filter definition over it, an exclusion data
extension and an unsubscribed subscriber: the exact set of delivered recipients is asserted.
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

import pytest
from tests.conftest import make_world
from tests.support import (
    PARTNER,
    SmtpServer,
    create,
    perform_start,
    retrieve,
    simple_filter,
    soap,
    text,
    texts,
    wait_for,
)

FIELDS = """<Fields>
  <Field><Name>Key</Name><FieldType>Text</FieldType><IsPrimaryKey>true</IsPrimaryKey><IsRequired>true</IsRequired></Field>
  <Field><Name>Email</Name><FieldType>EmailAddress</FieldType></Field>
  <Field><Name>FirstName</Name><FieldType>Text</FieldType></Field>
  <Field><Name>Tier</Name><FieldType>Text</FieldType></Field>
  <Field><Name>Score</Name><FieldType>Number</FieldType></Field>
</Fields>"""
SENDABLE = (
    "<IsSendable>true</IsSendable><SendableDataExtensionField><Name>Key</Name>"
    "</SendableDataExtensionField><SendableSubscriberField><Name>Subscriber Key</Name>"
    "</SendableSubscriberField>"
)
MEMBERS = [  # key, email, first name, tier, score
    ("k1", "ann@example.test", "Ann", "Gold", "10"),
    ("k2", "bob@example.test", "Bob", "Gold", "20"),
    ("k3", "ANN@example.test", "Annie", "Gold", "30"),  # duplicate email of k1
    ("k4", "cid@example.test", "Cid", "Silver", "40"),  # filtered out (tier)
    ("k5", "dee@example.test", "Dee", "Gold", "50"),  # on the exclusion list
    ("k6", "eve@example.test", "Eve", "Gold", "60"),  # unsubscribed subscriber
    ("k7", "fay@example.test", "Fay", "gold", "70"),  # case-insensitive match
    ("k8", "gus@example.test", "Gus", "Gold", "3"),  # filtered out (score)
]


def row(key: str, email: str, first: str, tier: str, score: str) -> str:
    props = "".join(
        f"<Property><Name>{n}</Name><Value>{v}</Value></Property>"
        for n, v in (
            ("Key", key),
            ("Email", email),
            ("FirstName", first),
            ("Tier", tier),
            ("Score", score),
        )
    )
    return f"<CustomerKey>members</CustomerKey><Properties>{props}</Properties>"


def ok(client, action, body, user):  # type: ignore[no-untyped-def]
    status, response = soap(client, action, body, user=user)
    assert status == 200, response
    overall = text(response, "p:OverallStatus")
    assert overall == "OK", [texts(response, ".//p:StatusMessage"), overall]
    return response


def build_graph(world) -> None:  # type: ignore[no-untyped-def]
    c, u = world.client, world.user
    ok(
        c,
        "Create",
        create(
            "SenderProfile",
            "<CustomerKey>sp</CustomerKey><Name>News</Name>"
            "<FromName>News Team</FromName><FromAddress>news@example.test</FromAddress>",
        ),
        u,
    )
    ok(
        c,
        "Create",
        create(
            "SendClassification",
            "<CustomerKey>Default Commercial</CustomerKey>"
            "<SendClassificationType>Marketing</SendClassificationType><Name>Commercial</Name>"
            "<SenderProfile><CustomerKey>sp</CustomerKey></SenderProfile>",
        ),
        u,
    )
    email = ok(
        c,
        "Create",
        create(
            "Email",
            "<Name>Welcome</Name><Subject>Welcome</Subject>"
            "<HTMLBody>&lt;p&gt;Hello %%firstname%%, tier %%Tier%%&lt;/p&gt;</HTMLBody>"
            "<TextBody>Hello %%FirstName%% (%%emailaddr%%)</TextBody>",
        ),
        u,
    )
    email_id = text(email, "p:Results/p:NewID")
    ok(
        c,
        "Create",
        create(
            "DataExtension",
            f"<CustomerKey>members</CustomerKey><Name>Members</Name>{SENDABLE}{FIELDS}",
        ),
        u,
    )
    ok(
        c,
        "Create",
        create(
            "DataExtension",
            f"<CustomerKey>suppress</CustomerKey><Name>Suppress</Name>{SENDABLE}{FIELDS}",
        ),
        u,
    )
    for member in MEMBERS:
        ok(c, "Create", create("DataExtensionObject", row(*member)), u)
    ok(
        c,
        "Create",
        create(
            "DataExtensionObject",
            row("x5", "dee@example.test", "", "", "0").replace("members", "suppress"),
        ),
        u,
    )
    ok(
        c,
        "Create",
        create(
            "Subscriber",
            "<EmailAddress>eve@example.test</EmailAddress>"
            "<SubscriberKey>k6</SubscriberKey><Status>Unsubscribed</Status>",
        ),
        u,
    )
    ok(
        c,
        "Create",
        create(
            "FilterDefinition",
            "<CustomerKey>gold</CustomerKey><Name>Gold members</Name>"
            '<DataSource xsi:type="DataExtension"><CustomerKey>members</CustomerKey></DataSource>'
            '<DataFilter xsi:type="ComplexFilterPart">'
            '<LeftOperand xsi:type="SimpleFilterPart"><Property>Tier</Property>'
            "<SimpleOperator>equals</SimpleOperator><Value>Gold</Value></LeftOperand>"
            "<LogicalOperator>AND</LogicalOperator>"
            '<RightOperand xsi:type="SimpleFilterPart"><Property>Score</Property>'
            "<SimpleOperator>greaterThan</SimpleOperator><Value>5</Value></RightOperand>"
            "</DataFilter>",
        ),
        u,
    )
    suppress = ok(
        c,
        "Retrieve",
        retrieve("DataExtension", ["ObjectID"], simple_filter("CustomerKey", "equals", "suppress")),
        u,
    )
    suppress_id = text(suppress, "p:Results/p:ObjectID")
    # Seed sample 3: a filter definition as the source, a data extension as the exclusion list.
    ok(
        c,
        "Create",
        create(
            "EmailSendDefinition",
            f"""
        <CustomerKey>CustomerKey</CustomerKey><Name>EmailSendDefinition</Name>
        <Description>Description</Description>
        <SendClassification><CustomerKey>Default Commercial</CustomerKey></SendClassification>
        <IsSendLogging>true</IsSendLogging>
        <SendDefinitionList>
          <FilterDefinition><CustomerKey>gold</CustomerKey></FilterDefinition>
          <SendDefinitionListType>SourceList</SendDefinitionListType>
          <DataSourceTypeID>FilterDefinition</DataSourceTypeID>
        </SendDefinitionList>
        <SendDefinitionList>
          <SendDefinitionListType>ExclusionList</SendDefinitionListType>
          <CustomObjectID>{suppress_id}</CustomObjectID>
          <DataSourceTypeID>CustomObject</DataSourceTypeID>
        </SendDefinitionList>
        <Email><ID>{email_id}</ID></Email>
        <EmailSubject>Hi %%FirstName%%</EmailSubject>
        <DeduplicateByEmail>true</DeduplicateByEmail>""",
        ),
        u,
    )


def send_status(world, job_id: str):  # type: ignore[no-untyped-def]
    _, response = soap(
        world.client,
        "Retrieve",
        retrieve(
            "Send",
            [
                "ID",
                "Status",
                "NumberTargeted",
                "NumberSent",
                "NumberExcluded",
                "Duplicates",
                "ExistingUnsubscribes",
                "NumberErrored",
                "FromName",
                "FromAddress",
                "Subject",
                "EmailSendDefinition.CustomerKey",
            ],
            simple_filter("ID", "equals", job_id),
        ),
        user=world.user,
    )
    return response


@pytest.fixture
def smtp_world(database_url):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        for world in make_world(database_url, transport=server.url):
            world.smtp = server.recorder  # type: ignore[attr-defined]
            yield world


def test_sample_three_graph_delivers_exactly_the_resolved_audience(smtp_world) -> None:
    world = smtp_world
    build_graph(world)
    response = ok(world.client, "Perform", perform_start("CustomerKey"), world.user)
    job_id = text(response, "p:Results/p:Result/p:Task/p:ID")
    assert job_id and job_id.isdigit()

    def complete():  # type: ignore[no-untyped-def]
        status = send_status(world, job_id)
        return status if text(status, "p:Results/p:Status") in ("Complete", "Error") else None

    status = wait_for(complete)
    assert text(status, "p:Results/p:Status") == "Complete"
    delivered = sorted(world.smtp.recipients())
    assert delivered == ["ann@example.test", "bob@example.test", "fay@example.test"]
    counts = {
        n: text(status, f"p:Results/p:{n}")
        for n in (
            "NumberTargeted",
            "NumberSent",
            "NumberExcluded",
            "Duplicates",
            "ExistingUnsubscribes",
            "NumberErrored",
        )
    }
    assert counts == {
        "NumberTargeted": "3",
        "NumberSent": "3",
        "NumberExcluded": "1",
        "Duplicates": "1",
        "ExistingUnsubscribes": "1",
        "NumberErrored": "0",
    }
    assert text(status, "p:Results/p:EmailSendDefinition/p:CustomerKey") == "CustomerKey"
    by_rcpt = {m.rcpt_to[0]: m.message for m in world.smtp.messages}
    ann = by_rcpt["ann@example.test"]
    assert ann["Subject"] == "Hi Ann"  # k1 wins over k3: first in source order
    assert str(ann["From"]) == "News Team <news@example.test>"
    assert ann.get_body(("plain",)).get_content().strip() == "Hello Ann (ann@example.test)"
    assert "Hello Fay, tier gold" in by_rcpt["fay@example.test"].get_body(("html",)).get_content()

    _, events = soap(
        world.client,
        "Retrieve",
        retrieve(
            "SentEvent",
            ["SendID", "SubscriberKey", "EventType"],
            simple_filter("SendID", "equals", job_id),
        ),
        user=world.user,
    )
    assert sorted(texts(events, "p:Results/p:SubscriberKey")) == ["k1", "k2", "k7"]
    assert set(texts(events, "p:Results/p:EventType")) == {"Sent"}
    assert (
        events.find("p:Results", {"p": PARTNER}).get(
            "{http://www.w3.org/2001/XMLSchema-instance}type"
        )
        == "SentEvent"
    )


def test_dynamic_from_overrides_the_profile(smtp_world) -> None:
    world = smtp_world
    build_graph(world)
    sender = (
        "<SenderProfile><FromName>Dynamic Sender</FromName>"
        "<FromAddress>SendTime@example.com</FromAddress></SenderProfile>"
    )
    response = ok(world.client, "Perform", perform_start("CustomerKey", sender), world.user)
    assert (
        text(response, "p:Results/p:Result/p:Object/p:SenderProfile/p:FromName") == "Dynamic Sender"
    )
    job_id = text(response, "p:Results/p:Result/p:Task/p:ID")
    wait_for(lambda: len(world.smtp.messages) == 3)
    for message in world.smtp.messages:
        assert str(message.message["From"]) == "Dynamic Sender <SendTime@example.com>"
        assert message.mail_from == "SendTime@example.com"
    status = wait_for(
        lambda: (
            (s := send_status(world, job_id)) is not None
            and text(s, "p:Results/p:Status") == "Complete"
            and s
        )
    )
    assert text(status, "p:Results/p:FromName") == "Dynamic Sender"


def test_several_definitions_in_one_perform_get_one_result_each(smtp_world) -> None:
    world = smtp_world
    build_graph(world)
    body = (
        f'<PerformRequestMsg xmlns="{PARTNER}"><Action>start</Action><Definitions>'
        '<Definition xsi:type="EmailSendDefinition"><CustomerKey>CustomerKey</CustomerKey>'
        "</Definition>"
        '<Definition xsi:type="EmailSendDefinition"><CustomerKey>missing</CustomerKey>'
        "</Definition>"
        "</Definitions></PerformRequestMsg>"
    )
    status, response = soap(world.client, "Perform", body, user=world.user)
    assert status == 200
    assert texts(response, "p:Results/p:Result/p:StatusCode") == ["OK", "Error"]
    assert text(response, "p:OverallStatus") == "Has Errors"
    errors = response.findall("p:Results/p:Result", {"p": PARTNER})[1]
    assert text(errors, "p:ErrorCode") == "42002"
    assert "missing" in text(errors, "p:StatusMessage")
    assert errors.find("p:Task", {"p": PARTNER}) is None
    assert re.fullmatch(r"\d+", text(response, "p:Results/p:Result/p:Task/p:ID"))


def test_fields_missing_from_the_row_come_from_the_subscriber_profile(smtp_world) -> None:
    world = smtp_world
    build_graph(world)
    ok(
        world.client,
        "Create",
        create(
            "Subscriber",
            "<EmailAddress>ann@example.test</EmailAddress>"
            "<SubscriberKey>k1</SubscriberKey><Attributes><Name>Nickname</Name><Value>Annie B</Value>"
            "</Attributes><Attributes><Name>FirstName</Name><Value>Profile Ann</Value></Attributes>",
        ),
        world.user,
    )
    _, emails = soap(world.client, "Retrieve", retrieve("Email", ["CustomerKey"]), user=world.user)
    key = text(emails, "p:Results/p:CustomerKey")
    body = create(
        "Email",
        f"<CustomerKey>{key}</CustomerKey><TextBody>Hi %%FirstName%% aka %%Nickname%%</TextBody>",
    )
    ok(world.client, "Update", body.replace("CreateRequest", "UpdateRequest"), world.user)
    ok(world.client, "Perform", perform_start("CustomerKey"), world.user)
    wait_for(lambda: len(world.smtp.messages) == 3)
    by_rcpt = {m.rcpt_to[0]: m.message for m in world.smtp.messages}
    # The row's FirstName wins; Nickname is not a field of the data extension: from the profile.
    assert (
        by_rcpt["ann@example.test"].get_body(("plain",)).get_content().strip()
        == "Hi Ann aka Annie B"
    )
    assert by_rcpt["bob@example.test"].get_body(("plain",)).get_content().strip() == "Hi Bob aka"


def test_a_definitions_bcc_address_gets_a_copy_of_every_message(smtp_world) -> None:
    """BccEmail is one text (as the WSDL's string); each address in it gets every message."""
    world = smtp_world
    build_graph(world)
    body = create(
        "EmailSendDefinition",
        "<CustomerKey>CustomerKey</CustomerKey>"
        "<BccEmail>audit@example.test; archive@example.test</BccEmail>",
    )
    ok(world.client, "Update", body.replace("CreateRequest", "UpdateRequest"), world.user)
    response = ok(world.client, "Perform", perform_start("CustomerKey"), world.user)
    job_id = text(response, "p:Results/p:Result/p:Task/p:ID")
    wait_for(lambda: len(world.smtp.messages) == 9)
    copies = sorted(r for m in world.smtp.messages for r in m.rcpt_to if "example.test" in r)
    assert copies.count("audit@example.test") == 3
    assert copies.count("archive@example.test") == 3
    _, status = soap(
        world.client,
        "Retrieve",
        retrieve("Send", ["ID", "BccEmail"], simple_filter("ID", "equals", job_id)),
        user=world.user,
    )
    assert text(status, "p:Results/p:BccEmail") == "audit@example.test, archive@example.test"
