"""AMPscript end to end: a SOAP send renders per recipient (a Lookup into another data
extension, variables shared by the parts, RaiseError skipping one recipient who is recorded
failed in the ledger with its message); broken content is refused when it is saved, with the
part, line and column; the preview route renders an account's email for one subscriber."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select
from tests.conftest import make_world
from tests.integration.send_api_support import BASE, bearer, definition, setup_account
from tests.integration.test_send_flow import build_graph, ok, send_status
from tests.support import SmtpServer, create, perform_start, retrieve, soap, text, wait_for

from sendwell.store.tables import recipients

HTML = """%%[
SET @offer = Lookup("Offers", "Offer", "Tier", Tier)
IF FirstName == "bob" THEN
  RaiseError(Concat("no offer for ", FirstName), true)
ENDIF
]%%<p>Hi %%=ProperCase(FirstName)=%%: %%=v(@offer)=%%</p>
%%[ IF Score > 50 THEN ]%%<p>VIP</p>%%[ ENDIF ]%%
"""
TEXT = "Offer %%=Uppercase(@offer)=%% for %%emailaddr%% (%%_messagecontext%%)"
OFFERS = """<Fields>
  <Field><Name>Tier</Name><FieldType>Text</FieldType><IsPrimaryKey>true</IsPrimaryKey></Field>
  <Field><Name>Offer</Name><FieldType>Text</FieldType></Field>
