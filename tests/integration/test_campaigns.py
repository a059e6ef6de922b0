"""``/hub/v1/campaigns``: campaigns and their assets over REST, as FuelSDK's Campaign and
CampaignAsset use them; scopes, accounts, and the 400 Marketing Cloud answers for unknown ids."""

from __future__ import annotations

from tests.integration.de_rows_support import bearer
from tests.support import create, soap, text

BASE = "/hub/v1/campaigns"


def test_campaign_life(world) -> None:
    auth, c = bearer(world), world.client
    made = c.post(BASE + "/", json={"name": "Spring", "description": "Sale"}, headers=auth)
    assert made.status_code == 200, made.text
    campaign = made.json()
    assert (campaign["name"], campaign["description"], campaign["favorite"]) == (
        "Spring",
        "Sale",
        False,
    )
    assert isinstance(campaign["id"], str) and campaign["id"].isdigit()
    assert len(campaign["createdDate"]) == 19 and "T" in campaign["createdDate"]  # system time
    url = f"{BASE}/{campaign['id']}"
    assert c.get(url, headers=auth).json() == campaign

    changed = c.patch(url, json={"color": "0000ff", "favorite": True}, headers=auth)
    assert changed.status_code == 200 and changed.json()["name"] == "Spring"
    assert (changed.json()["color"], changed.json()["favorite"]) == ("0000ff", True)
    # FuelSDK-Python "patches" with a POST that carries the id; FuelSDK-Node POSTs to the id.
    c.post(BASE, json={"id": campaign["id"], "name": "Spring 2"}, headers=auth)
    c.post(url, json={"description": "Big sale", "favorite": "false"}, headers=auth)
    got = c.get(url, headers=auth).json()
    assert (got["name"], got["description"], got["favorite"]) == ("Spring 2", "Big sale", False)

    listed = c.get(BASE, headers=auth).json()
    assert listed["count"] == 1 and [i["id"] for i in listed["items"]] == [campaign["id"]]

    deleted = c.delete(url, headers=auth)
    assert deleted.status_code == 200 and deleted.json() == "OK"
    gone = c.get(url, headers=auth)
    assert gone.status_code == 400  # as Marketing Cloud answers (FuelSDK-Node's tests)
    assert gone.json()["message"] == f"The campaign {campaign['id']} was not found."
    assert c.delete(BASE + "/1234567890", headers=auth).status_code == 400


def test_campaign_assets_are_checked_listed_and_removed(world) -> None:
    auth, c = bearer(world), world.client
    campaign = c.post(BASE, json={"name": "Launch"}, headers=auth).json()
    asset = c.post(
        "/asset/v1/content/assets",
        json={"name": "Welcome", "assetType": {"name": "templatebasedemail", "id": 207}},
        headers=auth,
    ).json()
    _, reply = soap(
        world.client, "Create", create("List", "<ListName>VIP</ListName>"), user=world.user
    )
    list_id = int(text(reply, "p:Results/p:NewID"))
    url = f"{BASE}/{campaign['id']}/assets"

    made = c.post(url, json={"ids": [str(asset["id"])], "type": "CMS_ASSET"}, headers=auth)
    assert made.status_code == 200, made.text
    (association,) = made.json()
    assert association["itemID"] == asset["id"] and association["type"] == "CMS_ASSET"
    assert association["campaignId"] == int(campaign["id"])
    c.post(url, json={"ids": [list_id], "type": "list"}, headers=auth)

    for body, message in (
        ({"ids": ["987654"], "type": "EMAIL"}, "No EMAIL asset has the id 987654."),
        ({"ids": ["1"], "type": "POSTCARD"}, "The asset type 'POSTCARD' is not one of"),
        ({"type": "EMAIL"}, "ids must be a list"),
        ({"ids": ["1"], "type": {"name": "EMAIL"}}, "type must be the asset type's name"),
    ):
        refused = c.post(url, json=body, headers=auth)
        assert refused.status_code == 400 and refused.json()["message"].startswith(message)

    listed = c.get(url, headers=auth).json()
    assert listed["totalCount"] == 2 and [e["type"] for e in listed["entities"]] == [
        "CMS_ASSET",
        "LIST",
    ]
    one = c.get(f"{url}/{association['id']}", headers=auth)
    assert one.status_code == 200 and one.json() == association
    assert c.get(f"{url}/1234567890", headers=auth).status_code == 400

    # Removed by the asset's own id, as FuelSDK-Node's test does; the asset itself stays.
    assert c.delete(f"{url}/{asset['id']}", headers=auth).json() == "OK"
    assert c.get(f"{url}/{association['id']}", headers=auth).status_code == 400
    assert c.get(f"/asset/v1/content/assets/{asset['id']}", headers=auth).status_code == 200
    assert c.get(url, headers=auth).json()["totalCount"] == 1


def test_campaigns_need_their_scopes_and_stay_in_their_account(world) -> None:
    c = world.client
    email_only = bearer(world, scope="email_read email_write")
    refused = c.post(BASE, json={"name": "x"}, headers=email_only)
    assert refused.status_code == 403 and refused.json()["errorcode"] == 20002
    read_only = bearer(world, scope="campaign_read")
    assert c.get(BASE, headers=read_only).status_code == 200
    assert c.post(BASE, json={"name": "x"}, headers=read_only).status_code == 403

    campaign = c.post(BASE, json={"name": "Mine"}, headers=bearer(world)).json()
    world.accounts.create_package(world.other_mid, "Other", "other-client", "other-secret")
    token = c.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": "other-client",
            "client_secret": "other-secret",
        },
    ).json()["access_token"]
    other = {"Authorization": f"Bearer {token}"}
    assert c.get(f"{BASE}/{campaign['id']}", headers=other).status_code == 400
    assert c.get(BASE, headers=other).json()["count"] == 0


def test_bad_campaign_fields_are_400_with_what_is_wrong(world) -> None:
    auth = bearer(world)
    for body, message in (
        ({"description": "no name"}, "A campaign needs a name."),
        ({"name": "x" * 129}, "The campaign's name is longer than 128 characters."),
        ({"name": "x", "color": "blue"}, "The campaign's color 'blue' is not a hex color"),
        ({"name": "x", "favorite": "maybe"}, "The campaign's favorite must be true or false."),
        ({"id": {"x": 1}, "name": "x"}, "The campaign id must be a number."),
    ):
        reply = world.client.post(BASE, json=body, headers=auth)
        assert reply.status_code == 400, body
        assert reply.json()["message"].startswith(message), reply.json()
