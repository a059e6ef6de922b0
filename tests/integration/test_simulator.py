"""The mailbox simulator: each address at simulator.sendwell.test does what the README says,
end to end through a real send (capture://), seen through SOAP Retrieve of events and the
ledger."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from tests.conftest import World, make_world
from tests.integration.delivery_support import make_definition
from tests.support import retrieve, simple_filter, soap, texts, wait_for

from sendwell.services.sends import start_send
from sendwell.store.tables import recipients, send_jobs, subscribers, tracking_events

SIM = "simulator.sendwell.test"
ADDRESSES = [
    f"delivered@{SIM}",
    f"bounce@{SIM}",
    f"softbounce@{SIM}",
    f"soft-then-delivered@{SIM}",
    f"complaint@{SIM}",
    f"unsubscribe+7@{SIM}",
]


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    # Retries within a second, given up after two seconds: the soft bounces play out quickly.
    yield from make_world(
        database_url,
        retry_base_seconds=0.2,
        retry_max_interval_seconds=0.3,
        retry_max_age_seconds=1.5,
        bounce_hold_threshold=1,
    )


def _send(world: World) -> int:
    key = make_definition(world.engine, world.mid, ADDRESSES, key="simulated")
    with world.engine.begin() as conn:
        job_id = start_send(conn, world.mid, {"CustomerKey": key}).job_id
    world.client.app.state.wake_workers()

    def done() -> bool:
        with world.engine.connect() as conn:
            status = conn.execute(
                select(send_jobs.c.status).where(send_jobs.c.id == job_id)
            ).scalar()
        return status == "Complete"

    wait_for(done, timeout=30)
    return job_id


@pytest.mark.postgres
def test_simulator_addresses_do_what_their_names_say(world: World) -> None:
    job_id = _send(world)
    with world.engine.connect() as conn:
        ledger = {
            r.email: r
            for r in conn.execute(select(recipients).where(recipients.c.job_id == job_id))
        }
        events = [
            (r.subscriber_key, r.event_type)
            for r in conn.execute(select(tracking_events).where(tracking_events.c.job_id == job_id))
        ]
        held = {
            r.email: r.status
            for r in conn.execute(select(subscribers).where(subscribers.c.mid == world.mid))
        }
    assert ledger[f"delivered@{SIM}"].status == "sent"
    assert ledger[f"delivered@{SIM}"].attempts == 1
    bounce = ledger[f"bounce@{SIM}"]
    assert (bounce.status, bounce.smtp_code) == ("failed", 550)
    soft = ledger[f"softbounce@{SIM}"]
    assert soft.status == "failed" and soft.attempts >= 2  # deferred, retried, given up
    assert soft.smtp_reply.startswith("gave up after")
    later = ledger[f"soft-then-delivered@{SIM}"]
    assert (later.status, later.attempts) == ("sent", 2)
    keys = {r.email: r.subscriber_key for r in ledger.values()}
    assert (keys[f"bounce@{SIM}"], "HardBounce") in events
    assert (keys[f"complaint@{SIM}"], "Unsubscribe") in events
    assert (keys[f"unsubscribe+7@{SIM}"], "Unsubscribe") in events
    assert not [e for e in events if e[1] == "Unsubscribe" and e[0] == keys[f"delivered@{SIM}"]]
    assert held.get(f"bounce@{SIM}") == "Held"  # one hard bounce: the threshold of this world
    assert held.get(f"complaint@{SIM}") == "Unsubscribed"


def test_delivered_simulator_messages_are_captured_and_soap_sees_the_bounce(world: World) -> None:
    job_id = _send(world)
    with world.engine.connect() as conn:
        captured = {
            r[0]
            for r in conn.execute(
                select(recipients.c.email).where(
                    recipients.c.job_id == job_id, recipients.c.status == "sent"
                )
            )
        }
    listed = world.client.get(
        "/capture/v1/messages",
        params={"jobId": job_id},
        headers={"Authorization": "Bearer " + _token(world)},
    ).json()
    assert {i["rcpt_to"] for i in listed["items"]} == captured
    assert f"bounce@{SIM}" not in captured
    status, body = soap(
        world.client,
        "Retrieve",
        retrieve(
            "BounceEvent",
            ["SendID", "SubscriberKey", "EventType"],
            simple_filter("SendID", "equals", str(job_id)),
        ),
        user=world.user,
    )
    assert status == 200
    assert texts(body, ".//{*}Results/{*}EventType") == ["HardBounce"]


def _token(world: World) -> str:
    reply = world.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": world.client_secret,
        },
    )
    return reply.json()["access_token"]
