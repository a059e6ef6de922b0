"""Scheduled sends are durable and exact; cancel stops them; throttling paces them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import make_world
from tests.integration.send_api_support import BASE, C, bearer, definition, setup_account
from tests.support import SmtpServer, wait_for

from sendwell.app import create_app
from sendwell.store.tables import recipients

OPTED_IN = {"AllRecipientsOptedIn": True}


@pytest.fixture
def api(sqlite_url, tmp_path):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        for world in make_world(sqlite_url, transport=server.url, throttle_period_seconds=1):
            world.smtp = server.recorder  # type: ignore[attr-defined]
            world.ids = setup_account(world, tmp_path)  # type: ignore[attr-defined]
            world.auth = bearer(world)  # type: ignore[attr-defined]
            world.url = sqlite_url  # type: ignore[attr-defined]
            world.server = server  # type: ignore[attr-defined]
            yield world


def create_definition(api, **overrides) -> str:  # type: ignore[no-untyped-def]
    reply = api.client.post(
        BASE, json={"EmailDefinition": definition(api.ids, **overrides)}, headers=api.auth
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["DefinitionId"]


def schedule(client, auth, definition_id: str, **given) -> str:  # type: ignore[no-untyped-def]
    reply = client.post(
        f"{BASE}/{definition_id}/schedule", json={"Schedule": {**OPTED_IN, **given}}, headers=auth
    )
    assert reply.json()["IsError"] is False, reply.text
    return reply.json()["InstanceId"]


def status(client, auth, instance_id: str) -> dict:  # type: ignore[no-untyped-def]
    return client.get(f"{BASE}/instance/{instance_id}", headers=auth).json()


def in_seconds(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


def test_scheduled_send_goes_at_its_time(api) -> None:
    definition_id = create_definition(api)
    due = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=2)
    instance = schedule(
        api.client,
        api.auth,
        definition_id,
        StartImmediately=False,
        StartDateTime=due.isoformat() + "Z",
    )
    early = status(api.client, api.auth, instance)
    assert (early["Status"], early["JobId"], early["SyncId"]) == ("Scheduled", -1, -1)
    time.sleep(1)
    assert api.smtp.messages == []
    done = wait_for(
        lambda: (s := status(api.client, api.auth, instance))["Status"] == "Complete" and s
    )
    started = datetime.fromisoformat(done["StartDate"]).replace(tzinfo=None)
    assert started >= due.replace(microsecond=0)
    assert len(api.smtp.messages) == 4


def test_naive_start_time_is_marketing_cloud_system_time(api) -> None:
    definition_id = create_definition(api)
    system_time = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=6) + timedelta(hours=1)
    instance = schedule(api.client, api.auth, definition_id, StartDateTime=system_time.isoformat())
    scheduled = datetime.fromisoformat(status(api.client, api.auth, instance)["ScheduledDate"])
    expected = datetime.now(UTC) + timedelta(hours=1)
    assert abs((scheduled - expected).total_seconds()) < 5


def test_cancel_before_the_time_sends_nothing(api) -> None:
    definition_id = create_definition(api)
    instance = schedule(api.client, api.auth, definition_id, StartDateTime=in_seconds(1.5))
    cancel = api.client.get(f"{BASE}/instance/{instance}/cancel", headers=api.auth).json()
    assert cancel == {"Status": "Cancel Pending", "IsError": False}
    wait_for(lambda: status(api.client, api.auth, instance)["Status"] == "Canceled")
    time.sleep(2.5)
    assert api.smtp.messages == []
    assert status(api.client, api.auth, instance)["Status"] == "Canceled"
    again = api.client.get(f"{BASE}/instance/{instance}/cancel", headers=api.auth).json()
    assert again["IsError"] is True and "already Canceled" in again["Message"]
    assert again["errorcode"] == 30002


def test_restart_between_scheduling_and_the_time_sends_exactly_once(api) -> None:
    definition_id = create_definition(api)
    instance = schedule(api.client, api.auth, definition_id, StartDateTime=in_seconds(2))
    api.client.__exit__(None, None, None)  # stop Sendwell: its workers stop with it
    app = create_app(api.settings)  # start again on the same database
    with TestClient(app) as client:
        done = wait_for(
            lambda: (s := status(client, api.auth, instance))["Status"] == "Complete" and s
        )
        time.sleep(1)  # would a second delivery follow?
        assert sorted(api.smtp.recipients()) == sorted(set(api.smtp.recipients()))
        assert len(api.smtp.messages) == done["NumberSent"] == 4
    api.client.__enter__()


def sent_times(api, job_id: int) -> list[datetime]:  # type: ignore[no-untyped-def]
    with api.engine.connect() as conn:
        return sorted(
            conn.execute(
                select(recipients.c.sent_at).where(
                    recipients.c.job_id == job_id, recipients.c.status == "sent"
                )
            ).scalars()
        )


def test_throttling_spreads_the_send_over_periods(api) -> None:
    definition_id = create_definition(api, SendThrottling={"ThrottleLimit": 2})
    instance = schedule(api.client, api.auth, definition_id, StartImmediately=True)
    done = wait_for(
        lambda: (s := status(api.client, api.auth, instance))["Status"] == "Complete" and s
    )
    times = sent_times(api, done["JobId"])
    assert len(times) == 4
    # at most 2 per 1-second period (the test settings' period): the 3rd waits for the next one
    assert (times[2] - times[0]).total_seconds() >= 0.9
    assert (times[1] - times[0]).total_seconds() < 0.9


def test_window_closed_holds_the_send(api) -> None:
    now_system = (datetime.now(UTC) - timedelta(hours=6)).time()
    opens = (datetime.combine(datetime.today(), now_system) + timedelta(hours=2)).time()
    closes = (datetime.combine(datetime.today(), now_system) + timedelta(hours=3)).time()
    definition_id = create_definition(
        api,
        SendThrottling={
            "ThrottleOpens": opens.isoformat(timespec="seconds"),
            "ThrottleCloses": closes.isoformat(timespec="seconds"),
            "ThrottleLimit": 100,
        },
    )
    instance = schedule(api.client, api.auth, definition_id, StartImmediately=True)
    wait_for(lambda: status(api.client, api.auth, instance)["Status"] == "Sending")
    time.sleep(1.5)
    assert api.smtp.messages == []
    assert status(api.client, api.auth, instance)["NumberTargeted"] == 4


def test_cancel_during_a_send_stops_it_and_counts_what_went(api) -> None:
    definition_id = create_definition(api, SendThrottling={"ThrottleLimit": 1})
    instance = schedule(api.client, api.auth, definition_id, StartImmediately=True)
    wait_for(lambda: len(api.smtp.messages) >= 1)
    cancel = api.client.get(f"{BASE}/instance/{instance}/cancel", headers=api.auth).json()
    assert cancel["Status"] == "Cancel Pending"
    done = wait_for(
        lambda: (s := status(api.client, api.auth, instance))["Status"] == "Canceled" and s
    )
    time.sleep(1.5)
    assert 1 <= done["NumberSent"] < 4
    assert len(api.smtp.messages) == done["NumberSent"]
    assert status(api.client, api.auth, instance)["NumberSent"] == done["NumberSent"]


def test_delete_is_refused_while_an_instance_waits(api) -> None:
    definition_id = create_definition(
        api, Targets=[{"Type": "Contact", "Name": "x", "Id": C[1]}], Exclusions=[]
    )
    schedule(api.client, api.auth, definition_id, StartDateTime=in_seconds(3600))
    refused = api.client.delete(f"{BASE}/{definition_id}", headers=api.auth).json()
    assert refused["IsError"] is True and refused["errorcode"] == 30002
    assert "scheduled or running sends" in refused["Message"]
