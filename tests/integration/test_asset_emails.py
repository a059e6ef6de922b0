"""An email asset is the partner API Email: what REST saves, SOAP retrieves and sends, and what
SOAP saves, Content Builder shows and patches. Delivered to a real SMTP server; SQLite and
PostgreSQL."""

from __future__ import annotations

from xml.sax.saxutils import escape

from tests.integration.send_api_support import bearer
from tests.integration.test_send_flow import build_graph, ok, send_status, smtp_world
from tests.support import (
    PARTNER,
    create,
    perform_start,
    retrieve,
    simple_filter,
    soap,
    text,
    wait_for,
)

__all__ = ["smtp_world"]  # the fixture, with the recording SMTP server

ASSETS = "/asset/v1/content/assets"
EMAIL_FIELDS = ["ID", "CustomerKey", "Name", "Subject", "HTMLBody", "TextBody", "PreHeader"]
HTML = """%%[ SET @tier = Uppercase(Tier) ]%%<p>Dear %%=ProperCase(FirstName)=%%</p>
<p>You are %%=v(@tier)=%%</p>"""


def soap_email(world, email_id: int) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    _, found = soap(
        world.client,
        "Retrieve",
        retrieve("Email", EMAIL_FIELDS, simple_filter("ID", "equals", str(email_id))),
        user=world.user,
    )
    assert text(found, "p:OverallStatus") == "OK"
    assert len(found.findall("p:Results", {"p": PARTNER})) == 1
    return {name: text(found, f"p:Results/p:{name}") for name in EMAIL_FIELDS}


def html_email(world, auth: dict[str, str], **views: str) -> dict:  # type: ignore[no-untyped-def]
    body = {
        "name": "Asset email",
        "customerKey": "asset-email",
        "assetType": {"name": "htmlemail", "id": 208},
        "views": {view: {"content": content} for view, content in views.items()},
    }
    reply = world.client.post(ASSETS, json=body, headers=auth)
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_an_asset_email_is_the_partner_api_email(world) -> None:
    auth = bearer(world)
    asset = html_email(
        world, auth, html="<p>Hi %%FirstName%%</p>", text="Hi", subjectline="Welcome", preheader="P"
    )
    email_id = asset["legacyData"]["legacyId"]
    assert soap_email(world, email_id) == {
        "ID": str(email_id),
        "CustomerKey": "asset-email",
        "Name": "Asset email",
        "Subject": "Welcome",
        "HTMLBody": "<p>Hi %%FirstName%%</p>",
        "TextBody": "Hi",
        "PreHeader": "P",
    }
    update = create(
        "Email",
        f"<ID>{email_id}</ID><HTMLBody>{escape('<p>Changed over SOAP</p>')}</HTMLBody>"
        "<Subject>New subject</Subject>",
    ).replace("CreateRequest", "UpdateRequest")
    ok(world.client, "Update", update, world.user)
    after = world.client.get(f"{ASSETS}/{asset['id']}", headers=auth).json()
    assert after["views"]["html"]["content"] == "<p>Changed over SOAP</p>"
    assert after["views"]["subjectline"]["content"] == "New subject"
    assert after["views"]["text"]["content"] == "Hi"
    assert after["assetType"]["name"] == "htmlemail"  # SOAP kept what only the asset has
    deleted = world.client.delete(f"{ASSETS}/{asset['id']}", headers=auth)
    assert deleted.json() == "OK"
    _, gone = soap(
        world.client,
        "Retrieve",
        retrieve("Email", ["ID"], simple_filter("ID", "equals", str(email_id))),
        user=world.user,
    )
    assert gone.findall("p:Results", {"p": PARTNER}) == []


