"""Authentication (WS-Security, fueloauth, legacy oAuth), tokens, ClientID switching, isolation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from tests.support import PARTNER, create, perform_start, retrieve, simple_filter, soap, text, texts

from sendwell.store.tables import tokens

EMAIL = "<Name>Hello</Name><Subject>Hi</Subject><TextBody>Hi %%FirstName%%</TextBody>"
NSX = {"p": PARTNER, "soap": "http://schemas.xmlsoap.org/soap/envelope/"}


def token(world, **extra):  # type: ignore[no-untyped-def]
    body = {
        "grant_type": "client_credentials",
        "client_id": world.client_id,
        "client_secret": world.client_secret,
        **extra,
    }
    return world.client.post("/v2/token", json=body)


def test_v2_token_reply_has_what_the_sdks_need(world) -> None:
    reply = token(world)
    assert reply.status_code == 200
    data = reply.json()
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] > 300
    assert "email_send" in data["scope"].split()
    assert data["soap_instance_url"].endswith("/") and data["rest_instance_url"].endswith("/")
    assert "refresh_token" not in data
    assert reply.headers["cache-control"] == "no-store"
    status, response = soap(
        world.client, "Retrieve", retrieve("Email", ["ID"]), token=data["access_token"]
    )
    assert status == 200 and text(response, "p:OverallStatus") == "OK"


def test_v2_token_errors_use_the_oauth_shape(world) -> None:
    wrong = world.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": "x",
        },
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    grant = world.client.post("/v2/token", json={"client_id": world.client_id})
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    other = token(world, account_id=world.other_mid)
    assert other.status_code == 401 and other.json()["error"] == "unauthorized_client"
    scope = token(world, scope="email_read not_a_scope")
    assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"
    garbage = world.client.post(
        "/v2/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_request"


def test_v2_token_for_a_child_unit_acts_there(world) -> None:
    child = token(world, account_id=str(world.child_mid)).json()["access_token"]
    _status, created = soap(world.client, "Create", create("Email", EMAIL), token=child)
    assert text(created, "p:OverallStatus") == "OK"
    _, in_parent = soap(
        world.client, "Retrieve", retrieve("Email", ["ID", "Client.ID"]), user=world.user
    )
    assert in_parent.findall("p:Results", NSX) == []
    _, in_child = soap(
        world.client, "Retrieve", retrieve("Email", ["ID", "Client.ID"]), token=child
    )
    assert texts(in_child, "p:Results/p:Client/p:ID") == [str(world.child_mid)]


def test_legacy_tokens_work_in_both_soap_headers(world) -> None:
    reply = world.client.post(
        "/v1/requestToken?legacy=1",
        json={
            "clientId": world.client_id,
            "clientSecret": world.client_secret,
            "accessType": "offline",
        },
    )
    assert reply.status_code == 200
    data = reply.json()
    assert {"accessToken", "expiresIn", "legacyToken"} <= data.keys()
    status, response = soap(
        world.client, "Retrieve", retrieve("Email", ["ID"]), token=data["accessToken"]
    )
    assert text(response, "p:OverallStatus") == "OK"
    legacy_header = (
        '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-'
        'wssecurity-secext-1.0.xsd" mustUnderstand="true"><wsse:UsernameToken>'
        "<wsse:Username>*</wsse:Username><wsse:Password>*</wsse:Password></wsse:UsernameToken>"
        f'</wsse:Security><etns:oAuth xmlns:etns="http://exacttarget.com"><oAuthToken>'
        f"{data['legacyToken']}</oAuthToken></etns:oAuth>"
    )
    status, response = soap(
        world.client, "Retrieve", retrieve("Email", ["ID"]), header_extra=legacy_header
    )
    assert status == 200 and text(response, "p:OverallStatus") == "OK"
    bad = world.client.post(
        "/v1/requestToken", json={"clientId": world.client_id, "clientSecret": "no"}
    )
    assert bad.status_code == 401 and bad.json()["message"] == "Unauthorized"
    soap_url = world.client.get(
        "/platform/v1/endpoints/soap", headers={"Authorization": f"Bearer {data['accessToken']}"}
    )
    assert soap_url.json()["url"].endswith("/Service.asmx")
    assert world.client.get("/platform/v1/endpoints/soap").status_code == 401


def test_wrong_password_and_expired_token_are_faults(world) -> None:
    status, fault = soap(
        world.client, "Retrieve", retrieve("Email", ["ID"]), user=("api_user", "nope")
    )
    assert status == 500
    assert fault.findtext("faultstring") == "Login failed"
    assert fault.findtext("faultcode") == "q0:Security"
    status, fault = soap(world.client, "Retrieve", retrieve("Email", ["ID"]))
    assert status == 500 and fault.findtext("faultstring") == "Login failed"
    access = token(world).json()["access_token"]
    with world.engine.begin() as conn:
        conn.execute(update(tokens).values(expires_at=datetime(2000, 1, 1)))
    status, fault = soap(world.client, "Retrieve", retrieve("Email", ["ID"]), token=access)
    assert status == 500 and fault.findtext("faultstring") == "Token Expired"
    expired_rest = world.client.get(
        "/platform/v1/endpoints/soap", headers={"Authorization": f"Bearer {access}"}
    )
    assert expired_rest.status_code == 401
    assert "invalid_token" in expired_rest.headers["www-authenticate"]


def test_client_id_switches_to_a_granted_unit_only(world) -> None:
    granted = create("Email", EMAIL).replace(
        "<Objects", f"<Options><Client><ID>{world.child_mid}</ID></Client></Options><Objects"
    )
    _, response = soap(world.client, "Create", granted, user=world.user)
    assert text(response, "p:OverallStatus") == "OK"
    assert text(response, "p:Results/p:Object/p:Client/p:ID") == str(world.child_mid)
    refused = granted.replace(str(world.child_mid), str(world.other_mid))
    _, response = soap(world.client, "Create", refused, user=world.user)
    assert text(response, "p:OverallStatus") == "Error"
    assert text(response, "p:Results/p:ErrorCode") == "4"
    # A child unit's own user may not climb to the parent.
    upward = granted.replace(str(world.child_mid), str(world.mid))
    _, response = soap(world.client, "Create", upward, user=world.child_only_user)
    assert text(response, "p:Results/p:StatusCode") == "Error"
    options = f"<Options><Client><ID>{world.other_mid}</ID></Client></Options>"
    _, response = soap(
        world.client, "Perform", perform_start("anything", options=options), user=world.user
    )
    assert text(response, "p:Results/p:Result/p:StatusCode") == "Error"
    assert text(response, "p:Results/p:Result/p:ErrorCode") == "4"
    _, response = soap(
        world.client,
        "Retrieve",
        retrieve("Email", ["ID"], extra=f"<ClientIDs><ID>{world.other_mid}</ID></ClientIDs>"),
        user=world.user,
    )
    assert text(response, "p:OverallStatus").startswith("Error:")


def test_another_accounts_objects_are_invisible_and_untouchable(world) -> None:
    _, created = soap(
        world.client,
        "Create",
        create("Email", "<CustomerKey>mine</CustomerKey>" + EMAIL),
        user=world.user,
    )
    assert text(created, "p:OverallStatus") == "OK"
    email_id = text(created, "p:Results/p:NewID")
    other = world.other_user
    _, listed = soap(world.client, "Retrieve", retrieve("Email", ["ID", "Name"]), user=other)
    assert listed.findall("p:Results", NSX) == []
    _, by_id = soap(
        world.client,
        "Retrieve",
        retrieve("Email", ["ID"], simple_filter("ID", "equals", email_id)),
        user=other,
    )
    assert by_id.findall("p:Results", NSX) == []
    update_body = create("Email", "<CustomerKey>mine</CustomerKey><Name>Hacked</Name>").replace(
        "CreateRequest", "UpdateRequest"
    )
    _, updated = soap(world.client, "Update", update_body, user=other)
    assert text(updated, "p:Results/p:StatusCode") == "Error"
    deleted_body = update_body.replace("UpdateRequest", "DeleteRequest")
    _, deleted = soap(world.client, "Delete", deleted_body, user=other)
    assert text(deleted, "p:Results/p:StatusCode") == "Error"
    _, mine = soap(
        world.client,
        "Retrieve",
        retrieve("Email", ["Name"], simple_filter("ID", "equals", email_id)),
        user=world.user,
    )
    assert texts(mine, "p:Results/p:Name") == ["Hello"]
    # A package of one account cannot get a token for another.
    reply = world.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": world.client_secret,
            "account_id": world.other_mid,
        },
    )
    assert reply.status_code == 401
