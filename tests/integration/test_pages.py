"""The pages over real HTTP (TestClient): sign-in with its throttle and CSRF, one business unit
at a time, another account's send or message a 404, live progress over server-sent events,
pause/resume/cancel, the inbox's search, the message views and their policies."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from tests.conftest import World
from tests.integration.delivery_support import make_definition
from tests.integration.pages_support import csrf_of, sign_in
from tests.support import wait_for

from sendwell.services.sends import start_send


def _signed_in(world: World) -> TestClient:
    assert sign_in(world.client, *world.user) == 303
    return world.client


def _send(world: World, mid: int, emails: list[str], key: str) -> int:
    make_definition(world.engine, mid, emails, key=key)
    with world.engine.begin() as conn:
        job_id = start_send(conn, mid, {"CustomerKey": key}).job_id
    world.client.app.state.wake_workers()
    return job_id


def _complete(world: World, job_id: int, mid: int) -> None:
    from sendwell.services.send_control import job_row

    def done() -> bool:
        with world.engine.connect() as conn:
            return job_row(conn, mid, job_id).status == "Complete"

    wait_for(done, timeout=30)


def test_pages_need_a_sign_in_and_keep_where_the_person_was_going(world: World) -> None:
    reply = world.client.get("/ui/inbox?q=x", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/ui/login?next=/ui/inbox%3Fq%3Dx"
    for short in ("/", "/ui", "/inbox"):
        assert world.client.get(short, follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_then_throttled(world: World) -> None:
    assert sign_in(world.client, world.user[0], "wrong") == 401
    for _ in range(4):
        sign_in(world.client, world.user[0], "wrong")
    # The foundation's throttle: 5 failures, then a wait — even for the right password.
    assert sign_in(world.client, *world.user) == 429
    page = world.client.get("/ui/login")
    assert "session" not in "".join(world.client.cookies.keys()) or page.status_code == 200


def test_sign_in_without_the_form_token_is_refused(world: World) -> None:
    world.client.get("/ui/login")
    reply = world.client.post(
        "/ui/login",
        data={"username": world.user[0], "password": world.user[1], "csrf": "forged"},
        follow_redirects=False,
    )
    assert reply.status_code == 403


def test_a_changed_session_cookie_is_no_session(world: World) -> None:
    client = _signed_in(world)
    value = client.cookies.get("sendwell_session")
    payload, _, mac = value.rpartition(".")
    client.cookies.set(
        "sendwell_session", payload + "." + ("0" if mac[0] != "0" else "1") + mac[1:]
    )
    assert client.get("/ui/sends", follow_redirects=False).status_code == 303


def test_actions_without_the_session_csrf_token_are_refused(world: World) -> None:
    client = _signed_in(world)
    job_id = _send(world, world.mid, ["a@example.test"], "csrf-send")
    reply = client.post(f"/ui/sends/{job_id}/cancel", data={"csrf": "nope"}, follow_redirects=False)
    assert reply.status_code == 403


@pytest.mark.postgres
def test_only_the_units_a_person_may_act_for_and_404_for_others(world: World) -> None:
    own = _send(world, world.mid, ["own@example.test"], "own")
    child = _send(world, world.child_mid, ["child@example.test"], "child")
    other = _send(world, world.other_mid, ["other@example.test"], "other")
    for job, mid in ((own, world.mid), (child, world.child_mid), (other, world.other_mid)):
        _complete(world, job, mid)
    client = _signed_in(world)
    sends = client.get("/ui/sends")
    assert f'href="/ui/sends/{own}"' in sends.text and f'href="/ui/sends/{child}"' not in sends.text
    assert client.get(f"/ui/sends/{other}").status_code == 404
    assert client.get(f"/ui/sends/{child}").status_code == 404  # not the unit it acts for now
    options = re.findall(r'<option value="(\d+)"', sends.text)
    assert options == [str(world.mid), str(world.child_mid)]  # never the other company's
    inbox = client.get("/ui/inbox").text
    assert "own@example.test" in inbox and "other@example.test" not in inbox
    foreign = _message_id(world, world.other_mid)
    for path in ("", "/frame", "/raw", ".eml"):
        assert client.get(f"/ui/messages/{foreign}{path}").status_code == 404
    refused = client.post("/ui/switch", data={"mid": world.other_mid, "csrf": csrf_of(sends.text)})
    assert refused.status_code == 404
    client.post("/ui/switch", data={"mid": world.child_mid, "csrf": csrf_of(sends.text)})
    assert client.get(f"/ui/sends/{child}").status_code == 200
    assert "child@example.test" in client.get("/ui/inbox").text


def _message_id(world: World, mid: int) -> int:
    from sendwell.services.inbox import inbox_page

    return inbox_page(world.engine, mid).items[0].id


def test_live_progress_reaches_complete_over_server_sent_events(world: World) -> None:
    client = _signed_in(world)
    job_id = _send(world, world.mid, [f"p{i}@example.test" for i in range(30)], "live")
    seen = []
    with client.stream("GET", f"/ui/sends/live?job={job_id}") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:])["sends"][0])
            if line == "event: done":
                break
    last = seen[-1]
    assert (last["status"], last["sent"], last["targeted"], last["progress"]) == (
        "Complete",
        30,
        30,
        1.0,
    )
    page = client.get(f"/ui/sends/{job_id}").text
    assert "<svg" in page and "sent (30)" in page  # the delivery chart, drawn on the server
    found = client.get(f"/ui/sends/{job_id}?q=p7%40").text
    assert "p7@example.test" in found and "p8@example.test" not in found
    assert "250 2.0.0 Captured" in found


def test_pause_resume_cancel_from_the_send_page(world: World) -> None:
    from sendwell.services.send_control import control, job_row

    client = _signed_in(world)
    make_definition(world.engine, world.mid, ["x@example.test", "y@example.test"], key="ctl")
    with world.engine.begin() as conn:  # paused as it starts: no worker can finish it first
        job_id = start_send(conn, world.mid, {"CustomerKey": "ctl"}).job_id
        control(conn, world.mid, job_id, "pause")
    page = client.get(f"/ui/sends/{job_id}").text
    assert "Paused" in page
    token = csrf_of(page)
    assert client.post(f"/ui/sends/{job_id}/pause", data={"csrf": token}).status_code == 409
    assert client.post(f"/ui/sends/{job_id}/cancel", data={"csrf": token}).status_code == 200
    with world.engine.connect() as conn:
        assert job_row(conn, world.mid, job_id).status == "Canceled"
    again = client.post(f"/ui/sends/{job_id}/resume", data={"csrf": token})
    assert again.status_code == 409 and "Canceled" in again.text


def test_inbox_search_by_recipient_subject_send_and_text(world: World) -> None:
    client = _signed_in(world)
    first = _send(world, world.mid, ["ada@example.test", "bob@example.test"], "first")
    second = _send(world, world.mid, ["cyd@example.test"], "second")
    _complete(world, first, world.mid)
    _complete(world, second, world.mid)

    def found(q: str) -> list[str]:
        html = client.get("/ui/inbox", params={"q": q}).text
        # The To column: the cell after the subject's link.
        return re.findall(r"</a></td><td>([a-z]+@example\.test)</td>", html)

    assert sorted(found("")) == ["ada@example.test", "bob@example.test", "cyd@example.test"]
    assert found("to:ADA@example.test") == ["ada@example.test"]
    assert found("bob@example.test") == ["bob@example.test"]
    assert sorted(found(f"send:{first}")) == ["ada@example.test", "bob@example.test"]
    assert found("subject:cyd") == ["cyd@example.test"]  # "Hello %%Name%%"
    assert found("hi ada") == ["ada@example.test"]  # the text part "Hi %%Name%%"
    assert found("nothing-like-this") == []
    rows = client.get("/ui/inbox/rows", params={"after": _message_id(world, world.mid) - 1})
    assert rows.text.count("data-message=") == 1  # only the newest: what live updates add


def test_the_message_frame_runs_no_script_and_loads_nothing(world: World) -> None:
    client = _signed_in(world)
    job_id = _send(world, world.mid, ["f@example.test"], "frame")
    _complete(world, job_id, world.mid)
    message_id = _message_id(world, world.mid)
    page = client.get(f"/ui/messages/{message_id}")
    assert 'sandbox=""' in page.text and "allow-scripts" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    frame = client.get(f"/ui/messages/{message_id}/frame")
    policy = frame.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "http:" not in policy
    assert (
        "http: https:"
        in client.get(f"/ui/messages/{message_id}/frame?images=1").headers[
            "content-security-policy"
        ]
    )
    eml = client.get(f"/ui/messages/{message_id}.eml")
    assert eml.headers["content-type"] == "message/rfc822"
    assert (
        b"To: " in eml.content
        and eml.content == client.get(f"/ui/messages/{message_id}/raw").content
    )
