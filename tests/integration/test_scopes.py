"""OAuth scopes: the same rules over SOAP (fueloauth) as over REST, per object area and access.

Tokens come from ``/v2/token`` with a narrowed ``scope``, as a real integration gets them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.integration.delivery_support import make_definition
from tests.integration.send_api_support import BASE, definition, setup_account
from tests.support import PARTNER, create, perform_start, retrieve, simple_filter, soap, text

from sendwell.services.registry import KINDS, OBJECT_AREAS
from sendwell.store.tables import objects, send_jobs

EMAIL = "<Name>Hello</Name><Subject>Hi</Subject><TextBody>Hi</TextBody>"
NSX = {"p": PARTNER}


def scoped_token(world, scope: str) -> str:  # type: ignore[no-untyped-def]
    reply = world.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": world.client_secret,
            "scope": scope,
        },
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["scope"] == scope
    return reply.json()["access_token"]


def emails(world) -> int:  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(objects).where(objects.c.type == "Email")
        ).scalar_one()


def jobs(world) -> int:  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(send_jobs)).scalar_one()


def refused(result, operation: str, type_name: str, scope: str) -> None:  # type: ignore[no-untyped-def]
    assert text(result, "p:StatusCode") == "Error"
    assert text(result, "p:ErrorCode") == "11"
    message = text(result, "p:StatusMessage") or ""
    assert message.startswith("API Permission Failed - Insufficient privileges")
    assert f"{operation} on {type_name}" in message and scope in message


def test_a_read_only_token_cannot_create_delete_or_send_over_soap(world) -> None:
    make_definition(world.engine, world.mid, ["ada@example.test"], key="scoped-send")
    read_only = scoped_token(world, "email_read")
    before_emails, before_jobs = emails(world), jobs(world)

    _, created = soap(world.client, "Create", create("Email", EMAIL), token=read_only)
    assert text(created, "p:OverallStatus") == "Error"
    refused(created.find("p:Results", NSX), "Create", "Email", "email_write")
    assert text(created, "p:Results/p:NewID") == "0"

    _, started = soap(world.client, "Perform", perform_start("scoped-send"), token=read_only)
    assert text(started, "p:OverallStatus") == "Error"
    refused(
        started.find("p:Results/p:Result", NSX),
        "Perform start",
        "EmailSendDefinition",
        "email_send",
    )

    _, listed = soap(world.client, "Retrieve", retrieve("Email", ["ID"]), token=read_only)
    assert text(listed, "p:OverallStatus") == "OK"
    email_id = listed.findall("p:Results/p:ID", NSX)[0].text
    delete_body = create("Email", f"<ID>{email_id}</ID>").replace("CreateRequest", "DeleteRequest")
    _, deleted = soap(world.client, "Delete", delete_body, token=read_only)
    refused(deleted.find("p:Results", NSX), "Delete", "Email", "email_write")
    update_body = create("Email", f"<ID>{email_id}</ID><Name>Changed</Name>").replace(
        "CreateRequest", "UpdateRequest"
    )
    _, updated = soap(world.client, "Update", update_body, token=read_only)
    refused(updated.find("p:Results", NSX), "Update", "Email", "email_write")

    assert (emails(world), jobs(world)) == (before_emails, before_jobs)
    _, still = soap(
        world.client,
        "Retrieve",
        retrieve("Email", ["Name"], simple_filter("ID", "equals", email_id)),
        token=read_only,
    )
    assert [e.text for e in still.findall("p:Results/p:Name", NSX)] == ["E scoped-send"]


def test_write_without_send_creates_but_cannot_start_pause_or_stop(world) -> None:
    make_definition(world.engine, world.mid, ["ada@example.test"], key="no-send")
    writer = scoped_token(world, "email_read email_write")
    _, created = soap(world.client, "Create", create("Email", EMAIL), token=writer)
    assert text(created, "p:OverallStatus") == "OK"
    for action in ("start", "pause", "stop"):
        body = perform_start("no-send").replace("<Action>start", f"<Action>{action}")
        _, performed = soap(world.client, "Perform", body, token=writer)
        result = performed.find("p:Results/p:Result", NSX)
        refused(result, f"Perform {action}", "EmailSendDefinition", "email_send")
    assert jobs(world) == 0
    sender = scoped_token(world, "email_send")
    _, started = soap(world.client, "Perform", perform_start("no-send"), token=sender)
    assert text(started, "p:OverallStatus") == "OK"
    assert jobs(world) == 1


def test_retrieve_and_describe_need_the_read_scope_of_the_objects_area(world) -> None:
    emails_only = scoped_token(world, "email_read email_write email_send")
    _, events = soap(world.client, "Retrieve", retrieve("OpenEvent", ["SendID"]), token=emails_only)
    status = text(events, "p:OverallStatus") or ""
    assert status.startswith("Error: API Permission Failed - Insufficient privileges")
    assert "tracking_events_read" in status
    assert events.findall("p:Results", NSX) == []
    rows = retrieve("DataExtensionObject[Anything]", ["Email"])
    _, de_rows = soap(world.client, "Retrieve", rows, token=emails_only)
    assert "data_extensions_read" in (text(de_rows, "p:OverallStatus") or "")

    describe = (
        f'<DefinitionRequestMsg xmlns="{PARTNER}"><DescribeRequests><ObjectDefinitionRequest>'
        "<ObjectType>Subscriber</ObjectType></ObjectDefinitionRequest></DescribeRequests>"
        "</DefinitionRequestMsg>"
    )
    status_code, fault = soap(world.client, "Describe", describe, token=emails_only)
    assert status_code == 500 and fault.findtext("faultcode") == "soap:Client"
    assert "list_and_subscribers_read" in fault.findtext("faultstring")
    lists = scoped_token(world, "list_and_subscribers_read")
    _, described = soap(world.client, "Describe", describe, token=lists)
    assert described.find("p:ObjectDefinition/p:ObjectType", NSX).text == "Subscriber"


@pytest.mark.parametrize("type_name", sorted(OBJECT_AREAS))
def test_every_object_type_is_guarded_by_its_area(sqlite_world, type_name: str) -> None:
    world = sqlite_world
    area = OBJECT_AREAS[type_name]
    allowed = scoped_token(world, " ".join(area.scopes(area.accesses[0])))
    other = "accounts_read" if area.name != "Accounts" else "email_read"
    denied = scoped_token(world, other)
    object_type = type_name + ("[Any]" if type_name == "DataExtensionObject" else "")
    body = retrieve(object_type, ["ObjectID"])
    _, no = soap(world.client, "Retrieve", body, token=denied)
    assert "API Permission Failed" in (text(no, "p:OverallStatus") or "")
    _, yes = soap(world.client, "Retrieve", body, token=allowed)
    assert "API Permission Failed" not in (text(yes, "p:OverallStatus") or "")
    assert type_name in KINDS


def test_a_continued_retrieve_is_checked_again(world) -> None:
    for name in ("One", "Two"):
        soap(world.client, "Create", create("Email", EMAIL.replace("Hello", name)), user=world.user)
    paged = retrieve("Email", ["ID"], extra="<Options><BatchSize>1</BatchSize></Options>")
    _, first = soap(world.client, "Retrieve", paged, user=world.user)
    assert text(first, "p:OverallStatus") == "MoreDataAvailable"
    continued = (
        f'<RetrieveRequestMsg xmlns="{PARTNER}"><RetrieveRequest>'
        f"<ContinueRequest>{text(first, 'p:RequestID')}</ContinueRequest>"
        "</RetrieveRequest></RetrieveRequestMsg>"
    )
    lists_only = scoped_token(world, "list_and_subscribers_read")
    _, refused_page = soap(world.client, "Retrieve", continued, token=lists_only)
    assert "email_read" in (text(refused_page, "p:OverallStatus") or "")
    _, next_page = soap(
        world.client, "Retrieve", continued, token=scoped_token(world, "email_read")
    )
    assert text(next_page, "p:OverallStatus") == "OK"


def test_an_empty_scope_allows_nothing(world) -> None:
    nothing = scoped_token(world, "")
    _, listed = soap(world.client, "Retrieve", retrieve("Email", ["ID"]), token=nothing)
    assert (text(listed, "p:OverallStatus") or "").startswith("Error: API Permission Failed")
    headers = {"Authorization": f"Bearer {nothing}"}
    reply = world.client.get(f"{BASE}/instance", headers=headers)
    assert reply.status_code == 403 and reply.json()["errorcode"] == 20002
    # Discovery needs no scope, as with Marketing Cloud.
    assert world.client.get("/platform/v1/endpoints/soap", headers=headers).status_code == 200


def test_rest_routes_use_the_same_areas(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = setup_account(world, tmp_path)
    read_only = {"Authorization": f"Bearer {scoped_token(world, 'email_read')}"}
    lists_only = {"Authorization": f"Bearer {scoped_token(world, 'list_and_subscribers_read')}"}
    for path in (
        "/asset/v1/content/assets",
        "/sendwell/v1/sendclassifications",
        "/capture/v1/messages",
        f"{BASE}/instance",
    ):
        assert world.client.get(path, headers=read_only).status_code == 200, path
        denied = world.client.get(path, headers=lists_only)
        assert denied.status_code == 403 and denied.json()["message"] == "Insufficient privileges"
    assert world.client.delete("/capture/v1/messages", headers=read_only).status_code == 403
    control = world.client.post("/sendwell/v1/sends/1/cancel", headers=read_only)
    assert control.status_code == 403 and control.json()["errorcode"] == 20002
    body = {"EmailDefinition": definition(ids)}
    created = world.client.post(BASE, json=body, headers=read_only)
    assert created.status_code == 403 and created.json()["errorcode"] == 20002
    writer = {"Authorization": f"Bearer {scoped_token(world, 'marketing_cloud_connect_write')}"}
    assert world.client.post(BASE, json=body, headers=writer).json()["IsError"] is False


def test_ws_security_users_keep_every_right(world) -> None:
    make_definition(world.engine, world.mid, ["ada@example.test"], key="user-send")
    _, started = soap(world.client, "Perform", perform_start("user-send"), user=world.user)
    assert text(started, "p:OverallStatus") == "OK"
    _, events = soap(world.client, "Retrieve", retrieve("OpenEvent", ["SendID"]), user=world.user)
    assert text(events, "p:OverallStatus") == "OK"
