"""The Transactional Messaging API and the legacy REST triggered send, delivered to a real SMTP
server: definitions, single and batch sends, messageKey status and dedupe, the queue of an
Inactive definition, the not-sent feed. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from tests.conftest import make_world
from tests.integration.send_api_support import bearer
from tests.support import (
    SmtpServer,
    create,
    retrieve,
    simple_filter,
    soap,
    text,
    texts,
    wait_for,
)

DEFS = "/messaging/v1/email/definitions"
MESSAGES = "/messaging/v1/email/messages"


def ok(world, action: str, body: str):  # type: ignore[no-untyped-def]
    status, response = soap(world.client, action, body, user=world.user)
    assert text(response, "p:OverallStatus") == "OK", status
    return response


def build(world) -> None:  # type: ignore[no-untyped-def]
    ok(
        world,
        "Create",
        create(
            "SenderProfile",
            "<CustomerKey>tx</CustomerKey><Name>Tx</Name><FromName>Shop</FromName>"
            "<FromAddress>orders@example.test</FromAddress>",
        ),
    )
    for key, kind in (
        ("Default Transactional", "Operational"),
        ("Default Commercial", "Marketing"),
    ):
        ok(
            world,
            "Create",
            create(
                "SendClassification",
                f"<CustomerKey>{key}</CustomerKey><Name>{key}</Name>"
                f"<SendClassificationType>{kind}</SendClassificationType>"
                "<SenderProfile><CustomerKey>tx</CustomerKey></SenderProfile>",
            ),
        )
    ok(
        world,
        "Create",
        create(
            "Email",
            "<CustomerKey>order-email</CustomerKey><Name>Order</Name>"
            "<Subject>Order %%OrderNo%%</Subject>"
            '<TextBody>%%[ SET @who = Propercase(AttributeValue("name")) ]%%Hello %%=v(@who)=%%,'
            " order %%OrderNo%% ships today.</TextBody>",
        ),
    )
    ok(world, "Create", create("List", "<CustomerKey>tx-list</CustomerKey><ListName>Tx</ListName>"))


def definition(**overrides):  # type: ignore[no-untyped-def]
    return {
        "definitionKey": "order-confirmation",
        "name": "Order confirmation",
        "content": {"customerKey": "order-email"},
        "subscriptions": {"list": "tx-list"},
        **overrides,
    }


def recipient(key: str, to: str, **attributes: str) -> dict:
    return {"contactKey": key, "to": to, "attributes": attributes}


@pytest.fixture
def smtp_world(database_url):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        for world in make_world(database_url, transport=server.url):
            world.smtp = server.recorder  # type: ignore[attr-defined]
            build(world)
            world.auth = bearer(world)  # type: ignore[attr-defined]
            yield world


def test_definitions_are_created_listed_read_patched_and_deleted(smtp_world) -> None:
    w = smtp_world
    created = w.client.post(DEFS, json=definition(description="by test"), headers=w.auth)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["definitionKey"] == "order-confirmation" and body["status"] == "Active"
    assert body["classification"] == "Default Transactional"
    assert body["subscriptions"] == {
        "list": "tx-list",
        "autoAddSubscriber": True,
        "updateSubscriber": True,
    }
    assert body["options"] == {"trackLinks": True}
    again = w.client.post(DEFS, json=definition(), headers=w.auth)
    assert (again.status_code, again.json()["errorcode"]) == (409, 30004)
    listed = w.client.get(DEFS + "?$filter=status%20eq%20active&$pageSize=10", headers=w.auth)
    assert [d["definitionKey"] for d in listed.json()["definitions"]] == ["order-confirmation"]
    assert listed.json()["count"] == 1 and "definitionId" not in listed.json()["definitions"][0]
    patched = w.client.patch(
        f"{DEFS}/order-confirmation", json={"status": "Inactive"}, headers=w.auth
    )
    assert patched.json()["status"] == "Inactive"
    assert w.client.get(DEFS + "?$filter=status%20eq%20active", headers=w.auth).json()["count"] == 0
    missing = w.client.get(f"{DEFS}/nope", headers=w.auth)
    assert (missing.status_code, missing.json()["errorcode"]) == (404, 30003)
    assert missing.json()["message"].startswith("MCMS_UTM_Runtime_ObjectNotFound")
    deleted = w.client.delete(f"{DEFS}/order-confirmation", headers=w.auth)
    assert deleted.json()["message"] == "Success" and deleted.json()["deletedDefinitionKey"]
    assert w.client.get(f"{DEFS}/order-confirmation", headers=w.auth).status_code == 404
    assert w.client.post(DEFS, json=definition(), headers=w.auth).status_code == 201
    marketing = w.client.post(
        DEFS,
        json=definition(definitionKey="m", classification="Default Commercial"),
        headers=w.auth,
    )
    assert (marketing.status_code, marketing.json()["errorcode"]) == (400, 109123)
    no_list = w.client.post(
        DEFS, json={**definition(definitionKey="x"), "subscriptions": {}}, headers=w.auth
    )
    assert no_list.status_code == 400


def test_a_single_send_is_delivered_personalised_and_followed_by_message_key(smtp_world) -> None:
    w = smtp_world
    assert w.client.post(DEFS, json=definition(), headers=w.auth).status_code == 201
    # Transactional: an unsubscribed subscriber still gets its order confirmation.
    ok(
        w,
        "Create",
        create(
            "Subscriber",
            "<EmailAddress>ann@example.test</EmailAddress><SubscriberKey>c-1</SubscriberKey>"
            "<Status>Unsubscribed</Status>",
        ),
    )
    reply = w.client.post(
        f"{MESSAGES}/mk-1",
        json={
            "definitionKey": "order-confirmation",
            "recipient": recipient("c-1", "ann@example.test", name="ann lee", OrderNo="77"),
        },
        headers=w.auth,
    )
    assert reply.status_code == 202, reply.text
    assert reply.json()["errorcode"] == 0 and reply.json()["responses"] == [{"messageKey": "mk-1"}]
    wait_for(lambda: len(w.smtp.messages) == 1)
    message = w.smtp.messages[0].message
    assert message["Subject"] == "Order 77"
    assert "Hello Ann Lee, order 77 ships today." in message.get_content()
    assert "List-Unsubscribe" not in message
    status = wait_for(
        lambda: (
            (s := w.client.get(f"{MESSAGES}/mk-1", headers=w.auth).json())["eventCategoryType"]
            == "TransactionalSendEvents.EmailSent"
            and s
        )
    )
    assert status["info"] == {"messageKey": "mk-1", "contactKey": "c-1", "to": "ann@example.test"}
    reused = w.client.post(
        f"{MESSAGES}/mk-1",
        json={
            "definitionKey": "order-confirmation",
            "recipient": recipient("c-1", "ann@example.test"),
        },
        headers=w.auth,
    )
    assert (reused.status_code, reused.json()["errorcode"]) == (400, 109110)
    assert w.client.get(f"{MESSAGES}/unknown", headers=w.auth).status_code == 404
    unknown = w.client.post(
        f"{MESSAGES}/mk-2",
        json={"definitionKey": "nope", "recipient": recipient("c", "c@example.test")},
        headers=w.auth,
    )
    assert (unknown.status_code, unknown.json()["errorcode"]) == (400, 109111)


def test_events_name_the_definition_by_its_definition_id(smtp_world) -> None:
    """A transactional definition's definitionId is the ObjectID of the triggered send
    definition behind it in Marketing Cloud: its SentEvent and NotSentEvent carry it as
    TriggeredSendDefinitionObjectID, so a SOAP Retrieve can follow a definition's sends."""
    w = smtp_world
    definition_id = w.client.post(DEFS, json=definition(), headers=w.auth).json()["definitionId"]
    ok(
        w,
        "Create",
        create(
            "Subscriber",
            "<EmailAddress>held@example.test</EmailAddress><SubscriberKey>c-held</SubscriberKey>"
            "<Status>Held</Status>",
        ),
    )
    reply = w.client.post(
        MESSAGES,
        json={
            "definitionKey": "order-confirmation",
            "recipients": [
                recipient("c-1", "ann@example.test", name="ann"),
                recipient("c-held", "held@example.test", name="hal"),
            ],
        },
        headers=w.auth,
    )
    assert reply.status_code == 202, reply.text
    wait_for(lambda: len(w.smtp.messages) == 1)
    by_definition = simple_filter("TriggeredSendDefinitionObjectID", "equals", definition_id)
    for event, key in (("SentEvent", "c-1"), ("NotSentEvent", "c-held")):
        _, got = soap(
            w.client,
            "Retrieve",
            retrieve(event, ["SubscriberKey", "TriggeredSendDefinitionObjectID"], by_definition),
            user=w.user,
        )
        assert texts(got, "p:Results/p:SubscriberKey") == [key], event
        assert texts(got, "p:Results/p:TriggeredSendDefinitionObjectID") == [definition_id]


