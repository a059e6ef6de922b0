"""SOAP triggered sends: TriggeredSendDefinition's life (New, Active, Inactive, Canceled,
Deleted) and Create of TriggeredSend, delivered to a real SMTP server, tracked, summarised.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from tests.conftest import make_world
from tests.support import SmtpServer, create, retrieve, simple_filter, soap, text, texts, wait_for

UPDATE = "UpdateRequest"


def ok(world, action: str, body: str):  # type: ignore[no-untyped-def]
    status, response = soap(world.client, action, body, user=world.user)
    assert status == 200, response
    assert text(response, "p:OverallStatus") == "OK", texts(response, ".//p:StatusMessage")
    return response


def update(obj_type: str, props: str) -> str:
    return create(obj_type, props).replace("CreateRequest", UPDATE)


def build(world, classification: str = "Marketing") -> None:  # type: ignore[no-untyped-def]
    ok(
        world,
        "Create",
        create(
            "SenderProfile",
            "<CustomerKey>ops</CustomerKey><Name>Ops</Name><FromName>Shop</FromName>"
            "<FromAddress>shop@example.test</FromAddress>",
        ),
    )
    key = "Default Commercial" if classification == "Marketing" else "Default Transactional"
    ok(
        world,
        "Create",
        create(
            "SendClassification",
            f"<CustomerKey>{key}</CustomerKey><Name>{key}</Name>"
            f"<SendClassificationType>{classification}</SendClassificationType>"
            "<SenderProfile><CustomerKey>ops</CustomerKey></SenderProfile>",
        ),
    )
    email = ok(
        world,
        "Create",
        create(
            "Email",
            "<Name>Order</Name><Subject>Order %%OrderNo%% for %%FirstName%%</Subject>"
            '<HTMLBody>&lt;p&gt;%%[ SET @n = Uppercase(AttributeValue("FirstName")) ]%%'
            'Hi %%=v(@n)=%% &lt;a href="https://shop.example.test/o"&gt;order&lt;/a&gt;&lt;/p&gt;'
            "</HTMLBody><TextBody>Hi %%FirstName%%, order %%OrderNo%%</TextBody>",
        ),
    )
    email_id = text(email, "p:Results/p:NewID")
    response = ok(
        world,
        "Create",
        create(
            "TriggeredSendDefinition",
            f"<CustomerKey>TSD_KEY</CustomerKey><Name>Orders</Name>"
            f"<SendClassification><CustomerKey>{key}</CustomerKey></SendClassification>"
            f"<Email><ID>{email_id}</ID></Email>",
        ),
    )
    assert text(response, "p:Results/p:StatusMessage") == "TriggeredSendDefinition created"
    assert text(response, "p:Results/p:Object/p:TriggeredSendStatus") == "New"
    assert text(response, "p:Results/p:Object/p:Priority") == "4"


def set_status(world, status: str, extra: str = "") -> None:  # type: ignore[no-untyped-def]
    body = update(
        "TriggeredSendDefinition",
        f"<CustomerKey>TSD_KEY</CustomerKey>{extra}<TriggeredSendStatus>{status}"
        "</TriggeredSendStatus>",
    )
    response = ok(world, "Update", body)
    assert text(response, "p:Results/p:Object/p:TriggeredSendStatus") == status


def subscriber(email: str, key: str, first: str, owner: str = "") -> str:
    return (
        f"<Subscribers>{owner}<EmailAddress>{email}</EmailAddress>"
        f"<Attributes><Name>FirstName</Name><Value>{first}</Value></Attributes>"
        f"<SubscriberKey>{key}</SubscriberKey></Subscribers>"
    )


def trigger(world, *subscribers: str, order: str = "42"):  # type: ignore[no-untyped-def]
    body = create(
        "TriggeredSend",
        "<TriggeredSendDefinition><CustomerKey>TSD_KEY</CustomerKey></TriggeredSendDefinition>"
        + "".join(subscribers)
        + f"<Attributes><Name>OrderNo</Name><Value>{order}</Value></Attributes>",
    )
    return soap(world.client, "Create", body, user=world.user)[1]


@pytest.fixture
def smtp_world(database_url):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        for world in make_world(database_url, transport=server.url):
            world.smtp = server.recorder  # type: ignore[attr-defined]
            yield world


def test_an_active_definition_mails_each_subscriber_personalised(smtp_world) -> None:
    world = smtp_world
    build(world)
    assert (
        text(trigger(world, subscriber("a@example.test", "k1", "Ann")), "p:Results/p:ErrorCode")
        == "18001"
    )
    set_status(world, "Active")
    owner = (
        "<Owner><FromName>Ops Desk</FromName><FromAddress>ops@example.test</FromAddress></Owner>"
    )
    response = trigger(
        world,
        subscriber("ann@example.test", "k1", "Ann"),
        subscriber("bob@example.test", "k2", "Bob", owner),
    )
    result = response.find("p:Results", {"p": "http://exacttarget.com/wsdl/partnerAPI"})
    assert (
        result.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "TriggeredSendCreateResult"
    )
    assert text(response, "p:Results/p:StatusMessage") == "Created TriggeredSend"
    assert texts(response, "p:Results/p:SubscriberFailures") == []
    wait_for(lambda: len(world.smtp.messages) == 2)
    by_rcpt = {m.rcpt_to[0]: m for m in world.smtp.messages}
    ann = by_rcpt["ann@example.test"].message
    assert ann["Subject"] == "Order 42 for Ann"
    assert "Hi ANN" in ann.get_body(("html",)).get_content()
    assert "/t/c/" in ann.get_body(("html",)).get_content()  # tracked links
    assert str(ann["From"]) == "Shop <shop@example.test>"
    bob = by_rcpt["bob@example.test"]
    assert str(bob.message["From"]) == "Ops Desk <ops@example.test>"
    assert bob.mail_from == "ops@example.test"
    _, tsd = soap(
        world.client,
        "Retrieve",
        retrieve("TriggeredSendDefinition", ["ObjectID", "CustomerKey", "TriggeredSendStatus"]),
        user=world.user,
    )
    object_id = text(tsd, "p:Results/p:ObjectID")
    _, sent = soap(
        world.client,
        "Retrieve",
        retrieve(
            "SentEvent",
            ["SendID", "SubscriberKey", "TriggeredSendDefinitionObjectID", "BatchID"],
            simple_filter("TriggeredSendDefinitionObjectID", "equals", object_id),
        ),
        user=world.user,
    )
    assert sorted(texts(sent, "p:Results/p:SubscriberKey")) == ["k1", "k2"]
    assert set(texts(sent, "p:Results/p:BatchID")) == {"1"}  # one request, one batch
    # The subscribers were added to All Subscribers with the request's attributes.
    _, subs = soap(
        world.client,
        "Retrieve",
        retrieve("Subscriber", ["SubscriberKey", "EmailAddress"]),
        user=world.user,
    )
    assert sorted(texts(subs, "p:Results/p:SubscriberKey")) == ["k1", "k2"]


def test_inactive_queues_and_starting_again_flushes_in_arrival_order(smtp_world) -> None:
    world = smtp_world
    build(world)
    set_status(world, "Inactive")
    for n, name in enumerate(["c1", "c2", "c3"]):
        response = trigger(world, subscriber(f"{name}@example.test", name, name), order=str(n))
        assert text(response, "p:Results/p:StatusCode") == "OK"
    time.sleep(1.5)  # workers poll every 0.5 s: a paused job must not deliver
    assert world.smtp.messages == []
    _, summary = soap(
        world.client,
        "Retrieve",
        retrieve(
            "TriggeredSendSummary",
            ["CustomerKey", "Sent", "Queued"],
            simple_filter("CustomerKey", "equals", "TSD_KEY"),
        ),
        user=world.user,
    )
    assert (text(summary, "p:Results/p:Queued"), text(summary, "p:Results/p:Sent")) == ("3", "0")
    set_status(world, "Active")
    wait_for(lambda: len(world.smtp.messages) == 3)
    assert [m.rcpt_to[0] for m in world.smtp.messages] == [
        "c1@example.test",
        "c2@example.test",
        "c3@example.test",
    ]


def test_canceled_is_final_and_refuses_sends(smtp_world) -> None:
    world = smtp_world
    build(world)
    set_status(world, "Inactive")
    trigger(world, subscriber("q@example.test", "q", "Q"))
    set_status(world, "Canceled")
    response = trigger(world, subscriber("r@example.test", "r", "R"))
    assert text(response, "p:Results/p:ErrorCode") == "18002"
    assert "Active or Inactive" in text(response, "p:Results/p:StatusMessage")
    _, again = soap(
        world.client,
        "Update",
        update(
            "TriggeredSendDefinition",
            "<CustomerKey>TSD_KEY</CustomerKey><TriggeredSendStatus>Active</TriggeredSendStatus>",
        ),
        user=world.user,
    )
    assert text(again, "p:Results/p:ErrorCode") == "17000"
    # What was queued is not sent: a NotSent event, SubscriberQueueCleared.
    _, events = soap(
        world.client,
        "Retrieve",
        retrieve("NotSentEvent", ["SubscriberKey", "EventType"]),
        user=world.user,
    )
    assert texts(events, "p:Results/p:SubscriberKey") == ["q"]
    time.sleep(1)
    assert world.smtp.messages == []


def test_unsubscribed_skipped_for_commercial_and_bad_addresses_listed(smtp_world) -> None:
    world = smtp_world
    build(world)
    ok(
        world,
        "Create",
        create(
            "Subscriber",
            "<EmailAddress>gone@example.test</EmailAddress><SubscriberKey>gone</SubscriberKey>"
            "<Status>Unsubscribed</Status>",
        ),
    )
    set_status(world, "Active")
    response = trigger(
        world,
        subscriber("gone@example.test", "gone", "Gone"),
        subscriber("invalid.com", "bad", "Bad"),
        subscriber("ok@example.test", "fine", "Fine"),
    )
    assert text(response, "p:Results/p:StatusCode") == "OK"
    failures = response.findall(
        "p:Results/p:SubscriberFailures", {"p": "http://exacttarget.com/wsdl/partnerAPI"}
    )
    assert [text(f, "p:Ordinal") for f in failures] == ["0", "1"]
    assert [text(f, "p:ErrorCode") for f in failures] == [
        "TriggeredSendSubscriberProcessingError"
    ] * 2
    assert text(failures[1], "p:ErrorDescription") == (
        "Error Code: 5 - The Email Address for this subscriber has invalid syntax."
    )
    assert text(failures[0], "p:ErrorDescription").startswith("Error Code: 1 - ")
    wait_for(lambda: len(world.smtp.messages) == 1)
    assert world.smtp.messages[0].rcpt_to == ["ok@example.test"]
    nobody = trigger(world, subscriber("invalid.com", "bad", "Bad"))
    assert text(nobody, "p:Results/p:StatusCode") == "Error"
    assert text(nobody, "p:Results/p:ErrorCode") == "180008"
    assert text(nobody, "p:OverallStatus") == "Error"


def test_transactional_classification_sends_to_the_unsubscribed(smtp_world) -> None:
    world = smtp_world
    build(world, classification="Operational")
    ok(
        world,
        "Create",
        create(
            "Subscriber",
            "<EmailAddress>gone@example.test</EmailAddress><SubscriberKey>gone</SubscriberKey>"
            "<Status>Unsubscribed</Status>",
        ),
    )
    set_status(world, "Active")
    response = trigger(world, subscriber("gone@example.test", "gone", "Gone"))
    assert texts(response, "p:Results/p:SubscriberFailures") == []
    wait_for(lambda: len(world.smtp.messages) == 1)
    assert "List-Unsubscribe" not in world.smtp.messages[0].message  # not commercial


def test_content_changes_need_a_pause_and_a_publish(smtp_world) -> None:
    world = smtp_world
    build(world)
    set_status(world, "Active")
    _, refused = soap(
        world.client,
        "Update",
        update(
            "TriggeredSendDefinition",
            "<CustomerKey>TSD_KEY</CustomerKey><EmailSubject>New subject</EmailSubject>",
        ),
        user=world.user,
    )
    assert text(refused, "p:Results/p:ErrorCode") == "17003"
    set_status(world, "Inactive")
    ok(
        world,
        "Update",
        update(
            "TriggeredSendDefinition",
            "<CustomerKey>TSD_KEY</CustomerKey><EmailSubject>Your order %%OrderNo%%</EmailSubject>",
        ),
    )
    set_status(world, "Active", "<RefreshContent>true</RefreshContent>")
    trigger(world, subscriber("p@example.test", "p", "P"))
    wait_for(lambda: len(world.smtp.messages) == 1)
    assert world.smtp.messages[0].message["Subject"] == "Your order 42"


def test_delete_frees_the_key_and_unknown_keys_say_not_found(smtp_world) -> None:
    world = smtp_world
    build(world)
    body = create("TriggeredSendDefinition", "<CustomerKey>TSD_KEY</CustomerKey>")
    response = ok(world, "Delete", body.replace("CreateRequest", "DeleteRequest"))
    assert text(response, "p:Results/p:StatusMessage") == "TriggeredSendDefinition deleted"
    _, missing = soap(
        world.client, "Delete", body.replace("CreateRequest", "DeleteRequest"), user=world.user
    )
    assert text(missing, "p:Results/p:ErrorCode") == "17015"
    _, emails = soap(world.client, "Retrieve", retrieve("Email", ["ID"]), user=world.user)
    email_id = text(emails, "p:Results/p:ID")
    ok(
        world,
        "Create",
        create(
            "TriggeredSendDefinition",
            f"<CustomerKey>TSD_KEY</CustomerKey><Name>Orders again</Name><Email><ID>{email_id}</ID></Email>",
        ),
    )


def test_opens_and_clicks_are_tied_to_the_definition_and_summarised(smtp_world) -> None:
    import re

    world = smtp_world
    build(world)
    set_status(world, "Active")
    trigger(
        world,
        subscriber("ann@example.test", "k1", "Ann"),
        subscriber("bob@example.test", "k2", "Bob"),
    )
    wait_for(lambda: len(world.smtp.messages) == 2)
    html = {m.rcpt_to[0]: m.message.get_body(("html",)).get_content() for m in world.smtp.messages}
    click = re.search(r'href="https?://[^/"]+(/t/c/[^"]+)"', html["ann@example.test"])[1]
    pixel = re.search(r'src="https?://[^/"]+(/t/o/[^"]+\.gif)"', html["ann@example.test"])[1]
    assert (
        world.client.get(click, follow_redirects=False).headers["location"]
        == "https://shop.example.test/o"
    )
    assert world.client.get(pixel).status_code == 200
    world.client.get(pixel)
    _, tsd = soap(
        world.client, "Retrieve", retrieve("TriggeredSendDefinition", ["ObjectID"]), user=world.user
    )
    object_id = text(tsd, "p:Results/p:ObjectID")
    _, opens = soap(
        world.client,
        "Retrieve",
        retrieve(
            "OpenEvent",
            ["SubscriberKey", "TriggeredSendDefinitionObjectID"],
            simple_filter("TriggeredSendDefinitionObjectID", "equals", object_id),
        ),
        user=world.user,
    )
    assert texts(opens, "p:Results/p:SubscriberKey") == ["k1", "k1"]
    _, summary = soap(
        world.client,
        "Retrieve",
        retrieve(
            "TriggeredSendSummary",
            ["CustomerKey", "Sent", "Opens", "UniqueOpens", "Clicks", "Queued"],
            simple_filter("CustomerKey", "equals", "TSD_KEY"),
        ),
        user=world.user,
    )
    got = {
        n: text(summary, f"p:Results/p:{n}")
        for n in ("Sent", "Opens", "UniqueOpens", "Clicks", "Queued")
    }
    assert got == {"Sent": "2", "Opens": "2", "UniqueOpens": "1", "Clicks": "1", "Queued": "0"}
