"""``/data/v1/async``: requests stored, done by the engine's workers, status and per-row results
read back (SQLite and PostgreSQL); repeated slashes in paths served."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from tests.conftest import World, make_world
from tests.integration.de_rows_support import KEY, bearer, make_de, stored
from tests.support import wait_for

from sendwell.app import create_app
from sendwell.engine.pipeline import SendPipeline
from sendwell.services import async_rows
from sendwell.store import row_requests

ROWS = f"/data/v1/async/dataextensions/key:{KEY}/rows"
pytestmark = pytest.mark.postgres


@pytest.fixture
def idle(database_url: str) -> Iterator[World]:
    """A world without workers: the test runs the pipeline's steps itself."""
    yield from make_world(database_url, workers=0)


def step(world: World) -> bool:
    """One unit of work of the send pipeline, as a worker runs it."""
    pipeline = SendPipeline(world.engine, world.settings)
    try:
        return asyncio.run(pipeline.step())
    finally:
        asyncio.run(pipeline.aclose())


def status(world: World, request_id: str, auth: dict[str, str]) -> dict:
    reply = world.client.get(f"/data/v1/async/{request_id}/status", headers=auth)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_an_insert_is_pending_then_complete_with_one_result_per_row(idle: World) -> None:
    world = idle
    make_de(world)
    auth = bearer(world)
    world.client.post(
        f"/hub/v1/dataevents/key:{KEY}/rowset",
        json=[{"keys": {"Email": "old@example.com"}, "values": {"Name": "Old"}}],
        headers=auth,
    )
    items = [
        {"Email": "ann@example.com", "Name": "Ann", "Age": 3},
        {"Email": "not-an-address", "Name": "Bad"},
        {"Email": "old@example.com", "Name": "Again"},  # its primary key exists: insert fails
        {"Email": "cy@example.com", "Born": "2020-02-29"},
    ]
    reply = world.client.post(ROWS, json={"items": items}, headers=auth)
    assert reply.status_code == 202, reply.text
    request_id = reply.json()["requestId"]
    assert list(reply.json()) == ["requestId"]

    pending = status(world, request_id, auth)
    assert pending["status"]["requestStatus"] == "Pending"
    assert pending["status"]["requestId"] == request_id
    assert pending["requestId"] != request_id  # the status call's own id
    assert "resultStatus" not in pending["status"]
    assert set(stored(world)) == {"old@example.com"}  # nothing written at submit

    assert step(world) is True
    done = status(world, request_id, auth)["status"]
    assert done["requestStatus"] == "Complete"
    assert done["resultStatus"] == "Has Errors" and done["hasErrors"] is True
    assert done["callDateTime"] <= done["pickupDateTime"] <= done["completionDateTime"]
    results = world.client.get(f"/data/v1/async/{request_id}/results", headers=auth).json()
    assert (results["page"], results["pageSize"], results["count"]) == (1, 50, 4)
    assert results["requestId"] == request_id
    assert [r["status"] for r in results["items"]] == ["OK", "Error", "Error", "OK"]
    assert results["items"][1]["errorCode"] == "ValidationError"
    assert "[Email] is not a valid email address" in results["items"][1]["message"]
    assert results["items"][2]["errorCode"] == "UnexpectedError"
    assert results["items"][2]["message"].startswith("Violation of PRIMARY KEY constraint")
    data = stored(world)
    assert set(data) == {"old@example.com", "ann@example.com", "cy@example.com"}
    assert data["old@example.com"]["Name"] == "Old"
    assert data["cy@example.com"]["Born"] == "2020-02-29 00:00:00"
    assert step(world) is False  # nothing left to do

    paged = world.client.get(
        f"/data/v1/async/{request_id}/results?$page=2&$pageSize=3&includeDetail=true",
        headers=auth,
    ).json()
    assert (paged["count"], len(paged["items"])) == (4, 1)
    assert paged["items"][0] == {"status": "OK", "item": items[3]}


def test_an_upsert_by_id_is_done_by_the_running_workers(world: World) -> None:
    object_id = make_de(world)
    auth = bearer(world)
    first = world.client.post(
        ROWS, json={"items": [{"Email": "a@example.com", "Age": 1}]}, headers=auth
    )
    wait_for(
        lambda: (
            status(world, first.json()["requestId"], auth)["status"]["requestStatus"] == "Complete"
        )
    )
    reply = world.client.put(
        f"/data/v1/async/dataextensions/{object_id}/rows",
        json={"items": [{"Email": "a@example.com", "Name": "Ann"}, {"Email": "b@example.com"}]},
        headers=auth,
    )
    assert reply.status_code == 202, reply.text
    request_id = reply.json()["requestId"]
    wait_for(lambda: status(world, request_id, auth)["status"]["requestStatus"] == "Complete")
    assert status(world, request_id, auth)["status"]["resultStatus"] == "OK"
    assert stored(world) == {
        "a@example.com": {"Email": "a@example.com", "Age": "1", "Name": "Ann"},
        "b@example.com": {"Email": "b@example.com"},
    }


