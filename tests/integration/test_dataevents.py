"""``/hub/v1/dataevents``: rowset upserts, one-row upserts, increments and their async twins,
checked against the rows the store holds (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from tests.integration.de_rows_support import KEY, bearer, make_de, stored

ROWSET = f"/hub/v1/dataevents/key:{KEY}/rowset"
pytestmark = pytest.mark.postgres


def row(email: str, **values: object) -> dict[str, object]:
    return {"keys": {"Email": email}, "values": values}


def test_a_rowset_is_upserted_and_echoed_by_key_and_by_id(world) -> None:
    object_id = make_de(world)
    auth = bearer(world)
    rows = [row("ann@example.com", Name="Ann", Age=3), row("bob@example.com", Vip=True)]
    reply = world.client.post(ROWSET, json=rows, headers=auth)
    assert reply.status_code == 200, reply.text
    assert reply.json() == rows
    again = world.client.post(
        f"/hub/v1/dataevents/{object_id}/rowset",
        json=[row("ann@example.com", Age="4", Born="5/22/2010 12:00:00 AM")],
        headers=auth,
    )
    assert again.status_code == 200, again.text
    data = stored(world)
    assert data["ann@example.com"] == {
        "Email": "ann@example.com",
        "Name": "Ann",  # kept: an upsert merges into the existing row
        "Age": "4",
        "Born": "2010-05-22 00:00:00",
    }
    assert data["bob@example.com"] == {"Email": "bob@example.com", "Vip": "true"}


def test_rows_before_the_first_bad_row_are_kept_and_the_rest_refused(world) -> None:
    make_de(world)
    rows = [
        row("one@example.com", Name="One"),
        row("two@example.com", Age="three", Born="not a date"),
        row("three@example.com", Name="Three"),  # good, but after the bad row
        row("four@example.com", Vip="maybe"),
    ]
    reply = world.client.post(ROWSET, json=rows, headers=bearer(world))
    assert reply.status_code == 400
    body = reply.json()
    assert body["errorcode"] == 10006
    assert body["message"].startswith("Unable to save rows for data extension ID ")
    messages = [e["message"] for e in body["additionalErrors"]]
    assert messages == [
        "Age: The value for column [Age] is not a valid whole number: 'three'.",
        "Born: The value for column [Born] is not a valid date: 'not a date'.",
        "Vip: The value for column [Vip] is not a valid boolean: 'maybe'.",
    ]
    assert {e["errorcode"] for e in body["additionalErrors"]} == {10000}
    assert set(stored(world)) == {"one@example.com"}


def test_a_row_without_known_values_and_one_without_its_key_are_refused(world) -> None:
    make_de(world)
    reply = world.client.post(
        ROWSET,
        json=[{"keys": {"Email": "a@example.com"}, "values": {"Nope": "x"}}, {"values": {}}],
        headers=bearer(world),
    )
    assert reply.status_code == 400
    messages = [e["message"] for e in reply.json()["additionalErrors"]]
    assert messages[0] == "At least one existing field is required in the values property"
    assert "Nope: The data extension has no field named 'Nope'." in messages
    assert "The primary key columns Email need a value." in messages
    assert stored(world) == {}


def test_a_body_of_arrays_and_an_unknown_primary_key_store_nothing(world) -> None:
    make_de(world)
    auth = bearer(world)
    # FuelSDKWrapper's README call: lists of names and values.
    arrays = world.client.post(
        ROWSET, json=[{"keys": ["Email"], "values": ["a@example.com"]}], headers=auth
    )
    assert arrays.status_code == 400
    assert arrays.json()["errorcode"] == 10000
    unknown = world.client.post(
        ROWSET,
        json=[row("a@example.com", Name="A"), {"keys": {"subscriberkey": "x"}, "values": {}}],
        headers=auth,
    )
    assert unknown.status_code == 400
    assert unknown.json()["message"] == "Primary key 'subscriberkey' does not exist."
    assert unknown.json()["errorcode"] == 10000
    not_json = world.client.post(ROWSET, content=b"[{", headers=auth)
    assert (not_json.status_code, not_json.json()["errorcode"]) == (400, 10004)
    assert stored(world) == {}


def test_unknown_data_extensions_and_bad_ids_get_their_errors(world) -> None:
    make_de(world)
    auth = bearer(world)
    unknown = world.client.post(
        "/hub/v1/dataevents/key:NOPE/rowset", json=[row("a@b.co")], headers=auth
    )
    assert unknown.status_code == 404
    assert unknown.json()["message"] == "Unable to find data extension with key 'NOPE'"
    assert unknown.json()["errorcode"] == 10000
    bad_id = world.client.post(
        "/hub/v1/dataevents/not-a-guid/rowset", json=[row("a@b.co")], headers=auth
    )
    assert bad_id.status_code == 400
    assert bad_id.json() | {"documentation": ""} == {
        "message": "Parameter {guid} is invalid.",
        "errorcode": 10001,
        "documentation": "",
    }
    other = world.client.post(
        "/hub/v1/dataevents/0e8f3b52-1111-2222-3333-444455556666/rowset",
        json=[row("a@b.co")],
        headers=auth,
    )
    assert other.status_code == 404
    assert stored(world) == {}


def test_one_row_is_upserted_by_its_primary_keys_in_the_path(world) -> None:
    fields = (
        ("Region", "Text", True, ""),
        ("Code", "Number", True, ""),
        ("Label", "Text", False, ""),
    )
    object_id = make_de(world, "TWO_KEYS", fields)
    auth = bearer(world)
    reply = world.client.put(
        "/hub/v1/dataevents/key:TWO_KEYS/rows/Region:EU,Code:7",
        json={"values": {"Label": "Europe"}},
        headers=auth,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"keys": {"Region": "EU", "Code": "7"}, "values": {"Label": "Europe"}}
    world.client.put(
        f"/hub/v1/dataevents/{object_id}/rows/Region:EU,Code:7",
        json={"values": {"Label": "Europa"}},
        headers=auth,
    )
    assert list(stored(world, "TWO_KEYS").values()) == [
        {"Region": "EU", "Code": "7", "Label": "Europa"}
    ]
    bad = world.client.put(
        "/hub/v1/dataevents/key:TWO_KEYS/rows/Region:EU,Code:x", json={"values": {}}, headers=auth
    )
    assert bad.status_code == 400 and bad.json()["errorcode"] == 10006
    no_values = world.client.put(
        "/hub/v1/dataevents/key:TWO_KEYS/rows/Region:EU", json=[], headers=auth
    )
    assert no_values.status_code == 400 and no_values.json()["errorcode"] == 10000


def test_increment_adds_the_step_and_starts_a_new_row_from_zero(world) -> None:
    make_de(world)
    auth = bearer(world)
    path = f"/hub/v1/dataevents/key:{KEY}/rows/Email:ann@example.com/column/Age/increment"
    first = world.client.put(path + "?step=5", headers=auth)
    assert (first.status_code, first.content) == (200, b"")
    assert world.client.put(path, headers=auth).status_code == 200  # step defaults to 1
    assert stored(world)["ann@example.com"]["Age"] == "6"
    decimal = path.replace("/Age/", "/Score/") + "?step=0.25"
    world.client.put(decimal, headers=auth)
    world.client.put(decimal, headers=auth)
    assert stored(world)["ann@example.com"]["Score"] == "0.50"
    not_number = world.client.put(path.replace("/Age/", "/Name/"), headers=auth)
    assert not_number.status_code == 400 and not_number.json()["errorcode"] == 10000
    fraction = world.client.put(path + "?step=1.5", headers=auth)
    assert fraction.status_code == 400 and fraction.json()["errorcode"] == 10006
    assert stored(world)["ann@example.com"]["Age"] == "6"


def test_the_async_twins_answer_202_and_a_worker_writes_the_rows(world) -> None:
    from tests.support import wait_for

    make_de(world)
    auth = bearer(world)
    reply = world.client.post(
        f"/hub/v1/dataeventsasync/key:{KEY}/rowset",
        json=[row("ann@example.com", Name="Ann"), row("bad@example.com", Age="x"), row("c@d.co")],
        headers=auth,
    )
    assert (reply.status_code, reply.text) == (202, '""')
    one = world.client.put(
        f"/hub/v1/dataeventsasync/key:{KEY}/rows/Email:zed@example.com",
        json={"values": {"Name": "Zed"}},
        headers=auth,
    )
    assert (one.status_code, one.text) == (202, '""')
    wait_for(lambda: "zed@example.com" in stored(world))
    assert set(stored(world)) == {"ann@example.com", "zed@example.com"}  # order rule kept
    malformed = world.client.post(
        f"/hub/v1/dataeventsasync/key:{KEY}/rowset", json={"items": []}, headers=auth
    )
    assert malformed.status_code == 400 and malformed.json()["errorcode"] == 10000


def test_writes_need_data_extensions_write(world) -> None:
    make_de(world)
    read_only = bearer(world, "data_extensions_read")
    reply = world.client.post(ROWSET, json=[row("a@example.com", Name="A")], headers=read_only)
    assert reply.status_code == 403
    assert reply.json()["message"] == "Not Authorized"
    increment = world.client.put(
        f"/hub/v1/dataevents/key:{KEY}/rows/Email:a@example.com/column/Age/increment",
        headers=read_only,
    )
    assert increment.status_code == 403
    assert world.client.post(ROWSET, json=[row("a@example.com")]).status_code == 401
    assert stored(world) == {}


def test_a_rowset_may_be_5_mb_the_route_family_limit(world) -> None:
    make_de(world)
    auth = bearer(world)
    three_mb = [row("big@example.com", Notes="n" * (3 * 1024 * 1024))]  # over the 2 MB JSON limit
    assert world.client.post(ROWSET, json=three_mb, headers=auth).status_code == 200
    assert len(stored(world)["big@example.com"]["Notes"]) == 3 * 1024 * 1024
    six_mb = [row("huge@example.com", Notes="n" * (6 * 1024 * 1024))]
    too_big = world.client.post(ROWSET, json=six_mb, headers=auth)
    assert too_big.status_code == 413
    assert too_big.json()["message"] == "The request is larger than the limit of 5242880 bytes."
    assert "huge@example.com" not in stored(world)