def test_a_soap_email_is_an_htmlemail_asset_and_patchable(world) -> None:
    auth = bearer(world)
    made = ok(
        world.client,
        "Create",
        create(
            "Email",
            "<CustomerKey>soap-email</CustomerKey><Name>From SOAP</Name><Subject>Hello</Subject>"
            f"<HTMLBody>{escape('<p>SOAP body</p>')}</HTMLBody><TextBody>SOAP text</TextBody>",
        ),
        world.user,
    )
    email_id = int(text(made, "p:Results/p:NewID") or 0)
    listed = world.client.get(f"{ASSETS}?$filter=customerKey%20eq%20soap-email", headers=auth)
    (asset,) = listed.json()["items"]
    assert asset["id"] == asset["legacyData"]["legacyId"] == email_id
    assert asset["assetType"] == {"id": 208, "name": "htmlemail", "displayName": "HTML Email"}
    assert asset["name"] == "From SOAP"
    assert asset["views"]["html"]["content"] == "<p>SOAP body</p>"
    assert asset["views"]["text"]["content"] == "SOAP text"
    assert asset["views"]["subjectline"]["content"] == "Hello"
    patched = world.client.patch(
        f"{ASSETS}/{email_id}",
        json={
            "views": {"html": {"content": "<p>Patched %%FirstName%%</p>"}},
            "description": "edited in Content Builder",
        },
        headers=auth,
    )
    assert patched.status_code == 200, patched.text
    seen = soap_email(world, email_id)
    assert seen["HTMLBody"] == "<p>Patched %%FirstName%%</p>"
    assert seen["TextBody"] == "SOAP text" and seen["Subject"] == "Hello"
    # The queried asset and SOAP's Email keep agreeing after another SOAP update.
    rename = create("Email", f"<ID>{email_id}</ID><Name>Renamed</Name>")
    ok(world.client, "Update", rename.replace("CreateRequest", "UpdateRequest"), world.user)
    again = world.client.get(f"{ASSETS}/{email_id}", headers=auth).json()
    assert again["name"] == "Renamed" and again["description"] == "edited in Content Builder"


def test_an_asset_email_is_delivered_by_a_soap_perform_start(smtp_world) -> None:
    world = smtp_world
    build_graph(world)
    auth = bearer(world)
    asset = html_email(world, auth, html=HTML, text="Dear %%FirstName%%", subjectline="Ignored")
    email_id = asset["legacyData"]["legacyId"]
    definition = create(
        "EmailSendDefinition",
        f"<CustomerKey>CustomerKey</CustomerKey><Email><ID>{email_id}</ID></Email>",
    )
    ok(world.client, "Update", definition.replace("CreateRequest", "UpdateRequest"), world.user)
    response = ok(world.client, "Perform", perform_start("CustomerKey"), world.user)
    job_id = text(response, "p:Results/p:Result/p:Task/p:ID") or ""

    def complete():  # type: ignore[no-untyped-def]
        status = send_status(world, job_id)
        return status if text(status, "p:Results/p:Status") in ("Complete", "Error") else None

    status = wait_for(complete)
    assert text(status, "p:Results/p:Status") == "Complete"
    by_rcpt = {m.rcpt_to[0]: m.message for m in world.smtp.messages}
    assert sorted(by_rcpt) == ["ann@example.test", "bob@example.test", "fay@example.test"]
    fay = by_rcpt["fay@example.test"]
    html = fay.get_body(("html",)).get_content()
    assert "<p>Dear Fay</p>" in html and "<p>You are GOLD</p>" in html
    assert fay.get_body(("plain",)).get_content().strip() == "Dear Fay"
    assert fay["Subject"] == "Hi Fay"  # the definition's EmailSubject wins, as before


def test_an_email_asset_without_content_is_refused_at_start(world) -> None:
    build_graph(world)
    auth = bearer(world)
    # FuelSDK-Node's set-up body: an email with a name and a type, nothing to send yet.
    empty = world.client.post(
        ASSETS,
        json={"name": "NTO Welcome Series Email", "assetType": {"name": "templatebasedemail"}},
        headers=auth,
    ).json()
    email_id = empty["legacyData"]["legacyId"]
    definition = create(
        "EmailSendDefinition",
        f"<CustomerKey>CustomerKey</CustomerKey><Email><ID>{email_id}</ID></Email>",
    )
    ok(world.client, "Update", definition.replace("CreateRequest", "UpdateRequest"), world.user)
    status, response = soap(world.client, "Perform", perform_start("CustomerKey"), user=world.user)
    assert status == 200
    assert text(response, "p:OverallStatus") == "Error"
    message = text(response, "p:Results/p:Result/p:StatusMessage") or ""
    assert f"Email {email_id} has no content" in message