</Fields>"""


@pytest.fixture
def smtp_world(database_url):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        for world in make_world(database_url, transport=server.url):
            world.smtp = server.recorder  # type: ignore[attr-defined]
            yield world


def add_offers_and_script(world) -> None:  # type: ignore[no-untyped-def]
    c, u = world.client, world.user
    ok(
        c,
        "Create",
        create(
            "DataExtension", f"<CustomerKey>offers-key</CustomerKey><Name>Offers</Name>{OFFERS}"
        ),
        u,
    )
    for tier, offer in (("Gold", "20% off"), ("Silver", "10% off")):
        props = (
            f"<Property><Name>Tier</Name><Value>{tier}</Value></Property>"
            f"<Property><Name>Offer</Name><Value>{offer}</Value></Property>"
        )
        row = f"<CustomerKey>offers-key</CustomerKey><Properties>{props}</Properties>"
        ok(c, "Create", create("DataExtensionObject", row), u)
    _, emails = soap(c, "Retrieve", retrieve("Email", ["CustomerKey"]), user=u)
    key = text(emails, "p:Results/p:CustomerKey")
    body = create(
        "Email",
        f"<CustomerKey>{key}</CustomerKey><HTMLBody>{escape(HTML)}</HTMLBody>"
        f"<TextBody>{escape(TEXT)}</TextBody>",
    )
    ok(c, "Update", body.replace("CreateRequest", "UpdateRequest"), u)


def test_a_send_runs_ampscript_per_recipient(smtp_world) -> None:
    world = smtp_world
    build_graph(world)
    add_offers_and_script(world)
    response = ok(world.client, "Perform", perform_start("CustomerKey"), world.user)
    job_id = text(response, "p:Results/p:Result/p:Task/p:ID")

    def complete():  # type: ignore[no-untyped-def]
        status = send_status(world, job_id)
        return status if text(status, "p:Results/p:Status") in ("Complete", "Error") else None

    status = wait_for(complete)
    assert text(status, "p:Results/p:Status") == "Complete"
    assert sorted(world.smtp.recipients()) == ["ann@example.test", "fay@example.test"]
    assert text(status, "p:Results/p:NumberErrored") == "1"
    by_rcpt = {m.rcpt_to[0]: m.message for m in world.smtp.messages}
    ann, fay = by_rcpt["ann@example.test"], by_rcpt["fay@example.test"]

    def html(message):  # type: ignore[no-untyped-def]
        return message.get_body(("html",)).get_content().replace("\r\n", "\n")

    # (Open tracking may add its pixel after the content.)
    assert html(ann).startswith("<p>Hi Ann: 20% off</p>\n\n")
    assert html(fay).startswith("<p>Hi Fay: 20% off</p>\n<p>VIP</p>\n")
    assert ann.get_body(("plain",)).get_content().strip() == (
        "Offer 20% OFF for ann@example.test (SEND)"
    )
    with world.engine.connect() as conn:
        ledger = {
            r.subscriber_key: r
            for r in conn.execute(
                select(
                    recipients.c.subscriber_key, recipients.c.status, recipients.c.smtp_reply
                ).where(recipients.c.job_id == int(job_id))
            )
        }
    assert ledger["k2"].status == "failed"
    assert ledger["k2"].smtp_reply == "RaiseError: no offer for Bob"
    assert {ledger[k].status for k in ("k1", "k7")} == {"sent"}


def test_broken_content_is_refused_when_saved_with_part_line_and_column(sqlite_world) -> None:
    world = sqlite_world
    html = "<p>Hello</p>\n%%[ IF Tier == 'Gold' THEN ]%%\n<p>Gold</p>\n"
    _, response = soap(
        world.client,
        "Create",
        create(
            "Email", f"<Name>Broken</Name><Subject>Hi</Subject><HTMLBody>{escape(html)}</HTMLBody>"
        ),
        user=world.user,
    )
    assert text(response, "p:OverallStatus") == "Error"
    assert text(response, "p:Results/p:ErrorCode") == "42106"
    message = text(response, "p:Results/p:StatusMessage")
    assert "HTMLBody line 2, column 5: IF is not closed with ENDIF" in message

    _, response = soap(
        world.client,
        "Create",
        create(
            "Email",
            "<Name>Bad subject</Name><Subject>%%=Redirect('http://x')=%%</Subject>"
            "<TextBody>Hi</TextBody>",
        ),
        user=world.user,
    )
    assert "Subject line 1, column 4: Redirect works on landing pages" in text(
        response, "p:Results/p:StatusMessage"
    )


def test_a_rest_definition_with_a_broken_subject_is_refused(sqlite_world, tmp_path) -> None:
    world = sqlite_world
    ids = setup_account(world, tmp_path)
    body = definition(ids, EmailSubject="Hi %%=Concat(FirstName=%%")
    reply = world.client.post(BASE, json={"EmailDefinition": body}, headers=bearer(world))
    assert reply.json()["IsError"] is True
    assert "Subject line 1, column" in reply.json()["Message"]


def test_preview_renders_an_email_for_a_subscriber(sqlite_world) -> None:
    world = sqlite_world
    c, u = world.client, world.user
    ok(
        c,
        "Create",
        create(
            "DataExtension", f"<CustomerKey>offers-key</CustomerKey><Name>Offers</Name>{OFFERS}"
        ),
        u,
    )
    props = (
        "<Property><Name>Tier</Name><Value>Gold</Value></Property>"
        "<Property><Name>Offer</Name><Value>20% off</Value></Property>"
    )
    ok(
        c,
        "Create",
        create(
            "DataExtensionObject",
            f"<CustomerKey>offers-key</CustomerKey><Properties>{props}</Properties>",
        ),
        u,
    )
    ok(
        c,
        "Create",
        create(
            "Subscriber",
            "<EmailAddress>ann@example.test</EmailAddress><SubscriberKey>SK-1</SubscriberKey>"
            "<Attributes><Name>FirstName</Name><Value>ann</Value></Attributes>"
            "<Attributes><Name>Tier</Name><Value>Silver</Value></Attributes>",
        ),
        u,
    )
    created = ok(
        c,
        "Create",
        create(
            "Email",
            "<Name>Preview me</Name><Subject>%%=v(@offer)=%% for %%FirstName%%</Subject>"
            f"<HTMLBody>{escape(HTML)}</HTMLBody><TextBody>{escape(TEXT)}</TextBody>",
        ),
        u,
    )
    email_id = int(text(created, "p:Results/p:NewID"))
    auth = bearer(world)

    reply = c.post(
        "/sendwell/v1/preview",
        json={"emailId": email_id, "subscriberKey": "SK-1", "attributes": {"Tier": "gold"}},
        headers=auth,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "subject": "20% off for ann",
        "html": "<p>Hi Ann: 20% off</p>\n\n",
        "text": "Offer 20% OFF for ann@example.test (PREVIEW)",
    }

    skipped = c.post(
        "/sendwell/v1/preview",
        json={"emailId": email_id, "attributes": {"FirstName": "bob"}},
        headers=auth,
    )
    assert skipped.status_code == 400
    assert skipped.json()["message"] == "RaiseError: no offer for bob"

    for body, status in (
        ({"emailId": 999999}, 404),
        ({"emailId": "x"}, 400),
        ({"emailId": email_id, "attributes": []}, 400),
    ):
        assert c.post("/sendwell/v1/preview", json=body, headers=auth).status_code == status
    assert c.post("/sendwell/v1/preview", json={"emailId": email_id}).status_code == 401

    # Another account's token cannot see this account's email.
    world.accounts.create_package(2001, "Other", "other-client", "other-secret")
    other = bearer(world, client_id="other-client", client_secret="other-secret")
    assert (
        c.post("/sendwell/v1/preview", json={"emailId": email_id}, headers=other).status_code == 404
    )


def test_preview_reports_a_run_time_error_with_its_location(sqlite_world) -> None:
    world = sqlite_world
    created = ok(
        world.client,
        "Create",
        create(
            "Email",
            "<Name>Div</Name><Subject>x</Subject><TextBody>a\n  %%=Divide(1, Zero)=%%</TextBody>",
        ),
        world.user,
    )
    email_id = int(text(created, "p:Results/p:NewID"))
    reply = world.client.post(
        "/sendwell/v1/preview",
        json={"emailId": email_id, "attributes": {"Zero": "0"}},
        headers=bearer(world),
    )
    assert reply.status_code == 400
    assert reply.json()["part"] == "TextBody"
    assert (reply.json()["line"], reply.json()["column"]) == (2, 6)
    assert "Divide: division by zero" in reply.json()["message"]
