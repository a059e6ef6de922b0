"""The demo account across restarts: the same credentials every start (derived from the secret
key, stored only hashed), and a demo database made before the child unit's send gets it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support import retrieve, soap, text

from sendwell.app import create_app
from sendwell.config import Settings
from sendwell.services.accounts import Accounts
from sendwell.services.catalog import find_ref
from sendwell.services.demo import (
    DEMO_CHILD_MID,
    DEMO_MID,
    demo_credentials,
    ensure_demo,
    load_demo_objects,
)
from sendwell.store.tables import api_users, packages


def test_every_start_gets_the_same_credentials_and_the_old_ones_work(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/demo.db")  # key file beside it
    first = ensure_demo(create_app(settings, start_workers=False).state.engine, settings)
    app = create_app(settings, start_workers=False)
    again = ensure_demo(app.state.engine, settings)
    assert again == first
    with TestClient(app) as client:
        reply = client.post(
            "/v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": first.client_id,
                "client_secret": first.client_secret,
            },
        )
        assert reply.status_code == 200, reply.text
        user = (first.username, first.password)
        _, found = soap(client, "Retrieve", retrieve("Email", ["ID", "Name"]), user=user)
        assert text(found, "p:OverallStatus") == "OK"
    with app.state.engine.connect() as conn:  # stored hashed only
        stored = conn.execute(select(api_users.c.password_hash)).scalar()
        secret = conn.execute(select(packages.c.secret_hash)).scalar()
    assert first.password not in stored and first.client_secret not in secret


def test_credentials_follow_the_settings_and_the_key() -> None:
    one = demo_credentials(Settings(secret_key="one"))
    assert one == demo_credentials(Settings(secret_key="one"))
    other = demo_credentials(Settings(secret_key="two"))
    assert {one.password, one.client_id, one.client_secret}.isdisjoint(
        {other.password, other.client_id, other.client_secret}
    )
    assert len(one.password) == 16 and len(one.client_secret) == 43
    assert one.client_id.startswith("demo") and len(one.client_id) == 24
    given = demo_credentials(Settings(secret_key="one", demo_password="mine"))
    assert given.password == "mine" and given.client_secret == one.client_secret


def test_a_demo_database_without_the_child_send_gets_it(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/old.db", secret_key="k")
    engine = create_app(settings, start_workers=False).state.engine
    accounts = Accounts(engine)  # the demo as it was made before the child unit had objects
    accounts.create_account(DEMO_MID, "Sendwell Demo")
    accounts.create_account(DEMO_CHILD_MID, "Sendwell Demo Child Unit", DEMO_MID)
    accounts.create_user(DEMO_MID, "demo_api_user", "old", [DEMO_CHILD_MID])
    accounts.create_package(DEMO_MID, "Demo package", "democlient", "old", [DEMO_CHILD_MID])
    load_demo_objects(engine, DEMO_MID, 20)

    ensure_demo(engine, settings)
    with engine.connect() as conn:
        key = {"CustomerKey": "Definition_Key"}
        assert find_ref(conn, DEMO_CHILD_MID, "EmailSendDefinition", key) is not None
        assert find_ref(conn, DEMO_MID, "EmailSendDefinition", key) is not None
