"""The REST Send API end to end: token → look-ups → definition with Salesforce targets →
schedule → status → the exact recipients a real SMTP server receives. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from tests.conftest import make_world
from tests.integration.send_api_support import (
    BASE,
    CAMPAIGN,
    C,
    L,
    bearer,
    definition,
    setup_account,
)
from tests.support import SmtpServer, retrieve, simple_filter, soap, text, wait_for


@pytest.fixture
def api(database_url, tmp_path):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        for world in make_world(database_url, transport=server.url, throttle_period_seconds=1):
            world.smtp = server.recorder  # type: ignore[attr-defined]
            world.ids = setup_account(world, tmp_path)  # type: ignore[attr-defined]
            world.auth = bearer(world)  # type: ignore[attr-defined]
            yield world


def wait_status(
    world, instance_id: str, wanted: tuple[str, ...] = ("Complete", "Error", "Canceled")
):  # type: ignore[no-untyped-def]
    def check():  # type: ignore[no-untyped-def]
        reply = world.client.get(f"{BASE}/instance/{instance_id}", headers=world.auth).json()
        return reply if reply["Status"] in wanted else None

    return wait_for(check, timeout=60)


def test_full_flow_delivers_the_resolved_salesforce_audience(api) -> None:
    c, auth = api.client, api.auth
    emails = c.get("/asset/v1/content/assets", headers=auth).json()
    assert [i["legacyData"]["legacyId"] for i in emails["items"]] == [api.ids["Email"]]
    classes = c.get("/sendwell/v1/sendclassifications", headers=auth).json()
    assert api.ids["SendClassification"] in [i["id"] for i in classes["items"]]

    created = c.post(BASE, json={"EmailDefinition": definition(api.ids)}, headers=auth)
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith("application/json")
    definition_id = created.json()["DefinitionId"]
    got = c.get(f"{BASE}/{definition_id}", headers=auth).json()["EmailDefinition"]
    assert got["Targets"][1]["Type"] == "Report" and len(got["Targets"][0]["Id"]) == 18
    assert got["IsMultipartMIME"] is True and got["EmailSubject"] == "Hello %%FirstName%%"
    assert got["SendClassificationId"] == str(api.ids["SendClassification"])

    scheduled = c.post(
        f"{BASE}/{definition_id}/schedule",
        json={"Schedule": {"StartImmediately": True, "AllRecipientsOptedIn": True}},
        headers=auth,
    )
    assert scheduled.status_code == 200 and scheduled.json()["IsError"] is False
    instance_id = scheduled.json()["InstanceId"]
    status = wait_status(api, instance_id)
    assert status["Status"] == "Complete"
    assert status["IsError"] is False and status["isError"] is False
    # campaign ∪ report − excluded contact − opted out − no email, deduplicated by email
    received = sorted(api.smtp.recipients())
    assert received == [
        "cleo@example.test",
        "cora@example.test",
        "lea@example.test",
        "shared@example.test",
    ]
    assert status["NumberSent"] == 4 and status["NumberTargeted"] == 4
    assert status["NumberExcluded"] == 1 and status["ExistingUnsubscribes"] == 1
    # Cleo is in the campaign and the report; Cyd and Lou share an address
    assert status["Duplicates"] == 2 and status["InvalidAddresses"] == 1
    by_rcpt = {m.rcpt_to[0]: m.message for m in api.smtp.messages}
    cora = by_rcpt["cora@example.test"]
    assert str(cora["From"]) == "Spring Team <spring@example.test>"
    assert cora["Subject"] == "Hello Cora"
    assert cora.get_body(("plain",)).get_content().strip().startswith(f"Dear Cora One ({C[1]}")

    # The instance's JobId is the SOAP Send ID.
    _, send = soap(
        c,
        "Retrieve",
        retrieve(
            "Send",
            ["ID", "Status", "NumberSent"],
            simple_filter("ID", "equals", str(status["JobId"])),
        ),
        user=api.user,
    )
    assert text(send, "p:Results/p:Status") == "Complete"
    assert text(send, "p:Results/p:NumberSent") == "4"
    listed = c.get(f"{BASE}/{definition_id}/instance", headers=auth).json()
    assert listed["Count"] == 1 and listed["Instances"][0]["InstanceId"] == instance_id
    everything = c.get(f"{BASE}/instance?page=1&pageSize=50", headers=auth).json()
    assert everything["Count"] == 1


def test_one_step_create_and_schedule(api) -> None:
    reply = api.client.post(
        BASE,
        json={
            "EmailDefinition": definition(
                api.ids,
                DedupeByEmail=False,
                Exclusions=[],
                Targets=[{"Type": "Lead", "Name": "Lea", "Id": L[1]}],
            ),
            "Schedule": {"StartImmediately": True, "AllRecipientsOptedIn": True},
        },
        headers=api.auth,
    )
    assert reply.status_code == 201
    body = reply.json()
    assert body["InstanceId"] and body["DefinitionId"]
    wait_status(api, body["InstanceId"])
    assert api.smtp.recipients() == ["lea@example.test"]


def test_search_update_delete(api) -> None:
    c, auth = api.client, api.auth
    first = c.post(
        BASE, json={"EmailDefinition": definition(api.ids, ExternalKey="spring-1")}, headers=auth
    ).json()
    c.post(
        BASE,
        json={
            "EmailDefinition": definition(
                api.ids,
                Name="Autumn",
                Targets=[{"Type": "Contact", "Name": "Cole", "Id": C[6]}],
                Exclusions=[],
            )
        },
        headers=auth,
    )
    found = c.post(f"{BASE}/search", json={"Criteria": {"Name": "spring"}}, headers=auth).json()
    assert [d["ExternalKey"] for d in found["Definitions"]] == ["spring-1"]
    by_list = c.post(
        f"{BASE}/search?page=1&pageSize=10",
        json={"Criteria": {"SubscriberListId": C[6] + "XYZ"[:0], "Operation": "or"}},
        headers=auth,
    ).json()
    assert [d["Name"] for d in by_list["Definitions"]] == ["Autumn"]
    both = c.post(
        f"{BASE}/search",
        json={"criteria": {"operation": "and", "name": "spring", "subscriberListId": C[6]}},
        headers=auth,
    ).json()
    assert both["Count"] == 0
    updated = c.put(
        f"{BASE}/{first['DefinitionId']}",
        json={
            "EmailDefinition": definition(
                api.ids, Name="Spring renamed", EmailSubject="New subject"
            )
        },
        headers=auth,
    )
    assert updated.json() == {"IsError": False}
    got = c.get(f"{BASE}/{first['DefinitionId']}", headers=auth).json()["EmailDefinition"]
    assert got["Name"] == "Spring renamed" and got["ExternalKey"] == "spring-1"
    deleted = c.delete(f"{BASE}/{first['DefinitionId']}", headers=auth)
    assert deleted.json() == {"IsError": False}
    gone = c.get(f"{BASE}/{first['DefinitionId']}", headers=auth).json()
    assert gone["IsError"] is True and "Unable to find" in gone["Message"]


def test_cc_bcc_seed_list_and_single_part(api) -> None:
    from tests.support import create

    c, auth = api.client, api.auth
    list_id = text(
        soap(c, "Create", create("List", "<ListName>Seed List</ListName>"), user=api.user)[1],
        "p:Results/p:NewID",
    )
    soap(
        c,
        "Create",
        create(
            "Subscriber",
            "<EmailAddress>seed@example.test</EmailAddress>"
            f"<Lists><ID>{list_id}</ID><Status>Active</Status></Lists>",
        ),
        user=api.user,
    )
    body = definition(
        api.ids,
        CC="cc@example.test",
        Bcc="bcc@example.test",
        IsMultipartMIME=False,
        SeedList={"IsSeedListSend": True, "SeedListOccurance": 2},
        Exclusions=[],
        Targets=[{"Type": "Campaign", "Name": "Spring", "Id": CAMPAIGN}],
    )
    reply = c.post(
        BASE,
        json={
            "EmailDefinition": body,
            "Schedule": {"StartImmediately": True, "AllRecipientsOptedIn": True},
        },
        headers=auth,
    ).json()
    done = wait_status(api, reply["InstanceId"])
    assert done["NumberSent"] == 4  # Cora, Carl, Cleo, Lea; Cy has no address
    rcpts = sorted(api.smtp.recipients())
    assert rcpts.count("cc@example.test") == 4 and rcpts.count("bcc@example.test") == 4
    assert rcpts.count("seed@example.test") == 2  # every 2nd message
    first = next(m.message for m in api.smtp.messages if m.rcpt_to == ["cora@example.test"])
    assert first["Cc"] == "cc@example.test" and first["Bcc"] is None
    assert first.get_content_type() == "text/html"  # IsMultipartMIME false: the HTML part only


def test_unknown_seed_list_is_refused(api) -> None:
    body = definition(api.ids, SeedList={"IsSeedListSend": True, "SeedListOccurance": 5})
    reply = api.client.post(BASE, json={"EmailDefinition": body}, headers=api.auth).json()
    assert reply["IsError"] is True and "Seed List" in reply["Message"]
