"""``GET /data/v1/customobjectdata/key/{key}/rowset``: filters, fields, order, paging and the
token continuation, with the reply Marketing Cloud gives (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from tests.integration.de_rows_support import KEY, bearer, make_de

READ = f"/data/v1/customobjectdata/key/{KEY}/rowset"
pytestmark = pytest.mark.postgres
PEOPLE = [
    ("ann@example.com", {"Name": "Ann", "Age": "9", "Vip": "true", "Born": "2010-05-22"}),
    ("bob@example.com", {"Name": "Bob", "Age": "10", "Score": "2.5"}),
    ("cyd@example.com", {"Name": "Cyd", "Age": "35", "Vip": "false"}),
    ("dee@example.com", {"Name": "Dee", "Born": "1999-12-31 23:59:58"}),
]


@pytest.fixture
def people(world):  # type: ignore[no-untyped-def]
    make_de(world)
    auth = bearer(world)
    rows = [{"keys": {"Email": e}, "values": v} for e, v in PEOPLE]
    assert (
        world.client.post(
            f"/hub/v1/dataevents/key:{KEY}/rowset", json=rows, headers=auth
        ).status_code
        == 200
    )
    return world, auth


def names(reply) -> list[str]:  # type: ignore[no-untyped-def]
    assert reply.status_code == 200, reply.text
    return [item["values"]["name"] for item in reply.json().get("items", [])]


def test_the_reply_has_marketing_clouds_shape(people) -> None:  # type: ignore[no-untyped-def]
    world, auth = people
    body = world.client.get(READ, headers=auth).json()
    assert body["count"] == 4 and body["page"] == 1 and body["pageSize"] == 2500
    assert body["top"] == 0 and body["customObjectKey"] == KEY
    assert body["links"] == {
        "self": f"/v1/customobjectdata/token/{body['requestToken']}/rowset?$page=1"
    }
    assert body["items"][0] == {
        "keys": {"email": "ann@example.com"},
        "values": {
            "name": "Ann",
            "age": "9",
            "score": "",
            "born": "5/22/2010 12:00:00 AM",
            "vip": "True",
            "notes": "",
        },
    }
    assert body["items"][3]["values"]["born"] == "12/31/1999 11:59:58 PM"
    assert all(isinstance(v, str) for item in body["items"] for v in item["values"].values())


def test_fuelsdkwrappers_request_line(people) -> None:  # type: ignore[no-untyped-def]
    world, auth = people
    reply = world.client.get(
        READ
        + "?&$filter=Email%20eq%20'bob@example.com'&$fields=Name&$orderBy=Email%20ASC&$pagesize=10",
        headers=auth,
    )
    body = reply.json()
    assert body["count"] == 1 and body["pageSize"] == 10
    assert body["items"] == [{"keys": {"email": "bob@example.com"}, "values": {"name": "Bob"}}]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Name eq 'cyd'", ["Cyd"]),  # text compares without case
        ("Name neq 'Cyd'", ["Ann", "Bob", "Dee"]),
        ("Age gt '9'", ["Bob", "Cyd"]),  # numbers compare as numbers: 10 > 9
        ("Age gte '10'", ["Bob", "Cyd"]),
        ("Age lt '10'", ["Ann"]),
        ("Age lte '10'", ["Ann", "Bob"]),
        ("Name like 'B%'", ["Bob"]),
        ("Email like '%e@example.com'", ["Dee"]),
        ("Age IS NULL", ["Dee"]),
        ("Score IS NOT NULL", ["Bob"]),
        ("Name in ('Ann','Dee')", ["Ann", "Dee"]),
        ("Vip eq 'True'", ["Ann"]),
        ("Born lt '2000-01-01'", ["Dee"]),
        ("Born eq '5/22/2010'", ["Ann"]),
        ("(Age gt '9' AND Name neq 'Bob')", ["Cyd"]),
        ("((Age lt '10' OR Age gt '30') AND Vip IS NOT NULL)", ["Ann", "Cyd"]),
        ("Name eq 'Ann' or Name eq 'Bob' and Age eq '35'", ["Ann"]),  # AND binds first
    ],
)
def test_filters(people, expression: str, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    world, auth = people
    reply = world.client.get(READ, params={"$filter": expression}, headers=auth)
    assert names(reply) == expected
    assert reply.json()["count"] == len(expected)


def test_order_fields_top_and_case_insensitive_names(people) -> None:  # type: ignore[no-untyped-def]
    world, auth = people
    by_age = world.client.get(READ + "?$ORDERBY=Age DESC,Name asc", headers=auth)
    assert names(by_age) == ["Cyd", "Bob", "Ann", "Dee"]  # numeric order, empty last when DESC
    top = world.client.get(READ + "?$orderby=Name DESC&$Top=3&$PageSize=2", headers=auth).json()
    assert top["count"] == 3 and [i["values"]["name"] for i in top["items"]] == ["Dee", "Cyd"]
    assert top["links"]["next"].startswith("/v1/customobjectdata/token/")
    rest = world.client.get("/data" + top["links"]["next"], headers=auth).json()
    assert [i["values"]["name"] for i in rest["items"]] == ["Bob"] and "next" not in rest["links"]
    fields = world.client.get(READ + "?$fields=Age,vip&pageSize=1", headers=auth).json()
    assert fields["items"][0]["values"] == {"age": "9", "vip": "True"}


def test_pages_follow_links_next_to_the_end(people) -> None:  # type: ignore[no-untyped-def]
    world, auth = people
    page = world.client.get(READ + "?$pagesize=1&$orderBy=Name", headers=auth).json()
    seen = [page["items"][0]["values"]["name"]]
    while "next" in page["links"]:
        assert page["links"]["next"].startswith("/v1/")
        page = world.client.get("/data" + page["links"]["next"], headers=auth).json()
        seen.append(page["items"][0]["values"]["name"])
    assert seen == ["Ann", "Bob", "Cyd", "Dee"] and page["page"] == 4
    beyond = world.client.get(
        f"/data/v1/customobjectdata/token/{page['requestToken']}/rowset?$page=9", headers=auth
    ).json()
    assert beyond["count"] == 4 and "items" not in beyond


def test_an_empty_data_extension_has_count_0_and_no_items(world) -> None:  # type: ignore[no-untyped-def]
    make_de(world)
    body = world.client.get(READ, headers=bearer(world)).json()
    assert body["count"] == 0 and "items" not in body and "next" not in body["links"]


def test_errors(people) -> None:  # type: ignore[no-untyped-def]
    world, auth = people
    cases = {
        "/data/v1/customobjectdata/key/NOPE/rowset": (404, 10000),
        READ + "?$filter=Name eq": (400, 10000),
        READ + "?$filter=Name eq 'unclosed": (400, 10000),
        READ + "?$filter=(Name eq 'a'": (400, 10000),
        READ + "?$filter=Nope eq 'a'": (400, 10000),
        READ + "?$filter=Name between 'a'": (400, 10000),
        READ + "?$filter=Born eq 'yesterday'": (400, 10000),
        READ + "?$orderBy=Nope": (400, 10000),
        READ + "?$orderBy=Name SIDEWAYS": (400, 10000),
        READ + "?$fields=Nope": (400, 10000),
        READ + "?$page=0": (400, 10001),
        READ + "?$pageSize=many": (400, 10001),
        "/data/v1/customobjectdata/token/efd98722-5826-418f-849e-c13a06ad3622/rowset": (400, 10000),
    }
    for path, (status, code) in cases.items():
        reply = world.client.get(path, headers=auth)
        assert (reply.status_code, reply.json().get("errorcode")) == (status, code), path
    deep = "(" * 40 + "Name eq 'a'" + ")" * 40
    assert world.client.get(READ, params={"$filter": deep}, headers=auth).status_code == 400
    assert world.client.get(READ, headers=bearer(world, "data_extensions_write")).status_code == 403
    assert world.client.post(READ, json={}, headers=auth).status_code == 405


def test_a_page_size_over_2500_is_cut(people) -> None:  # type: ignore[no-untyped-def]
    world, auth = people
    assert world.client.get(READ + "?$pageSize=100000", headers=auth).json()["pageSize"] == 2500
