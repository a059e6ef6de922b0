"""A field echoed back is bounded: an over-long key or name is refused per object, and neither
the echoed Object nor any message carries the caller's huge value whole."""

from __future__ import annotations

from tests.integration.send_api_support import BASE, bearer
from tests.support import PARTNER, create, envelope, perform_start, soap, text

HUGE = "k" * 2_000_000  # 2 MB: well inside the 10 MB envelope limit


def post(world, action: str, body: str):  # type: ignore[no-untyped-def]
    return world.client.post(
        "/Service.asmx",
        content=envelope(body, user=world.user).encode(),
        headers={"Content-Type": "text/xml", "SOAPAction": action},
    )


def test_create_with_a_huge_customer_key_is_a_small_error(sqlite_world) -> None:
    reply = post(
        sqlite_world,
        "Create",
        create("Email", f"<CustomerKey>{HUGE}</CustomerKey><Name>E</Name><TextBody>t</TextBody>"),
    )
    assert reply.status_code == 200 and len(reply.content) < 5_000, len(reply.content)
    assert "<StatusCode>Error</StatusCode>" in reply.text
    assert "CustomerKey" in reply.text and "at most 36" in reply.text
    _, response = soap(sqlite_world.client, "Retrieve", retrieve_emails(), user=sqlite_world.user)
    assert text(response, "p:Results/p:CustomerKey") is None  # nothing was stored


def retrieve_emails() -> str:
    return (
        f'<RetrieveRequestMsg xmlns="{PARTNER}"><RetrieveRequest><ObjectType>Email</ObjectType>'
        "<Properties>CustomerKey</Properties></RetrieveRequest></RetrieveRequestMsg>"
    )


def test_every_over_long_field_is_refused_before_it_is_stored(sqlite_world) -> None:
    cases = [
        create(
            "Email", f"<CustomerKey>k</CustomerKey><Name>{'n' * 129}</Name><TextBody>t</TextBody>"
        ),
        create(
            "Subscriber",
            f"<EmailAddress>a@example.test</EmailAddress><SubscriberKey>{'s' * 255}</SubscriberKey>",
        ),
        create(
            "SenderProfile",
            f"<CustomerKey>sp</CustomerKey><Name>S</Name><FromAddress>{'a' * 250}@example.test</FromAddress>",
        ),
        create("EmailSendDefinition", f"<CustomerKey>{'d' * 37}</CustomerKey><Name>D</Name>"),
    ]
    for body in cases:
        status, response = soap(sqlite_world.client, "Create", body, user=sqlite_world.user)
        assert status == 200 and text(response, "p:Results/p:StatusCode") == "Error", body[:80]
        assert "at most" in text(response, "p:Results/p:StatusMessage")
    _, response = soap(sqlite_world.client, "Create", cases[-1], user=sqlite_world.user)
    assert text(response, "p:Results/p:ErrorCode") == "42100"  # ESD_Customer Key Invalid


def test_update_and_perform_with_a_huge_key_are_small_errors(sqlite_world) -> None:
    update = create("Email", f"<CustomerKey>{HUGE}</CustomerKey><Name>E</Name>").replace(
        "CreateRequest", "UpdateRequest"
    )
    for action, body in (("Update", update), ("Perform", perform_start(HUGE))):
        reply = post(sqlite_world, action, body)
        assert reply.status_code == 200 and len(reply.content) < 5_000, (action, len(reply.content))
        assert "<StatusCode>Error</StatusCode>" in reply.text


def test_a_duplicate_key_message_quotes_it_briefly(sqlite_world) -> None:
    """The second create of a key fails with Duplicate; its message and echo stay short even
    for the longest key allowed plus an over-long name that is cut in the echo."""
    key = "d" * 36
    body = create("Email", f"<CustomerKey>{key}</CustomerKey><Name>E</Name><TextBody>t</TextBody>")
    soap(sqlite_world.client, "Create", body, user=sqlite_world.user)
    body = create(
        "Email",
        f"<CustomerKey>{key}</CustomerKey><Name>E</Name><TextBody>{'t' * 500_000}</TextBody>",
    )
    reply = post(sqlite_world, "Create", body)
    assert "already exists" in reply.text and len(reply.content) < 5_000, len(reply.content)


def test_retrieve_errors_and_faults_quote_briefly(sqlite_world) -> None:
    bad_filter = (
        f'<RetrieveRequestMsg xmlns="{PARTNER}"><RetrieveRequest><ObjectType>Email</ObjectType>'
        f'<Properties>ID</Properties><Filter xsi:type="SimpleFilterPart"><Property>ID</Property>'
        f"<SimpleOperator>equals</SimpleOperator><Value>{HUGE}</Value></Filter>"
        "</RetrieveRequest></RetrieveRequestMsg>"
    )
    unknown_type = bad_filter.replace("<ObjectType>Email", f"<ObjectType>{HUGE}")
    unknown_property = bad_filter.replace("<Properties>ID", f"<Properties>{HUGE}")
    for body in (bad_filter, unknown_type, unknown_property):
        reply = post(sqlite_world, "Retrieve", body)
        assert reply.status_code == 200 and len(reply.content) < 5_000, len(reply.content)
    enum = create("SendClassification", f"<SendClassificationType>{HUGE}</SendClassificationType>")
    reply = post(sqlite_world, "Create", enum)
    assert reply.status_code == 500 and len(reply.content) < 5_000, len(reply.content)


def test_rest_messages_quote_briefly(sqlite_world) -> None:
    auth = bearer(sqlite_world)
    c = sqlite_world.client
    replies = [
        c.get(f"/sendwell/v1/sends/{HUGE[:10_000]}", headers=auth),
        c.get(f"{BASE}/{HUGE[:10_000]}", headers=auth),
        c.get(f"/data/v1/integration/send/{HUGE[:10_000]}/email/1", headers=auth),
        c.post(BASE, json={"EmailDefinition": {"Name": "n" * 1_000_000}}, headers=auth),
        c.post(BASE, json={"EmailDefinition": {"ExternalKey": "x" * 1_000_000}}, headers=auth),
    ]
    for reply in replies:
        assert reply.status_code < 500 and len(reply.content) < 5_000, len(reply.content)