def test_batches_answer_per_recipient_and_have_a_limit(smtp_world) -> None:
    w = smtp_world
    w.client.post(DEFS, json=definition(), headers=w.auth)
    reply = w.client.post(
        MESSAGES,
        json={
            "definitionKey": "order-confirmation",
            "recipients": [
                {**recipient("b-1", "b1@example.test", name="one"), "messageKey": "b-1"},
                {"contactKey": "b-2", "messageKey": "b-2"},
                recipient("b-3", "b3@example.test", name="three"),
            ],
            "attributes": {"OrderNo": "9"},
        },
        headers=w.auth,
    )
    assert reply.status_code == 202
    body = reply.json()
    assert body["errorcode"] == 109001
    assert body["message"] == "MCMS_UTM_ResponsesHasErrors: 1 subscribers failed to queue out of 3"
    assert body["responses"][1] == {
        "messageKey": "b-2",
        "errorcode": 109106,
        "message": "MCMS_UTM_Validation_MissingRequiredField_to: Invalid subscriber",
    }
    assert (
        body["responses"][0] == {"messageKey": "b-1"}
        and len(body["responses"][2]["messageKey"]) > 8
    )
    wait_for(lambda: len(w.smtp.messages) == 2)
    assert {m.message["Subject"] for m in w.smtp.messages} == {"Order 9"}
    too_many = w.client.post(
        MESSAGES,
        json={
            "definitionKey": "order-confirmation",
            "recipients": [recipient(f"k{i}", f"r{i}@example.test") for i in range(2001)],
        },
        headers=w.auth,
    )
    assert (too_many.status_code, too_many.json()["errorcode"]) == (400, 109101)
    # The recipients joined the definition's list (autoAddSubscriber).
    _, members = soap(
        w.client,
        "Retrieve",
        '<RetrieveRequestMsg xmlns="http://exacttarget.com/wsdl/partnerAPI"><RetrieveRequest>'
        "<ObjectType>Subscriber</ObjectType><Properties>SubscriberKey</Properties>"
        "</RetrieveRequest></RetrieveRequestMsg>",
        user=w.user,
    )
    keys = {e.text for e in members.iter("{http://exacttarget.com/wsdl/partnerAPI}SubscriberKey")}
    assert keys == {"b-1", "b-3"}


