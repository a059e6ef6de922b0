"""Content Builder's asset routes over real HTTP and both stores: every stored asset type is
created, read, changed, listed, queried and deleted; another account's asset does not exist;
bad input gets Content Builder's error bodies (with ``validationErrors``)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.integration.send_api_support import bearer
from tests.integration.test_scopes import scoped_token

ASSETS = "/asset/v1/content/assets"
HTML = "<p>Hello %%=ProperCase(FirstName)=%%</p>"
BODIES: dict[str, dict[str, Any]] = {
    "htmlemail": {
        "name": "Welcome",
        "customerKey": "welcome-email",
        "assetType": {"name": "htmlemail", "id": 208},
        "views": {
            "html": {"content": HTML},
            "text": {"content": "Hello %%FirstName%%"},
            "subjectline": {"content": "Hi %%FirstName%%"},
            "preheader": {"content": "Your welcome"},
        },
    },
    # FuelSDK-Node's own set-up body (test/campaignAsset.test.js): a name and a type only.
    "templatebasedemail": {
        "name": "NTO Welcome Series Email 1",
        "assetType": {"name": "templatebasedemail", "id": 207},
    },
    "htmlblock": {
        "name": "Footer",
        "customerKey": "footer",
        "assetType": {"id": 197},
        "content": "<p>%%=Uppercase(@brand)=%%</p>",
        "meta": {"wrapperStyles": {"mobile": {"visible": True}}},
    },
    "codesnippetblock": {
        "name": "Tracking snippet",
        "assetType": {"id": 220, "name": "codesnippetblock"},
        "content": "%%[ SET @brand = 'Sendwell' ]%%",
    },
    "textblock": {
        "name": "Legal",
        "assetType": {"id": 196},
        "content": "Sent to %%emailaddr%%",
        "description": "the legal line",
    },
}


def post(world, body: dict[str, Any], headers: dict[str, str]) -> Any:  # type: ignore[no-untyped-def]
    return world.client.post(ASSETS, json=body, headers=headers)


def made(world, auth: dict[str, str], *names: str) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    out = {}
    for name in names or tuple(BODIES):
        reply = post(world, BODIES[name], auth)
        assert reply.status_code == 201, reply.text
        out[name] = reply.json()
    return out


def error(reply: Any, status: int, code: int) -> str:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["errorcode"] == code, body
    assert body["validationErrors"] == [
        {"message": body["message"], "errorcode": code, "documentation": ""}
    ]
    return body["message"]


def test_each_asset_type_is_created_and_read_back(world) -> None:
    auth = bearer(world)
    created = made(world, auth)
    for name, asset in created.items():
        assert asset["assetType"]["name"] == name
        assert (
            asset["assetType"]["id"]
            == {
                "htmlemail": 208,
                "templatebasedemail": 207,
                "htmlblock": 197,
                "codesnippetblock": 220,
                "textblock": 196,
            }[name]
        )
        assert asset["memberId"] == world.mid and asset["status"] == {"id": 1, "name": "Draft"}
        assert asset["owner"]["name"] == "Integration app user"
        assert asset["createdDate"].endswith("-06:00")  # system time, as Content Builder writes
        got = world.client.get(f"{ASSETS}/{asset['id']}", headers=auth)
        assert got.status_code == 200 and got.json() == asset
    email = created["htmlemail"]
    assert email["customerKey"] == "welcome-email"
    assert {v: email["views"][v]["content"] for v in ("html", "text", "subjectline")} == {
        "html": HTML,
        "text": "Hello %%FirstName%%",
        "subjectline": "Hi %%FirstName%%",
    }
    assert email["views"]["preheader"]["content"] == "Your welcome"
    assert email["legacyData"] == {
        "legacyId": email["id"],
        "legacyKey": "welcome-email",
        "legacyType": "email",
        "legacyCategoryId": email["category"]["id"],
    }
    assert email["category"] == {"id": world.mid, "name": "Content Builder", "parentId": 0}
    template = created["templatebasedemail"]
    assert len(template["customerKey"]) == 36  # a GUID when none is given
    assert template["contentType"] == "application/vnd.etmc.email.Message; kind=template"
    block = created["htmlblock"]
    assert block["content"] == BODIES["htmlblock"]["content"]
    assert block["meta"] == {"wrapperStyles": {"mobile": {"visible": True}}}
    assert "legacyData" not in block
    assert created["textblock"]["description"] == "the legal line"


def test_patch_changes_the_given_fields_and_put_replaces_the_asset(world) -> None:
    auth = bearer(world)
    email = made(world, auth, "htmlemail")["htmlemail"]
    url = f"{ASSETS}/{email['id']}"
    patched = world.client.patch(
        url,
        json={"name": "Welcome v2", "views": {"html": {"content": "<p>v2</p>"}}},
        headers=auth,
    )
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert after["name"] == "Welcome v2" and after["views"]["html"]["content"] == "<p>v2</p>"
    assert after["views"]["text"]["content"] == "Hello %%FirstName%%"  # kept
    assert after["views"]["subjectline"]["content"] == "Hi %%FirstName%%"
    assert after["createdDate"] == email["createdDate"] and after["id"] == email["id"]
    assert world.client.get(url, headers=auth).json() == after
    put = world.client.put(
        url,
        json={"name": "Replaced", "assetType": {"id": 208}, "views": {"html": {"content": "x"}}},
        headers=auth,
    )
    assert put.status_code == 200, put.text
    replaced = put.json()
    assert replaced["name"] == "Replaced" and replaced["customerKey"] == "welcome-email"
    assert "text" not in replaced["views"] and replaced["views"]["subjectline"]["content"] == ""
    assert replaced["owner"] == email["owner"]
    block = made(world, auth, "htmlblock")["htmlblock"]
    rekeyed = world.client.patch(
        f"{ASSETS}/{block['id']}",
        json={"customerKey": "footer-2", "content": "<p>new</p>", "assetType": {"id": 196}},
        headers=auth,
    ).json()
    assert rekeyed["customerKey"] == "footer-2" and rekeyed["content"] == "<p>new</p>"
    assert rekeyed["assetType"]["name"] == "textblock"


def test_delete_answers_ok_and_the_asset_is_gone(world) -> None:
    auth = bearer(world)
    block = made(world, auth, "textblock")["textblock"]
    reply = world.client.delete(f"{ASSETS}/{block['id']}", headers=auth)
    assert reply.status_code == 200 and reply.json() == "OK"
    gone = world.client.get(f"{ASSETS}/{block['id']}", headers=auth)
    assert gone.status_code == 404 and gone.json()["errorcode"] == 30003
    again = world.client.delete(f"{ASSETS}/{block['id']}", headers=auth)
    assert again.status_code == 404


def test_list_filters_orders_pages_and_cuts_fields(world) -> None:
    auth = bearer(world)
    created = made(world, auth)

    def listed(query: str) -> dict[str, Any]:
        reply = world.client.get(f"{ASSETS}?{query}", headers=auth)
        assert reply.status_code == 200, reply.text
        return reply.json()

    everything = listed("")
    assert everything["count"] == 5 and everything["page"] == 1 and everything["pageSize"] == 50
    assert [i["id"] for i in everything["items"]] == sorted(a["id"] for a in created.values())
    assert [i["name"] for i in listed("$filter=customerKey%20eq%20footer")["items"]] == ["Footer"]
    assert [i["name"] for i in listed("$filter=name%20like%20'welc'")["items"]] == [
        "Welcome",
        "NTO Welcome Series Email 1",
    ]
    emails = listed("$filter=assetType.name%20like%20%27%25email%27&$orderBy=name%20desc")
    assert [i["name"] for i in emails["items"]] == ["Welcome", "NTO Welcome Series Email 1"]
    by_name = listed("$orderBy=name%20asc&$page=2&$pageSize=2")
    assert by_name["count"] == 5 and by_name["pageSize"] == 2
    assert [i["name"] for i in by_name["items"]] == [
        "NTO Welcome Series Email 1",
        "Tracking snippet",
    ]
    lower = listed("$pagesize=1")  # the docs spell it so
    assert lower["pageSize"] == 1 and len(lower["items"]) == 1
    cut = listed("$fields=content,category&$filter=name%20eq%20Legal")["items"][0]
    assert set(cut) == {"id", "customerKey", "assetType", "name", "content", "category"}
    email_id = created["htmlemail"]["id"]
    legacy = listed(f"$filter=legacyData.legacyId%20eq%20{email_id}")["items"]
    assert [i["customerKey"] for i in legacy] == ["welcome-email"]
    bad = world.client.get(f"{ASSETS}?$filter=name%20is%20x", headers=auth)
    assert bad.status_code == 400 and bad.json()["errorcode"] == 10005
    bad_order = world.client.get(f"{ASSETS}?$orderBy=name%20sideways", headers=auth)
    assert bad_order.status_code == 400 and bad_order.json()["errorcode"] == 10005


def test_advanced_query_compound_operands_sort_and_fields(world) -> None:
    auth = bearer(world)
    created = made(world, auth)

    def query(body: dict[str, Any]) -> dict[str, Any]:
        reply = world.client.post(f"{ASSETS}/query", json=body, headers=auth)
        assert reply.status_code == 200, reply.text
        return reply.json()

    # sfmc-devtools' paging query: a type list AND ids past the last one seen.
    first = min(a["id"] for a in created.values())
    found = query(
        {
            "page": {"page": 1, "pageSize": 2},
            "query": {
                "leftOperand": {
                    "property": "assetType.id",
                    "simpleOperator": "in",
                    "value": [196, 197, 220],
                },
                "logicalOperator": "AND",
                "rightOperand": {"property": "id", "simpleOperator": "greaterThan", "value": first},
            },
            "sort": [{"property": "name", "direction": "DESC"}],
            "fields": ["content"],
        }
    )
    assert found["count"] == 3 and found["pageSize"] == 2
    assert [i["name"] for i in found["items"]] == ["Tracking snippet", "Legal"]
    assert set(found["items"][0]) == {"id", "customerKey", "assetType", "name", "content"}
    either = query(
        {
            "query": {
                "leftOperand": {"property": "name", "simpleOperator": "equal", "value": "FOOTER"},
                "logicalOperator": "OR",
                "rightOperand": {
                    "property": "views.subjectline.content",
                    "simpleOperator": "contains",
                    "value": "hi %%",
                },
            }
        }
    )
    assert sorted(i["name"] for i in either["items"]) == ["Footer", "Welcome"]
    assert (
        query({"query": {"property": "description", "simpleOperator": "isNotNull"}})["count"] == 5
    )  # every asset has a description, empty or not
    assert query({"query": {"property": "content", "simpleOperator": "isNull"}})["count"] == 2
    for bad in (
        {"query": {"property": "name", "simpleOperator": "sounds like", "value": "x"}},
        {"query": {"leftOperand": {"property": "name", "value": "x"}}},
        {"query": {"property": "name"}, "sort": [{"property": "name", "direction": "UP"}]},
        {"query": "name = x"},
    ):
        reply = world.client.post(f"{ASSETS}/query", json=bad, headers=auth)
        assert reply.status_code == 400 and reply.json()["errorcode"] in (10001, 10005), bad


def test_another_accounts_asset_is_not_found(world) -> None:
    auth = bearer(world)
    block = made(world, auth, "htmlblock")["htmlblock"]
    world.accounts.create_package(world.other_mid, "Other", "other-client", "other-secret")
    reply = world.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": "other-client",
            "client_secret": "other-secret",
        },
    )
    other = {"Authorization": f"Bearer {reply.json()['access_token']}"}
    url = f"{ASSETS}/{block['id']}"
    for reply in (
        world.client.get(url, headers=other),
        world.client.patch(url, json={"name": "taken over"}, headers=other),
        world.client.put(url, json=BODIES["htmlblock"], headers=other),
        world.client.delete(url, headers=other),
    ):
        assert reply.status_code == 404 and reply.json()["errorcode"] == 30003, reply.text
    assert world.client.get(ASSETS, headers=other).json()["count"] == 0
    # The same key and name are free in the other account.
    assert post(world, BODIES["htmlblock"], other).status_code == 201
    assert world.client.get(url, headers=auth).json()["name"] == "Footer"


def test_bad_input_gets_content_builders_errors(world) -> None:
    auth = bearer(world)
    made(world, auth, "htmlemail", "htmlblock")
    unknown = error(post(world, {"name": "x", "assetType": {"id": 99999}}, auth), 400, 10005)
    assert "99999" in unknown and "htmlemail (208)" in unknown
    image = error(post(world, {"name": "x", "assetType": {"name": "png"}}, auth), 400, 10005)
    assert "'png'" in image
    assert "name" in error(post(world, {"assetType": {"id": 197}}, auth), 400, 10002)
    assert "assetType" in error(post(world, {"name": "no type"}, auth), 400, 10002)
    key = error(post(world, {**BODIES["textblock"], "customerKey": "footer"}, auth), 409, 30004)
    assert "'footer'" in key
    same_name = {**BODIES["htmlblock"], "customerKey": "footer-copy"}
    assert "must be unique" in error(post(world, same_name, auth), 409, 30004)
    other_type = {**same_name, "assetType": {"id": 196}}  # unique per type: a text block may
    assert post(world, other_type, auth).status_code == 201
    broken = {
        "name": "Broken",
        "assetType": {"id": 208},
        "views": {"html": {"content": "<p>fine</p>\n%%[ IF @a == THEN ]%%"}},
    }
    located = error(post(world, broken, auth), 400, 10005)
    assert located.startswith("Invalid AMPscript in views.html.content line 2, column")
    block_error = error(
        post(world, {"name": "B", "assetType": {"id": 197}, "content": "%%=Nope(1)=%%"}, auth),
        400,
        10005,
    )
    assert block_error.startswith("Invalid AMPscript in content line 1")
    assert error(post(world, {"name": 5, "assetType": {"id": 197}}, auth), 400, 10001)
    assert error(post(world, {"name": "x", "assetType": 197}, auth), 400, 10001)
    long_key = {"name": "long", "assetType": {"id": 197}, "customerKey": "k" * 37}
    assert "at most 36" in error(post(world, long_key, auth), 400, 10005)
    subject = {
        "name": "Header injection",
        "assetType": {"id": 208},
        "views": {"subjectline": {"content": "Hi\r\nBcc: all@example.test"}},
    }
    assert "line breaks" in error(post(world, subject, auth), 400, 10005)
    email_id = world.client.get(f"{ASSETS}?$filter=name%20eq%20Welcome", headers=auth).json()[
        "items"
    ][0]["id"]
    to_block = world.client.patch(
        f"{ASSETS}/{email_id}", json={"assetType": {"id": 197}}, headers=auth
    )
    assert "cannot become a block" in error(to_block, 400, 10005)
    malformed = world.client.post(
        ASSETS, content=b"{not json", headers={**auth, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["errorcode"] == 10004
    for path in (f"{ASSETS}/abc", f"{ASSETS}/99999999999999999999", f"{ASSETS}/0"):
        assert world.client.get(path, headers=auth).status_code == 404, path


def test_email_read_lists_and_email_write_changes(world) -> None:
    reader = {"Authorization": f"Bearer {scoped_token(world, 'email_read')}"}
    writer = {"Authorization": f"Bearer {scoped_token(world, 'email_write')}"}
    created = post(world, BODIES["textblock"], writer)
    assert created.status_code == 201
    asset_id = created.json()["id"]
    assert world.client.get(ASSETS, headers=reader).status_code == 200
    assert world.client.get(f"{ASSETS}/{asset_id}", headers=reader).status_code == 200
    for denied in (
        post(world, BODIES["htmlblock"], reader),
        world.client.patch(f"{ASSETS}/{asset_id}", json={"name": "n"}, headers=reader),
        world.client.delete(f"{ASSETS}/{asset_id}", headers=reader),
        world.client.get(ASSETS, headers=writer),  # write alone does not read
    ):
        assert denied.status_code == 403 and denied.json()["errorcode"] == 20002


@pytest.mark.parametrize("path", [ASSETS + "/", ASSETS])
def test_clients_that_add_a_trailing_slash_are_served(world, path: str) -> None:
    auth = bearer(world)
    reply = world.client.post(path, json=BODIES["htmlblock"], headers=auth)
    assert reply.status_code == 201, reply.text
    listed = world.client.get(path + "?$filter=customerKey%20eq%20footer", headers=auth)
    assert listed.status_code == 200 and listed.json()["count"] == 1
