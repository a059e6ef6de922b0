"""One domain error, one answer per protocol: REST maps every error in one handler (status and
Marketing Cloud errorcode), the Send API wraps the same mapping, SOAP names its codes once."""

from __future__ import annotations

from tests.integration.delivery_support import make_definition
from tests.integration.send_api_support import bearer
from tests.support import PARTNER, create, soap, text

from sendwell.domain.errors import ESD_NOT_FOUND, REST_NOT_FOUND
from sendwell.services.send_control import control
from sendwell.services.sends import start_send


def test_not_found_is_one_answer_on_every_rest_route(sqlite_world) -> None:
    auth = bearer(sqlite_world)
    c = sqlite_world.client
    replies = {
        "captured": c.get("/capture/v1/messages/424242", headers=auth),
        "captured raw": c.get("/capture/v1/messages/424242/raw", headers=auth),
        "sends admin": c.get("/sendwell/v1/sends/424242", headers=auth),
        "sends admin action": c.post("/sendwell/v1/sends/424242/pause", headers=auth),
        "preview": c.post("/sendwell/v1/preview", json={"emailId": 424242}, headers=auth),
    }
    answers = {name: (r.status_code, r.json()["errorcode"]) for name, r in replies.items()}
    assert set(answers.values()) == {(404, REST_NOT_FOUND)}, answers
    for reply in replies.values():
        body = reply.json()
        assert set(body) == {"message", "errorcode", "documentation"} and body["message"]


def test_wrong_state_is_409_on_the_admin_api(sqlite_world) -> None:
    key = make_definition(sqlite_world.engine, sqlite_world.mid, ["a@example.test"])
    with sqlite_world.engine.begin() as conn:  # canceled before any worker can take it
        job = start_send(conn, sqlite_world.mid, {"CustomerKey": key}).job_id
        control(conn, sqlite_world.mid, job, "cancel")
    auth = bearer(sqlite_world)
    reply = sqlite_world.client.post(f"/sendwell/v1/sends/{job}/resume", headers=auth)
    assert reply.status_code == 409 and reply.json()["errorcode"] == 30002, reply.text


def _perform(world, action: str, key: str):  # type: ignore[no-untyped-def]
    return soap(
        world.client,
        "Perform",
        f'<PerformRequestMsg xmlns="{PARTNER}"><Action>{action}</Action><Definitions>'
        f'<Definition xsi:type="EmailSendDefinition"><CustomerKey>{key}</CustomerKey></Definition>'
        "</Definitions></PerformRequestMsg>",
        user=world.user,
    )


def test_an_unknown_definition_is_42002_whatever_the_perform_action(sqlite_world) -> None:
    for action in ("start", "pause", "restart", "stop"):
        _, response = _perform(sqlite_world, action, "no-such-definition")
        assert text(response, "p:OverallStatus") == "Error"
        assert text(response, "p:Results/p:Result/p:ErrorCode") == str(ESD_NOT_FOUND), action


def test_update_and_delete_of_an_unknown_definition_are_42002(sqlite_world) -> None:
    for op in ("Update", "Delete"):
        body = create("EmailSendDefinition", "<CustomerKey>nope</CustomerKey>").replace(
            "CreateRequest", f"{op}Request"
        )
        _, response = soap(sqlite_world.client, op, body, user=sqlite_world.user)
        assert text(response, "p:Results/p:ErrorCode") == str(ESD_NOT_FOUND), op