def test_an_inactive_definition_queues_and_its_queue_can_be_dropped(smtp_world) -> None:
    w = smtp_world
    w.client.post(DEFS, json=definition(status="Inactive"), headers=w.auth)
    for n in (1, 2):
        reply = w.client.post(
            f"{MESSAGES}/q-{n}",
            json={
                "definitionKey": "order-confirmation",
                "recipient": recipient(f"q{n}", f"q{n}@example.test"),
            },
            headers=w.auth,
        )
        assert reply.status_code == 202
    time.sleep(1.2)
    assert w.smtp.messages == []
    assert w.client.get(f"{MESSAGES}/q-1", headers=w.auth).json()["eventCategoryType"] == (
        "TransactionalSendEvents.EmailQueued"
    )
    queue = w.client.get(f"{DEFS}/order-confirmation/queue", headers=w.auth).json()
    assert queue["count"] == 2 and queue["ageSeconds"] >= 1
    assert (
        w.client.delete(f"{DEFS}/order-confirmation/queue", headers=w.auth).json()["message"]
        == "Queued"
    )
    dropped = w.client.get(f"{MESSAGES}/q-2", headers=w.auth).json()
    assert dropped["eventCategoryType"] == "TransactionalSendEvents.EmailNotSent"
    assert (dropped["info"]["statusCode"], dropped["info"]["statusMessage"]) == (
        37,
        "QueuedTransactionDeleted",
    )
    feed = w.client.get(f"{MESSAGES}/?type=notSent&$pagesize=1", headers=w.auth).json()
    assert feed["count"] == 1 and feed["messages"][0]["info"]["messageKey"] == "q-1"
    rest = w.client.get(
        f"{MESSAGES}/?type=notSent&lastEventId={feed['lastEventID']}", headers=w.auth
    ).json()
    assert [m["info"]["messageKey"] for m in rest["messages"]] == ["q-2"]
    assert rest["messages"][0]["definitionKey"] == "order-confirmation"
    w.client.patch(f"{DEFS}/order-confirmation", json={"status": "Active"}, headers=w.auth)
    active = w.client.delete(f"{DEFS}/order-confirmation/queue", headers=w.auth)
    assert (active.status_code, active.json()["errorcode"]) == (400, 30001)
    time.sleep(1)
    assert w.smtp.messages == []  # the dropped ones never go


