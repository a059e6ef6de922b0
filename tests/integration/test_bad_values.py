"""Values a fuzz of 81,000 requests found answered with a 500: each is a client error in the
caller's protocol, on SQLite and on PostgreSQL (``world`` runs on both)."""

from __future__ import annotations

import pytest
from tests.integration.send_api_support import BASE, bearer
from tests.support import NS, create, retrieve, simple_filter, soap, text

BIG = "99999999999999999999"  # past 2**63: SQLite's integers overflow
PAST_INT32 = "3000000000"  # past 2**31: PostgreSQL's integer columns overflow


@pytest.fixture
def data(world):  # type: ignore[no-untyped-def]
    """An email and a data extension, so Retrieve filters have objects to compare."""
    for body in (
        create(
            "Email",
            "<CustomerKey>e1</CustomerKey><Name>E</Name><Subject>S</Subject><TextBody>T</TextBody>",
        ),
        create(
            "DataExtension",
            "<CustomerKey>nums</CustomerKey><Name>Nums</Name><Fields>"
            "<Field><Name>Key</Name><FieldType>Text</FieldType><IsPrimaryKey>true</IsPrimaryKey>"
            "</Field><Field><Name>Amount</Name><FieldType>Number</FieldType></Field></Fields>",
        ),
    ):
        _, response = soap(world.client, "Create", body, user=world.user)
        assert text(response, "p:OverallStatus") == "OK"
    return world


@pytest.mark.parametrize(
    ("object_type", "prop", "op", "values"),
    [
        ("Email", "ID", "between", ("a", "b")),
        ("Email", "ID", "greaterThan", ("NaN",)),
        ("Email", "CreatedDate", "between", ("a", "b")),
        ("BusinessUnit", "ID", "between", ("a", "b")),
        ("Send", "ID", "equals", (BIG,)),
        ("Send", "ID", "equals", (PAST_INT32,)),
        ("SentEvent", "SendID", "equals", (PAST_INT32,)),
        ("OpenEvent", "SendID", "equals", (BIG,)),
        ("Email", "ID", "equals", (BIG,)),
    ],
)
def test_retrieve_filters_with_values_of_the_wrong_type_are_an_error_status(
    data, object_type, prop, op, values
) -> None:
    status, response = soap(
        data.client,
        "Retrieve",
        retrieve(
            object_type,
            ["ID" if "Event" not in object_type else "SendID"],
            simple_filter(prop, op, *values),
        ),
        user=data.user,
    )
    assert status == 200, response
    overall = text(response, "p:OverallStatus")
    assert overall.startswith("Error: ") and prop in overall, overall


def test_a_filter_definition_must_compare_numbers_with_numbers(data) -> None:
    for value in ("NaN", "Infinity", "ten"):
        body = create(
            "FilterDefinition",
            f"<CustomerKey>f-{value}</CustomerKey><Name>F</Name>"
            '<DataSource xsi:type="DataExtension"><CustomerKey>nums</CustomerKey></DataSource>'
            '<DataFilter xsi:type="SimpleFilterPart"><Property>Amount</Property>'
            f"<SimpleOperator>greaterThan</SimpleOperator><Value>{value}</Value></DataFilter>",
        )
        status, response = soap(data.client, "Create", body, user=data.user)
        assert status == 200 and text(response, "p:Results/p:StatusCode") == "Error", value
        assert text(response, "p:Results/p:ErrorCode") == "373009"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/capture/v1/messages/{BIG}"),
        ("get", f"/capture/v1/messages/{PAST_INT32}"),
        ("get", f"/capture/v1/messages/{PAST_INT32}/raw"),
        ("get", f"/sendwell/v1/sends/{BIG}"),
        ("get", f"/sendwell/v1/sends/{PAST_INT32}"),
        ("post", f"/sendwell/v1/sends/{PAST_INT32}/cancel"),
    ],
)
def test_ids_no_object_can_have_are_not_found(world, method, path) -> None:
    reply = world.client.request(method.upper(), path, headers=bearer(world))
    assert reply.status_code == 404 and reply.json()["errorcode"] == 30003, reply.text


