"""Every Send API route's error paths answer JSON in Marketing Cloud's shapes: never a 500,
never HTML. Gateway errors carry their HTTP status; Send API errors the IsError envelope."""

from __future__ import annotations

import pytest
from tests.integration.send_api_support import BASE, CAMPAIGN, bearer, definition, setup_account

ROUTES = [
    ("post", BASE, {"EmailDefinition": {}}),
    ("post", f"{BASE}/search", {"Criteria": {"Name": "x"}}),
    ("get", f"{BASE}/1", None),
    ("put", f"{BASE}/1", {"EmailDefinition": {}}),
    ("delete", f"{BASE}/1", None),
    ("post", f"{BASE}/1/schedule", {"Schedule": {}}),
    ("get", f"{BASE}/1/instance", None),
    ("get", f"{BASE}/instance", None),
    ("get", f"{BASE}/instance/1", None),
    ("get", f"{BASE}/instance/1/cancel", None),
]


@pytest.fixture
def api(sqlite_world, tmp_path):  # type: ignore[no-untyped-def]
    sqlite_world.ids = setup_account(sqlite_world, tmp_path)
    sqlite_world.auth = bearer(sqlite_world)
    return sqlite_world


def call(api, method: str, path: str, body=None, headers=None):  # type: ignore[no-untyped-def]
    kwargs = {"headers": headers if headers is not None else api.auth}
    if body is not None:
        kwargs["json"] = body
    reply = api.client.request(method.upper(), path, **kwargs)
    assert reply.headers["content-type"].startswith("application/json"), reply.text
    assert reply.status_code != 500
    return reply


def send_error(reply, verb: str, code: int) -> str:  # type: ignore[no-untyped-def]
    body = reply.json()
    assert reply.status_code == 200
    assert body["IsError"] is True and body["errorcode"] == code, body
    assert body["Message"] == body["message"] and body["Message"].startswith(f"Error {verb}: ")
    return body["Message"]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_needs_a_valid_token(api, method, path, body) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}):
        reply = call(api, method, path, body, headers)
        assert reply.status_code == 401
        assert reply.json()["errorcode"] == 0 and "message" in reply.json()
        assert "invalid_token" in reply.headers["www-authenticate"]


@pytest.mark.parametrize(("method", "path", "body"), [r for r in ROUTES if "/1" in r[1]])
def test_unknown_ids_are_not_found(api, method, path, body) -> None:
    reply = call(api, method, path.replace("/1", "/999999"), body)
    assert reply.status_code == 200 and reply.json()["IsError"] is True
    assert reply.json()["errorcode"] in (30003, 10002, 10005)


def test_create_lists_every_missing_field(api) -> None:
    reply = call(api, "post", BASE, {"EmailDefinition": {"Description": "x"}})
    message = send_error(reply, "creating integrated send definition", 10002)
    assert message.endswith(
        "One or more required fields are missing from this email send definition: "
        "Name, EmailId, SendClassificationId, Targets"
    )


def test_wrong_types_bad_json_and_media_type(api) -> None:
    reply = call(
        api, "post", BASE, {"EmailDefinition": {"Name": "x", "IsMultipartMIME": "perhaps"}}
    )
    assert "IsMultipartMIME" in send_error(reply, "creating integrated send definition", 10001)
    bad = api.client.post(
        BASE,
        content=b'{"EmailDefinition": {',
        headers={**api.auth, "content-type": "application/json"},
    )
    assert bad.status_code == 400 and bad.json()["errorcode"] == 10004
    text = api.client.post(
        BASE, content=b"Name=x", headers={**api.auth, "content-type": "text/plain"}
    )
    assert text.status_code == 415
    page = call(api, "get", f"{BASE}/instance?page=0")
    send_error(page, "retrieving integrated send instances", 10005)


def test_references_and_targets_are_checked(api) -> None:
    verb = "creating integrated send definition"
    cases = {
        "EmailId": (definition(api.ids, EmailId=424242), "Salesforce Send Unknown Email"),
        "SendClassificationId": (
            definition(api.ids, SendClassificationId="77"),
            "send classification",
        ),
        "target type": (
            definition(api.ids, Targets=[{"Type": "Account", "Id": CAMPAIGN}]),
            "Invalid Target",
        ),
        "target id": (
            definition(api.ids, Targets=[{"Type": "Campaign", "Id": "701000000000999"}]),
            "Invalid Target",
        ),
        "exclusion": (
            definition(api.ids, Exclusions=[{"Type": "Contact", "Id": "003000000000999"}]),
            "Invalid Exclusion",
        ),
        "no targets": (definition(api.ids, Targets=[]), "Targets"),
        "bcc": (definition(api.ids, Bcc="not an address"), "Bcc"),
    }
    for name, (body, expected) in cases.items():
        message = send_error(
            call(api, "post", BASE, {"EmailDefinition": body}),
            verb,
            10002 if name == "no targets" else 10005,
        )
        assert expected in message, name
    duplicate = definition(api.ids, ExternalKey="k1")
    call(api, "post", BASE, {"EmailDefinition": duplicate})
    assert (
        "already exists"
        in call(api, "post", BASE, {"EmailDefinition": duplicate}).json()["Message"]
    )


