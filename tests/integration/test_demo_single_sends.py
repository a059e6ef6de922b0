"""The demo account can send a triggered and a transactional message as it comes."""

from __future__ import annotations

from tests.support import wait_for

from sendwell.app import create_app
from sendwell.config import Settings
from sendwell.services.captured import list_captured
from sendwell.services.demo import DEMO_MID, ensure_demo


def test_the_demo_has_a_started_triggered_send_and_a_transactional_definition(tmp_path) -> None:
    from fastapi.testclient import TestClient

    settings = Settings(database_url=f"sqlite:///{tmp_path}/d.db", secret_key="k")
    app = create_app(settings)
    creds = ensure_demo(app.state.engine, settings, subscribers=5)
    with TestClient(app) as client:
        token = client.post(
            "/v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
            },
        ).json()["access_token"]
        reply = client.post(
            "/messaging/v1/email/messages/demo-1",
            json={
                "definitionKey": "demo-order",
                "recipient": {
                    "contactKey": "ada",
                    "to": "ada@example.test",
                    "attributes": {"FirstName": "Ada", "OrderNo": "A-1"},
                },
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert reply.status_code == 202, reply.text
        legacy = client.post(
            "/messaging/v1/messageDefinitionSends/key:Demo_Triggered/send",
            json={"To": {"Address": "bo@example.test", "SubscriberKey": "bo"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert legacy.json()["responses"][0]["hasErrors"] is False
        wait_for(lambda: list_captured(app.state.engine, DEMO_MID)[0] == 2)
        _, items = list_captured(app.state.engine, DEMO_MID)
        assert {i.subject for i in items} == {"Order A-1 confirmed", "Order  confirmed"}
    ensure_demo(app.state.engine, settings, subscribers=5)  # a restart adds nothing twice