@pytest.mark.parametrize(
    "path",
    [
        f"{BASE}/{BIG}",
        f"{BASE}/{PAST_INT32}",
        f"{BASE}/{PAST_INT32}/instance",
        f"{BASE}/instance/{BIG}",
        f"{BASE}/instance/{PAST_INT32}",
        f"{BASE}/instance/{PAST_INT32}/cancel",
    ],
)
def test_send_api_ids_no_object_can_have_are_not_found(world, path) -> None:
    reply = world.client.get(path, headers=bearer(world))
    assert reply.status_code == 200 and reply.json()["errorcode"] == 30003, reply.text


def test_pages_and_ids_in_queries_and_bodies_past_any_range(world) -> None:
    auth, c = bearer(world), world.client
    for path in (
        f"/capture/v1/messages?page={BIG}",
        f"/asset/v1/content/assets?$page={BIG}",
        f"/sendwell/v1/sendclassifications?page={BIG}",
    ):
        reply = c.get(path, headers=auth)
        assert reply.status_code == 400 and reply.json()["errorcode"] == 10001, path
    for path in (f"{BASE}/instance?page={BIG}", f"{BASE}/instance?pageSize={BIG}"):
        reply = c.get(path, headers=auth)
        assert reply.json()["IsError"] is True and reply.json()["errorcode"] == 10005, path
    search = c.post(f"{BASE}/search?page={BIG}", json={"Criteria": {"Name": "x"}}, headers=auth)
    assert search.json()["errorcode"] == 10005
    listed = c.get(f"/capture/v1/messages?jobId={PAST_INT32}", headers=auth)
    assert listed.status_code == 200 and listed.json()["count"] == 0
    query = c.post(
        "/asset/v1/content/assets/query", json={"page": {"page": int(BIG)}}, headers=auth
    )
    assert query.status_code == 400
    for email_id in (int(BIG), int(PAST_INT32)):
        reply = c.post("/sendwell/v1/preview", json={"emailId": email_id}, headers=auth)
        assert reply.status_code == 404, reply.text
        created = c.post(
            BASE,
            json={
                "EmailDefinition": {
                    "Name": "n",
                    "EmailId": email_id,
                    "SendClassificationId": email_id,
                    "Targets": [{"Type": "Campaign", "Name": "x", "Id": "701000000000001"}],
                }
            },
            headers=auth,
        )
        assert created.json()["IsError"] is True and created.json()["errorcode"] == 10005


DEEP = b"[" * 50_000 + b"]" * 50_000


@pytest.mark.parametrize(
    "path", ["/sendwell/v1/preview", BASE, f"{BASE}/search", "/asset/v1/content/assets/query"]
)
def test_json_nested_50000_deep_is_malformed(world, path) -> None:
    reply = world.client.post(
        path, content=DEEP, headers={**bearer(world), "Content-Type": "application/json"}
    )
    assert reply.status_code == 400 and reply.json()["errorcode"] == 10004, reply.text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"grant_type": "client_credentials", "client_id": "\\ud800", "client_secret": "x"}',
        b'{"grant_type": "client_credentials", "client_id": "a", "client_secret": "\\udfff"}',
        b'{"clientId": "\\ud800", "clientSecret": "x"}',
        b"[" * 10_000 + b"]" * 10_000,  # deep, and small enough for the token routes' limit
    ],
)
def test_token_routes_refuse_lone_surrogates_and_deep_json(world, raw) -> None:
    headers = {"Content-Type": "application/json"}
    v2 = world.client.post("/v2/token", content=raw, headers=headers)
    assert v2.status_code == 400 and v2.json()["error"] == "invalid_request", v2.text
    v1 = world.client.post("/v1/requestToken", content=raw, headers=headers)
    assert v1.status_code == 400 and "message" in v1.json(), v1.text


def test_lone_surrogates_in_send_api_bodies_are_malformed(world) -> None:
    reply = world.client.post(
        BASE,
        content=b'{"EmailDefinition": {"Name": "\\ud800"}}',
        headers={**bearer(world), "Content-Type": "application/json"},
    )
    assert reply.status_code == 400 and reply.json()["errorcode"] == 10004


def test_fault_bodies_are_xml(world) -> None:
    """A Retrieve error stays a 200 with an error status, in XML the client reads."""
    _, response = soap(
        world.client,
        "Retrieve",
        retrieve("Send", ["ID"], simple_filter("ID", "equals", BIG)),
        user=world.user,
    )
    assert response.find("p:OverallStatus", NS) is not None