def test_unsupported_type_channel_and_schedule_rules(api) -> None:
    created = call(api, "post", BASE, {"EmailDefinition": definition(api.ids)}).json()
    wrong_type = call(
        api, "get", f"/data/v1/integration/send/dynamics/email/{created['DefinitionId']}"
    )
    assert "supported: salesforce" in send_error(
        wrong_type, "retrieving integrated send definition", 10005
    )
    wrong_channel = call(
        api, "get", f"/data/v1/integration/send/salesforce/sms/{created['DefinitionId']}"
    )
    assert "supported: email" in wrong_channel.json()["Message"]
    upper = call(
        api, "get", f"/data/v1/integration/send/SALESFORCE/EMAIL/{created['DefinitionId']}"
    )
    assert upper.json()["IsError"] is False
    path = f"{BASE}/{created['DefinitionId']}/schedule"
    not_opted = call(api, "post", path, {"Schedule": {"StartImmediately": True}})
    assert "AllRecipientsOptedIn must be true" in send_error(
        not_opted, "scheduling integrated send definition", 10005
    )
    no_time = call(api, "post", path, {"Schedule": {"AllRecipientsOptedIn": True}})
    assert "StartDateTime is required" in no_time.json()["Message"]
    bad_time = call(
        api, "post", path, {"Schedule": {"AllRecipientsOptedIn": True, "StartDateTime": "tomorrow"}}
    )
    assert "ISO 8601" in bad_time.json()["Message"]


def test_other_accounts_cannot_see_definitions(api) -> None:
    created = call(api, "post", BASE, {"EmailDefinition": definition(api.ids)}).json()
    api.accounts.create_package(api.other_mid, "Other", "other-client", "other-secret")
    other = api.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": "other-client",
            "client_secret": "other-secret",
        },
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {other}"}
    reply = call(api, "get", f"{BASE}/{created['DefinitionId']}", headers=headers)
    assert "Unable to find" in send_error(reply, "retrieving integrated send definition", 30003)
    deleted = call(api, "delete", f"{BASE}/{created['DefinitionId']}", headers=headers)
    assert deleted.json()["IsError"] is True
    search = call(
        api, "post", f"{BASE}/search", {"Criteria": {"SubscriberListId": CAMPAIGN}}, headers=headers
    )
    assert search.json()["Count"] == 0
    assert call(api, "get", f"{BASE}/{created['DefinitionId']}").json()["IsError"] is False


def test_scope_and_unknown_routes(api) -> None:
    read_only = bearer(api, scope="email_read")
    reply = call(api, "post", BASE, {"EmailDefinition": definition(api.ids)}, headers=read_only)
    assert reply.status_code == 403 and reply.json()["errorcode"] == 20002
    assert call(api, "get", f"{BASE}/instance", headers=read_only).json()["IsError"] is False
    missing = call(api, "get", "/data/v1/nothing/here")
    assert missing.status_code == 404 and missing.json()["message"] == "Service Not Found"
    wrong_method = call(api, "patch", f"{BASE}/1", {})
    assert wrong_method.status_code == 405


def test_semantic_error_status_setting(tmp_path) -> None:
    from tests.conftest import make_world

    for world in make_world(f"sqlite:///{tmp_path}/s.db", send_api_error_status="semantic"):
        auth = bearer(world)
        reply = world.client.get(f"{BASE}/12345", headers=auth)
        assert reply.status_code == 404 and reply.json()["IsError"] is True
        assert (
            world.client.post(f"{BASE}/search", json={"Criteria": {}}, headers=auth).status_code
            == 400
        )


def test_openapi_documents_every_route(api) -> None:
    spec = api.client.get("/openapi.json").json()
    paths = spec["paths"]
    prefix = "/data/v1/integration/send/{integration_type}/{channel}"
    for path, method in (
        ("", "post"),
        ("/search", "post"),
        ("/{definition_id}", "get"),
        ("/{definition_id}", "put"),
        ("/{definition_id}", "delete"),
        ("/{definition_id}/schedule", "post"),
        ("/instance", "get"),
        ("/instance/{instance_id}", "get"),
        ("/instance/{instance_id}/cancel", "get"),
        ("/{definition_id}/instance", "get"),
    ):
        operation = paths[prefix + path][method]
        assert operation["summary"]
        if method in ("post", "put"):
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.split("/")[-1] in spec["components"]["schemas"]
    assert "EmailDefinitionBody" in spec["components"]["schemas"]
    assert api.client.get("/docs").status_code == 200