def test_legacy_message_definition_sends(smtp_world) -> None:
    w = smtp_world
    _, emails = soap(
        w.client,
        "Retrieve",
        '<RetrieveRequestMsg xmlns="http://exacttarget.com/wsdl/partnerAPI"><RetrieveRequest>'
        "<ObjectType>Email</ObjectType><Properties>ID</Properties></RetrieveRequest></RetrieveRequestMsg>",
        user=w.user,
    )
    email_id = text(emails, "p:Results/p:ID")
    ok(
        w,
        "Create",
        create(
            "TriggeredSendDefinition",
            f"<CustomerKey>welcome</CustomerKey><Name>Welcome</Name><Email><ID>{email_id}</ID></Email>"
            "<SendClassification><CustomerKey>Default Transactional</CustomerKey></SendClassification>",
        ),
    )
    base = "/messaging/v1/messageDefinitionSends/key:welcome"
    body = {
        "To": {
            "Address": "zed@example.test",
            "SubscriberKey": "z-1",
            "ContactAttributes": {"SubscriberAttributes": {"name": "zed", "OrderNo": 5}},
        },
        "OPTIONS": {"RequestType": "ASYNC"},
    }
    new = w.client.post(f"{base}/send", json=body, headers=w.auth).json()
    assert new["responses"][0]["hasErrors"] is True
    assert new["responses"][0]["messageErrors"][0]["messageErrorCode"] == 18001
    ok(
        w,
        "Update",
        create(
            "TriggeredSendDefinition",
            "<CustomerKey>welcome</CustomerKey><TriggeredSendStatus>Active</TriggeredSendStatus>",
        ).replace("CreateRequest", "UpdateRequest"),
    )
    sent = w.client.post(f"{base}/send", json=body, headers=w.auth)
    assert sent.status_code == 202
    response = sent.json()["responses"][0]
    assert response["hasErrors"] is False and response["messages"] == ["Queued"]
    assert sent.json()["requestId"] == response["recipientSendId"]
    wait_for(lambda: len(w.smtp.messages) == 1)
    assert "Hello Zed, order 5" in w.smtp.messages[0].message.get_content()
    record = wait_for(
        lambda: (
            (
                r := w.client.get(
                    f"{base}/deliveryRecords/{response['recipientSendId']}", headers=w.auth
                ).json()
            )["status"]
            == "Sent"
            and r
        )
    )
    assert record["to"]["address"] == "zed@example.test" and record["deliveryTime"]
    no_address = w.client.post(
        f"{base}/send", json={"To": {"SubscriberKey": "x"}}, headers=w.auth
    ).json()
    assert no_address == {
        "recipientSendId": "",
        "hasErrors": True,
        "messages": ["InvalidOrMissingToAddress"],
    }
    missing = w.client.post(
        "/messaging/v1/messageDefinitionSends/key:nope/send", json=body, headers=w.auth
    )
    assert missing.status_code == 404
    batch = w.client.post(f"{base}/sendBatch", json=[body, body], headers=w.auth)
    assert [r["hasErrors"] for r in batch.json()["responses"]] == [False, False]
