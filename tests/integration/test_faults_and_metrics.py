"""Fault injection through its admin API (off unless enabled), each kind as a caller sees it
over HTTP, transport faults on a share of recipients; /metrics parsed by prometheus-client's
parser, moving with a send; /healthz and /readyz."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.conftest import World, make_world
from tests.integration.delivery_support import make_definition
from tests.support import retrieve, soap, text, wait_for

from sendwell.services.send_control import job_row
from sendwell.services.sends import start_send


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    yield from make_world(sqlite_url, fault_injection=True, retry_base_seconds=30)


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


def _inject(world: World, token: str, **fault: object) -> dict:
    reply = world.client.post(
        "/sendwell/v1/faults", headers={"Authorization": f"Bearer {token}"}, json=fault
    )
    assert reply.status_code == 201, reply.text
    world.client.app.state.faults.expire()
    return reply.json()


def test_fault_injection_is_off_unless_the_operator_enables_it(sqlite_world: World) -> None:
    token = _token(sqlite_world)
    reply = sqlite_world.client.post(
        "/sendwell/v1/faults",
        headers={"Authorization": f"Bearer {token}"},
        json={"target": "rest", "kind": "server_error"},
    )
    assert reply.status_code == 403
    assert "SENDWELL_FAULT_INJECTION" in reply.json()["message"]


def test_rest_faults_rate_limit_expired_token_server_error_and_delay(world: World) -> None:
    token = _token(world)
    auth = {"Authorization": f"Bearer {token}"}
    _inject(
        world,
        token,
        target="rest",
        kind="rate_limit",
        count=1,
        retryAfter=7,
        match="/sendwell/v1/sends",
    )
    limited = world.client.get("/sendwell/v1/sends", headers=auth)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    assert limited.json()["errorcode"] == 50200
    assert world.client.get("/sendwell/v1/sends", headers=auth).status_code == 200  # count: 1
    _inject(world, token, target="rest", kind="token_expired", count=1)
    expired = world.client.get("/sendwell/v1/sends", headers=auth)
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    _inject(world, token, target="rest", kind="server_error", count=1, message="boom")
    failed = world.client.get("/sendwell/v1/sends", headers=auth)
    assert (failed.status_code, failed.json()["message"]) == (500, "boom")
    _inject(world, token, target="rest", kind="delay", count=1, delayMs=400)
    started = time.monotonic()
    assert world.client.get("/sendwell/v1/sends", headers=auth).status_code == 200
    assert time.monotonic() - started >= 0.4
    listed = world.client.get("/sendwell/v1/faults", headers=auth).json()
    assert listed["count"] == 0  # all used up
    assert [e["what"].split(": ")[1] for e in listed["log"]] == [
        "delay",
        "server_error",
        "token_expired",
        "rate_limit",
    ]


def test_other_accounts_are_untouched_and_faults_clear(world: World) -> None:
    token = _token(world)
    auth = {"Authorization": f"Bearer {token}"}
    other = world.accounts.create_package(world.other_mid, "Other", "other-client", "other-secret")
    other_token = world.client.post(
        "/v2/token",
        json={"grant_type": "client_credentials", "client_id": other[0], "client_secret": other[1]},
    ).json()["access_token"]
    fault = _inject(world, token, target="rest", kind="server_error")
    assert (
        world.client.get(
            "/sendwell/v1/sends", headers={"Authorization": f"Bearer {other_token}"}
        ).status_code
        == 200
    )
    assert world.client.get("/sendwell/v1/sends", headers=auth).status_code == 500
    assert world.client.delete(f"/sendwell/v1/faults/{fault['id']}", headers=auth).json() == {
        "deleted": 1
    }
    world.client.app.state.faults.expire()
    assert world.client.get("/sendwell/v1/sends", headers=auth).status_code == 200


def test_soap_and_token_faults(world: World) -> None:
    token = _token(world)
    _inject(
        world,
        token,
        target="soap",
        kind="object_error",
        code=310007,
        message="injected",
        match="Retrieve",
        count=1,
    )
    status, body = soap(world.client, "Retrieve", retrieve("Send", ["ID"]), user=world.user)
    assert status == 200 and text(body, "{*}OverallStatus") == "Error: injected"
    _inject(world, token, target="soap", kind="soap_fault", count=1, message="Server busy")
    status, body = soap(world.client, "Retrieve", retrieve("Send", ["ID"]), user=world.user)
    assert status == 500 and "Server busy" in text(body, "faultstring")
    _inject(world, token, target="token", kind="rate_limit", count=1, retryAfter=3)
    reply = world.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": world.client_secret,
        },
    )
    assert (reply.status_code, reply.headers["retry-after"]) == (429, "3")
    status, _ = soap(world.client, "Retrieve", retrieve("Send", ["ID"]), user=world.user)
    assert status == 200  # every fault used up


def _metrics(world: World) -> dict[str, float]:
    reply = world.client.get("/metrics")
    assert reply.status_code == 200
    values = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}"] = sample.value
    return values


def test_transport_faults_hit_a_share_of_recipients_and_metrics_move(world: World) -> None:
    token = _token(world)
    before = _metrics(world)
    _inject(world, token, target="transport", kind="smtp_reply", code=451, share=0.5)
    _inject(world, token, target="transport", kind="smtp_reply", code=550, count=2)
    emails = [f"r{i}@example.test" for i in range(40)]
    make_definition(world.engine, world.mid, emails, key="faulty")
    with world.engine.begin() as conn:
        job_id = start_send(conn, world.mid, {"CustomerKey": "faulty"}).job_id
    world.client.app.state.wake_workers()

    def delivered() -> bool:
        with world.engine.connect() as conn:
            job = job_row(conn, world.mid, job_id)
        return job.sent + job.errored + job.deferred == 40

    wait_for(delivered)
    with world.engine.connect() as conn:
        job = job_row(conn, world.mid, job_id)
    assert job.errored == 2  # the next two recipients: 550
    assert 8 <= job.deferred <= 30  # about half of the rest: 451, to be retried
    assert job.sent == 40 - 2 - job.deferred
    after = _metrics(world)
    assert (
        after["sendwell_messages_total{outcome=sent}"]
        - before["sendwell_messages_total{outcome=sent}"]
        == job.sent
    )
    assert after["sendwell_messages_total{outcome=failed}"] == 2
    assert (
        after["sendwell_smtp_replies_total{class=4xx}"]
        - before.get("sendwell_smtp_replies_total{class=4xx}", 0)
        == job.deferred
    )
    assert (
        after["sendwell_smtp_replies_total{class=5xx}"]
        - before.get("sendwell_smtp_replies_total{class=5xx}", 0)
        == 2
    )
    assert after["sendwell_queue_depth{}"] == job.deferred
    assert after["sendwell_sends{status=Sending}"] == 1
    assert 0 < after["sendwell_delivery_ratio{}"] < 1
    assert after["sendwell_api_requests_total{method=POST,route=/v2/token,status=200}"] >= 1
    assert after["sendwell_api_request_seconds_count{route=/sendwell/v1/faults}"] == 2
    page = world.client.get("/ui/faults", follow_redirects=False)
    assert page.status_code == 303  # the pages need a sign-in; the API above did not


def test_health_and_readiness(world: World) -> None:
    assert world.client.get("/healthz").json() == {"status": "ok"}
    ready = world.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["migrations"] == "current"
    from alembic import command

    from sendwell.store.db import alembic_config

    command.stamp(alembic_config(world.engine), "0006")  # a schema behind the code's
    try:
        assert world.client.get("/readyz").json()["database"] == "migrations pending"
        assert world.client.get("/readyz").status_code == 503
    finally:
        command.stamp(alembic_config(world.engine), "head")
