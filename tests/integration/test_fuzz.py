"""Property-based fuzz of both protocols through one app: whatever arrives, SOAP answers XML
and never a soap:Server fault, REST answers JSON, and nothing answers a 5xx.

``SENDWELL_FUZZ_EXAMPLES`` raises the number of examples per test and store (default 600); the count of
requests made is printed at the end of the module (run with ``-s`` to see it).
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from tests.integration.fuzz_support import envelope_bytes, rest_request, soap_body

from sendwell.app import create_app
from sendwell.config import Settings
from sendwell.services.demo import ensure_demo
from sendwell.services.sends import start_send

EXAMPLES = int(os.environ.get("SENDWELL_FUZZ_EXAMPLES", "600"))
POSTGRES_URL = os.environ.get("SENDWELL_TEST_POSTGRES_URL")
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
USER = ("fuzz_user", "fuzz-password")
COUNTS: Counter[str] = Counter()


class Target:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.token = client, token


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """One database per store for the module (SQLite's and PostgreSQL's integers differ)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/sendwell.db"
        return
    if not POSTGRES_URL:
        pytest.skip("SENDWELL_TEST_POSTGRES_URL is not set")
    import psycopg

    name = f"sendwell_fuzz_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def target(database: str) -> Iterator[Target]:
    config = Settings(
        database_url=database,
        secret_key="fuzz-secret",
        demo_username=USER[0],
        demo_password=USER[1],
        demo_client_id="fuzz-client",
        demo_client_secret="fuzz-secret-0123456789",
    )
    app = create_app(config, start_workers=False)  # sends started by the fuzz stay queued
    ensure_demo(app.state.engine, config, subscribers=20)
    with app.state.engine.begin() as conn:  # a Send for Retrieve to filter
        start_send(conn, 100001, {"CustomerKey": "Definition_Key"})
    with TestClient(app, raise_server_exceptions=True) as client:
        reply = client.post(
            "/v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": config.demo_client_id,
                "client_secret": config.demo_client_secret,
            },
        )
        yield Target(client, reply.json()["access_token"])
    print(
        f"\nfuzz (so far, up to {database.split(':')[0]}): {COUNTS['soap']} SOAP and "
        f"{COUNTS['rest']} REST requests, statuses {dict(sorted(COUNTS.items()))}"
    )


def check_soap(reply, soap12: bool) -> None:  # type: ignore[no-untyped-def]
    assert reply.status_code in ((200, 400, 500) if soap12 else (200, 500)), reply.status_code
    root = etree.fromstring(reply.content)  # always XML
    fault = root.find(".//{*}Fault")
    if reply.status_code == 200:
        assert fault is None
        return
    assert fault is not None, reply.text[:500]
    code = fault.findtext("faultcode") or fault.findtext(".//{*}Code/{*}Value") or ""
    assert not code.endswith(("Server", "Receiver")), reply.text[:1000]


@FUZZ
@given(request=soap_body(), soap12=st.booleans(), cut=st.integers(0, 40))
def test_soap_answers_xml_and_never_a_server_fault(target, request, soap12, cut) -> None:
    operation, body = request
    raw = envelope_bytes(body, USER, soap12)
    if cut == 0:  # now and then a truncated (malformed) envelope
        raw = raw[: len(raw) // 2]
    content_type = "application/soap+xml; charset=utf-8" if soap12 else "text/xml; charset=utf-8"
    headers = {"Content-Type": content_type}
    if not soap12:
        headers["SOAPAction"] = operation
    reply = target.client.post("/Service.asmx", content=raw, headers=headers)
    COUNTS["soap"] += 1
    COUNTS[f"soap {reply.status_code}"] += 1
    check_soap(reply, soap12)


@FUZZ
@given(data=st.data())
def test_rest_answers_json_and_never_a_5xx(target, data) -> None:
    method, path, body, headers = data.draw(rest_request(target.token))
    reply = target.client.request(method, path, content=body, headers=headers)
    COUNTS["rest"] += 1
    COUNTS[f"rest {reply.status_code}"] += 1
    assert reply.status_code < 500, (method, path, body and body[:200], reply.text[:500])
    if path.split("?")[0].endswith("/raw") and reply.status_code == 200:
        return  # a captured message, as sent
    assert reply.headers["content-type"].startswith("application/json"), reply.text[:200]
    json.loads(reply.content)