def test_a_request_survives_a_restart_and_a_lapsed_lease(idle: World) -> None:
    world = idle
    make_de(world)
    auth = bearer(world)
    reply = world.client.post(ROWS, json={"items": [{"Email": "a@example.com"}]}, headers=auth)
    request_id = reply.json()["requestId"]
    # A worker takes it and dies before writing: the request is Executing, nothing stored.
    claimed = row_requests.claim_next(world.engine, world.settings.lease_seconds)
    assert claimed.request_id == request_id
    assert status(world, request_id, auth)["status"]["requestStatus"] == "Executing"
    assert async_rows.process_next(world.engine, world.settings.lease_seconds) is False
    # Another process on the same database, later: the lease has lapsed.
    restarted = create_app(world.settings, start_workers=False)
    assert async_rows.process_next(restarted.state.engine, 0) is True
    restarted.state.engine.dispose()
    assert status(world, request_id, auth)["status"]["resultStatus"] == "OK"
    assert set(stored(world)) == {"a@example.com"}


def test_unknown_data_extensions_and_request_ids_get_the_documented_bodies(world: World) -> None:
    make_de(world)
    auth = bearer(world)
    reply = world.client.post(
        "/data/v1/async/dataextensions/key:NOPE/rows", json={"items": [{"A": 1}]}, headers=auth
    )
    assert reply.status_code == 400
    message = reply.json()["resultMessages"][0]
    assert message["resultCode"] == "CustomObjectNotFound"
    assert message["resultType"] == "Operational" and message["resultClass"] == "Error"
    assert message["message"].endswith(
        "ObjectReferenceIdentifier [Id: 00000000-0000-0000-0000-000000000000, Key: NOPE]."
    )
    assert len(reply.json()["requestId"]) == 36
    unknown = "efd98722-5826-418f-849e-c13a06ad3622"
    for route in ("status", "results"):
        body = world.client.get(f"/data/v1/async/{unknown}/{route}", headers=auth)
        assert body.status_code == 200
        assert body.json()["resultMessages"] == [
            {
                "resultType": "Operational",
                "resultClass": "Error",
                "resultCode": "AsyncRequestStatusNotFound",
                "message": "Unable to locate an Async Request Status Record for the provided "
                f"RequestId: {unknown}.",
            }
        ]
    for bad in ({"items": []}, {"rows": [{}]}, [{"Email": "a@example.com"}], {"items": [1]}):
        refused = world.client.post(ROWS, json=bad, headers=auth)
        assert refused.status_code == 400 and refused.json()["errorcode"] == 10000, bad
    assert stored(world) == {}


def test_another_account_sees_no_request(world: World) -> None:
    make_de(world)
    reply = world.client.post(
        ROWS, json={"items": [{"Email": "a@example.com"}]}, headers=bearer(world)
    )
    request_id = reply.json()["requestId"]
    world.accounts.create_package(2001, "Other", "other-client", "other-secret")
    token = world.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": "other-client",
            "client_secret": "other-secret",
        },
    ).json()["access_token"]
    other = world.client.get(
        f"/data/v1/async/{request_id}/status", headers={"Authorization": f"Bearer {token}"}
    )
    assert other.json()["resultMessages"][0]["resultCode"] == "AsyncRequestStatusNotFound"


def test_scopes_are_checked_before_the_key_and_the_body(world: World) -> None:
    make_de(world)
    read_only = bearer(world, "data_extensions_read")
    for path in (ROWS, "/data/v1/async/dataextensions/key:NOPE/rows"):
        reply = world.client.put(path, content=b"not json", headers=read_only)
        assert reply.status_code == 403
        assert reply.json()["message"] == "Insufficient privileges to complete this action."
    write_only = bearer(world, "data_extensions_write")
    reply = world.client.get(
        "/data/v1/async/efd98722-5826-418f-849e-c13a06ad3622/status", headers=write_only
    )
    assert reply.status_code == 403
    assert stored(world) == {}


def test_repeated_slashes_in_a_path_are_served(world: World) -> None:
    """FuelSDKWrapper joins ``rest_instance_url`` (ending in ``/``) and ``/data/v1/…``."""
    make_de(world)
    auth = bearer(world)
    reply = world.client.post(
        "http://testserver//data/v1/async/dataextensions/key:DE_KEY/rows",
        json={"items": [{"Email": "a@example.com"}]},
        headers=auth,
    )
    assert reply.status_code == 202, reply.text
    request_id = reply.json()["requestId"]
    polled = world.client.get(f"http://testserver//data/v1/async/{request_id}/status", headers=auth)
    assert polled.json()["status"]["requestId"] == request_id
    hub = world.client.post(
        "http://testserver///hub//v1/dataevents/key:DE_KEY/rowset",
        json=[{"keys": {"Email": "b@example.com"}, "values": {"Name": "B"}}],
        headers=auth,
    )
    assert hub.status_code == 200, hub.text
    assert "b@example.com" in stored(world)
    soap = world.client.get("http://testserver//etframework.wsdl")
    assert soap.status_code == 200 and b"definitions" in soap.content
