"""Tracking and unsubscribe links, end to end: SOAP send → real SMTP server → HTTP → Retrieve.

Messages of a commercial send are received by an aiosmtpd server; the click URLs, the open pixel
and the List-Unsubscribe header are taken from them and followed over HTTP (the app in-process).
The events they record are retrieved over SOAP, and the one-click unsubscribe suppresses the
subscriber in the next commercial send but not in a transactional one. SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from tests.conftest import make_world
from tests.integration.send_api_support import BASE as REST
from tests.integration.send_api_support import C, bearer, definition, setup_account
from tests.integration.test_send_flow import FIELDS, SENDABLE, ok
from tests.support import (
    PARTNER,
    SmtpServer,
    create,
    perform_start,
    retrieve,
    simple_filter,
    soap,
    text,
    texts,
    wait_for,
)

from sendwell.config import Settings
from sendwell.domain.tracking import sign, tracking_key, verify
from sendwell.services.events import key_for

BASE = "https://track.example.test"
HTML = (
    "<html><body><h1>Hello %%FirstName%%</h1>"
    '<p><a href="https://shop.example.test/offers?a=1&amp;b=2" alias="Offers">Offers</a></p>'
    "<p><A HREF='https://shop.example.test/u/%%_subscriberkey%%'>Your page</A></p>"
    '<p><a href="https://shop.example.test/offers?a=1&amp;b=2">Offers again</a></p>'
    '<p><a href="mailto:help@example.test">Help</a> <a href="#top">Top</a></p>'
    '<p><a href="%%profile_center_url%%">Preferences</a> '
    '<a href="%%unsub_center_url%%">Unsubscribe</a></p>'
    "</body></html>"
)
TEXT = "Hello %%FirstName%%\nUnsubscribe: %%unsub_center_url%%\n"
MEMBERS = [
    ("k1", "ann@example.test", "Ann"),
    ("k2", "bob@example.test", "Bob"),
    ("k3", "a&b'c@example.test", "Cat"),
]
CLICK = re.compile(re.escape(BASE) + r"/t/c/([A-Za-z0-9_-]+)/(\d+)")
PIXEL = re.compile(re.escape(BASE) + r"/t/o/([A-Za-z0-9_-]+)\.gif")


@pytest.fixture
def tracked_world(database_url, tmp_path):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        for world in make_world(
            database_url,
            transport=server.url,
            secret_key_file=str(tmp_path / "sendwell.secret"),  # PostgreSQL: not in the cwd
            tracking_base_url=BASE,
            unsubscribe_mailto_domain="unsub.example.test",
        ):
            world.smtp = server.recorder  # type: ignore[attr-defined]
            build_graph(world)
            yield world


def build_graph(world) -> None:  # type: ignore[no-untyped-def]
    c, u = world.client, world.user
    ok(
        c,
        "Create",
        create(
            "SenderProfile",
            "<CustomerKey>sp</CustomerKey><Name>News</Name>"
            "<FromName>News Team</FromName><FromAddress>news@example.test</FromAddress>",
        ),
        u,
    )
    for key, kind in (
        ("Default Commercial", "Marketing"),
        ("Default Transactional", "Operational"),
    ):
        ok(
            c,
            "Create",
            create(
                "SendClassification",
                f"<CustomerKey>{key}</CustomerKey><Name>{key}</Name>"
                f"<SendClassificationType>{kind}</SendClassificationType>"
                "<SenderProfile><CustomerKey>sp</CustomerKey></SenderProfile>",
            ),
            u,
        )
    email = ok(
        c,
        "Create",
        create(
            "Email",
            "<Name>Offers</Name><Subject>Offers</Subject>"
            f"<HTMLBody><![CDATA[{HTML}]]></HTMLBody><TextBody>{TEXT}</TextBody>",
        ),
        u,
    )
    email_id = text(email, "p:Results/p:NewID")
    ok(
        c,
        "Create",
        create(
            "DataExtension",
            f"<CustomerKey>members</CustomerKey><Name>Members</Name>{SENDABLE}{FIELDS}",
        ),
        u,
    )
    for key, address, first in MEMBERS:
        props = "".join(
            f"<Property><Name>{n}</Name><Value>{v}</Value></Property>"
            for n, v in (
                ("Key", key),
                ("Email", address.replace("&", "&amp;")),
                ("FirstName", first),
            )
        )
        ok(
            c,
            "Create",
            create(
                "DataExtensionObject",
                f"<CustomerKey>members</CustomerKey><Properties>{props}</Properties>",
            ),
            u,
        )
    _, de = soap(
        c,
        "Retrieve",
        retrieve("DataExtension", ["ObjectID"], simple_filter("CustomerKey", "equals", "members")),
        user=u,
    )
    de_id = text(de, "p:Results/p:ObjectID")
    for key, classification, extra in (
        ("commercial", "Default Commercial", ""),
        ("transactional", "Default Transactional", ""),
        ("untracked", "Default Commercial", "<SuppressTracking>true</SuppressTracking>"),
    ):
        ok(
            c,
            "Create",
            create(
                "EmailSendDefinition",
                f"<CustomerKey>{key}</CustomerKey><Name>{key}</Name>"
                f"<SendClassification><CustomerKey>{classification}</CustomerKey>"
                f"</SendClassification>{extra}<IsSendLogging>true</IsSendLogging>"
                "<SendDefinitionList><SendDefinitionListType>SourceList</SendDefinitionListType>"
                f"<CustomObjectID>{de_id}</CustomObjectID>"
                "<DataSourceTypeID>CustomObject</DataSourceTypeID></SendDefinitionList>"
                f"<Email><ID>{email_id}</ID></Email>",
            ),
            u,
        )


def send(world, key: str) -> tuple[str, dict[str, EmailMessage]]:  # type: ignore[no-untyped-def]
    """Start a definition, wait until its job is complete; its messages by recipient."""
    response = ok(world.client, "Perform", perform_start(key), world.user)
    job_id = text(response, "p:Results/p:Result/p:Task/p:ID")
    wait_for(lambda: send_counts(world, job_id)["Status"] == "Complete")
    messages = {
        m.rcpt_to[0]: m.message for m in world.smtp.messages if m.message["X-Job-ID"] == job_id
    }
    return job_id, messages


def send_counts(world, job_id: str) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    names = ["Status", "NumberSent", "ExistingUnsubscribes", "UniqueOpens", "UniqueClicks"]
    names.append("Unsubscribes")
    _, response = soap(
        world.client,
        "Retrieve",
        retrieve("Send", ["ID", *names], simple_filter("ID", "equals", job_id)),
        user=world.user,
    )
    return {n: text(response, f"p:Results/p:{n}") for n in names}


def events(world, type_name: str, job_id: str, extra: list[str] | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    props = ["Client.ID", "SendID", "SubscriberKey", "EventDate", "EventType", *(extra or [])]
    _, response = soap(
        world.client,
        "Retrieve",
        retrieve(type_name, props, simple_filter("SendID", "equals", job_id)),
        user=world.user,
    )
    assert text(response, "p:OverallStatus") == "OK", texts(response, ".//p:OverallStatus")
    out = []
    for result in response.findall("p:Results", {"p": PARTNER}):
        assert result.get("{http://www.w3.org/2001/XMLSchema-instance}type") == type_name
        row = {p.split(".")[-1]: text(result, "p:" + "/p:".join(p.split("."))) for p in props}
        out.append(row)
    return out


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def path(url: str) -> str:
    assert url.startswith(BASE)
    return url[len(BASE) :]


def test_clicks_opens_and_one_click_unsubscribe(tracked_world) -> None:  # type: ignore[no-untyped-def]
    world = tracked_world
    job_id, messages = send(world, "commercial")
    assert sorted(messages) == sorted(address for _, address, _ in MEMBERS)
    ann = messages["ann@example.test"]
    html = html_of(ann)

    # The links: tracked ones point at the click URL with the recipient's token, others stay.
    clicks = CLICK.findall(html)
    assert [url_id for _, url_id in clicks] == ["1", "2", "1"]
    token = clicks[0][0]
    assert {t for t, _ in clicks} == {token}
    assert verify(key_for(world.settings), token) == (world.mid, int(job_id), 1)
    assert 'href="mailto:help@example.test"' in html and 'href="#top"' in html
    assert "shop.example.test" not in html
    assert f'href="{BASE}/t/p/{token}"' in html and f'href="{BASE}/t/u/{token}"' in html
    assert PIXEL.findall(html) == [token]
    assert f"Unsubscribe: {BASE}/t/u/{token}" in ann.get_body(("plain",)).get_content()

    # RFC 8058 headers.
    assert str(ann["List-Unsubscribe"]) == (
        f"<{BASE}/t/u/{token}>, <mailto:unsubscribe+{token}@unsub.example.test>"
    )
    assert str(ann["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"

    client = world.client
    # A click redirects to the link as written (entities decoded) and records a ClickEvent.
    response = client.get(f"/t/c/{token}/1", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "https://shop.example.test/offers?a=1&b=2"
    assert response.headers["referrer-policy"] == "no-referrer"
    # A personalized link is filled for this recipient.
    response = client.get(f"/t/c/{token}/2", follow_redirects=False)
    assert response.headers["location"] == "https://shop.example.test/u/k1"

    # The pixel: a GIF, never cached; two opens are two events, one unique open.
    for _ in range(2):
        response = client.get(path(f"{BASE}/t/o/{token}.gif"))
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/gif"
        assert response.content.startswith(b"GIF89a")
        assert "no-store" in response.headers["cache-control"]
    bob_token = CLICK.findall(html_of(messages["bob@example.test"]))[0][0]
    assert client.get(f"/t/o/{bob_token}.gif").status_code == 200

    # Tampering, forging and open-redirect attempts: 404 (pixel: still a GIF), nothing recorded.
    tampered = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    forged = sign(tracking_key("a guessed secret"), world.mid, int(job_id), 1)
    other_account = sign(key_for(world.settings), world.other_mid, int(job_id), 1)
    for url in (
        f"/t/c/{tampered}/1",
        f"/t/c/{forged}/1",
        f"/t/c/{other_account}/1",
        f"/t/c/{token}/3",  # a link number the job does not have
        f"/t/c/{token}/0",
        f"/t/c/{token}/-1",
        f"/t/c/{token}/abc",
        f"/t/c/{token}/99999999999999999999",
        f"/t/c/{token}",
        "/t/c/x/1",
        "/t/o/x",
        "/t/",
    ):
        # The recipient's browser gets a page saying so, not an API's JSON error.
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 404, url
        assert "location" not in response.headers
        assert response.headers["content-type"].startswith("text/html"), url
        assert "<h1>This link is not valid</h1>" in response.text
        assert response.headers["referrer-policy"] == "no-referrer"
    response = client.get(f"/t/c/{token}/1?url=https://evil.example.test", follow_redirects=False)
    assert response.headers["location"] == "https://shop.example.test/offers?a=1&b=2"
    response = client.get(f"/t/o/{tampered}.gif")
    assert response.status_code == 200 and response.content.startswith(b"GIF89a")

    clicks_seen = events(world, "ClickEvent", job_id, ["URLID", "URL"])
    assert [(e["SubscriberKey"], e["URLID"], e["URL"]) for e in clicks_seen] == [
        ("k1", "1", "https://shop.example.test/offers?a=1&b=2"),
        ("k1", "2", "https://shop.example.test/u/k1"),
        ("k1", "1", "https://shop.example.test/offers?a=1&b=2"),
    ]
    assert {e["EventType"] for e in clicks_seen} == {"Click"}
    assert {e["ID"] for e in clicks_seen} == {str(world.mid)}  # Client.ID
    assert {e["SendID"] for e in clicks_seen} == {job_id}
    assert all(e["EventDate"] for e in clicks_seen)
    opens = events(world, "OpenEvent", job_id)
    assert [(e["SubscriberKey"], e["EventType"]) for e in opens] == [
        ("k1", "Open"),
        ("k1", "Open"),
        ("k2", "Open"),
    ]

    # The unsubscribe center and profile center pages: a GET never unsubscribes.
    page = client.get(f"/t/u/{token}")
    assert page.status_code == 200 and "<form" in page.text and "ann@example.test" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    profile = client.get(f"/t/p/{token}")
    assert profile.status_code == 200 and "Active" in profile.text
    assert f'action="../u/{token}"' in profile.text
    assert client.get(f"/t/u/{tampered}").status_code == 404
    assert client.get(f"/t/p/{tampered}").status_code == 404
    assert events(world, "UnsubEvent", job_id) == []

    # Addresses are escaped in the pages.
    cat_token = CLICK.findall(html_of(messages["a&b'c@example.test"]))[0][0]
    cat_page = client.get(f"/t/p/{cat_token}").text
    assert "a&amp;b&#39;c@example.test" in cat_page and "a&b'c" not in cat_page

    # RFC 8058 one-click: a POST of "List-Unsubscribe=One-Click" to the header's https URI.
    one_click = str(ann["List-Unsubscribe"]).split(">")[0].lstrip("<")
    for _ in range(2):  # the second is harmless and records nothing more
        response = client.post(
            path(one_click),
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
    assert client.post(f"/t/u/{tampered}", content=b"List-Unsubscribe=One-Click").status_code == 404
    assert "You are unsubscribed" in client.get(f"/t/u/{token}").text
    unsubs = events(world, "UnsubEvent", job_id, ["IsMasterUnsubscribed"])
    assert [(e["SubscriberKey"], e["EventType"], e["IsMasterUnsubscribed"]) for e in unsubs] == [
        ("k1", "Unsubscribe", "true")
    ]
    _, subscriber = soap(
        world.client,
        "Retrieve",
        retrieve(
            "Subscriber",
            ["SubscriberKey", "EmailAddress", "Status"],
            simple_filter("SubscriberKey", "equals", "k1"),
        ),
        user=world.user,
    )
    assert text(subscriber, "p:Results/p:Status") == "Unsubscribed"
    assert text(subscriber, "p:Results/p:EmailAddress") == "ann@example.test"

    # The Send's counters: unique recipients.
    counts = send_counts(world, job_id)
    assert (counts["UniqueOpens"], counts["UniqueClicks"], counts["Unsubscribes"]) == (
        "2",
        "1",
        "1",
    )
    # Another account sees none of these events.
    _, foreign = soap(
        world.client,
        "Retrieve",
        retrieve("ClickEvent", ["SendID"], simple_filter("SendID", "equals", job_id)),
        user=world.other_user,
    )
    assert foreign.findall("p:Results", {"p": PARTNER}) == []

    # The next commercial send skips the unsubscribed subscriber; a transactional one does not.
    job2, messages2 = send(world, "commercial")
    assert "ann@example.test" not in messages2 and len(messages2) == 2
    assert send_counts(world, job2)["ExistingUnsubscribes"] == "1"
    job3, messages3 = send(world, "transactional")
    assert "ann@example.test" in messages3 and len(messages3) == 3
    transactional = messages3["ann@example.test"]
    assert transactional["List-Unsubscribe"] is None
    assert transactional["List-Unsubscribe-Post"] is None
    assert CLICK.search(html_of(transactional))  # tracked all the same
    new_counts = send_counts(world, job3)
    assert (new_counts["UniqueOpens"], new_counts["UniqueClicks"]) == ("0", "0")
    # A token is bound to its job: job 1's token does not open job 3's links.
    assert client.get(f"/t/c/{token}/1", follow_redirects=False).headers["location"] == (
        "https://shop.example.test/offers?a=1&b=2"
    )
    assert events(world, "ClickEvent", job3) == []


def test_suppress_tracking_leaves_links_alone_but_keeps_list_unsubscribe(tracked_world) -> None:  # type: ignore[no-untyped-def]
    world = tracked_world
    job_id, messages = send(world, "untracked")
    bob = messages["bob@example.test"]
    html = html_of(bob)
    assert CLICK.search(html) is None and PIXEL.search(html) is None
    assert "https://shop.example.test/offers?a=1&amp;b=2" in html
    assert "https://shop.example.test/u/k2" in html
    header = str(bob["List-Unsubscribe"])
    token = re.match(re.escape(f"<{BASE}/t/u/") + r"([A-Za-z0-9_-]+)>", header).group(1)
    assert f'href="{BASE}/t/u/{token}"' in html  # %%unsub_center_url%% still filled
    response = world.client.post(f"/t/u/{token}", content=b"List-Unsubscribe=One-Click")
    assert response.status_code == 200
    assert send_counts(world, job_id)["Unsubscribes"] == "1"
    with world.engine.connect() as conn:
        from sqlalchemy import func, select

        from sendwell.store.tables import job_links

        stored = conn.execute(
            select(func.count()).select_from(job_links).where(job_links.c.job_id == int(job_id))
        ).scalar_one()
    assert stored == 0


# --- The REST Send API: tracked unless the settings say otherwise -----------------------------


@pytest.fixture
def rest_world(database_url, tmp_path, request):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        for world in make_world(
            database_url,
            transport=server.url,
            secret_key_file=str(tmp_path / "sendwell.secret"),
            tracking_base_url=BASE,
            track_rest_sends=getattr(request, "param", True),
        ):
            world.smtp = server.recorder  # type: ignore[attr-defined]
            world.ids = setup_account(world, tmp_path)  # type: ignore[attr-defined]
            world.auth = bearer(world)  # type: ignore[attr-defined]
            yield world


def rest_send(world) -> tuple[dict, dict[str, EmailMessage]]:  # type: ignore[no-untyped-def]
    c, auth = world.client, world.auth
    before = len(world.smtp.messages)
    body = {"EmailDefinition": definition(world.ids, Name=f"Send {before}")}
    created = c.post(REST, json=body, headers=auth)
    assert created.status_code == 201, created.text
    definition_id = created.json()["DefinitionId"]
    scheduled = c.post(
        f"{REST}/{definition_id}/schedule",
        json={"Schedule": {"StartImmediately": True, "AllRecipientsOptedIn": True}},
        headers=auth,
    )
    instance_id = scheduled.json()["InstanceId"]

    def complete():  # type: ignore[no-untyped-def]
        reply = c.get(f"{REST}/instance/{instance_id}", headers=auth).json()
        return reply if reply["Status"] in ("Complete", "Error") else None

    status = wait_for(complete, timeout=60)
    assert status["Status"] == "Complete", status
    return status, {m.rcpt_to[0]: m.message for m in world.smtp.messages[before:]}


def test_rest_sends_are_tracked_and_one_click_unsubscribe_suppresses(rest_world) -> None:  # type: ignore[no-untyped-def]
    world = rest_world
    status, messages = rest_send(world)
    cora = messages["cora@example.test"]
    token = PIXEL.findall(html_of(cora))[0]
    assert verify(key_for(world.settings), token)[1] == status["JobId"]
    assert str(cora["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    one_click = str(cora["List-Unsubscribe"]).split(">")[0].lstrip("<")
    assert one_click == f"{BASE}/t/u/{token}"
    response = world.client.post(
        path(one_click),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    unsubs = events(world, "UnsubEvent", str(status["JobId"]))
    assert len(unsubs) == 1 and unsubs[0]["SubscriberKey"].startswith(C[1])
    again, messages = rest_send(world)
    assert "cora@example.test" not in messages
    assert again["ExistingUnsubscribes"] == status["ExistingUnsubscribes"] + 1


@pytest.mark.parametrize("rest_world", [False], indirect=True)
def test_rest_tracking_can_be_switched_off(rest_world) -> None:  # type: ignore[no-untyped-def]
    _, messages = rest_send(rest_world)
    cora = messages["cora@example.test"]
    assert PIXEL.search(html_of(cora)) is None
    assert cora["List-Unsubscribe"] is not None  # commercial: still unsubscribable


# --- The secret key -----------------------------------------------------------------------------


def test_the_secret_key_is_generated_once_beside_the_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sendwell import config

    settings = Settings(database_url=f"sqlite:///{tmp_path}/db/sendwell.db")
    key = config.resolve_secret_key(settings)
    file = tmp_path / "db" / "sendwell.secret"
    assert file.read_text().strip() == key and len(key) >= 40
    assert file.stat().st_mode & 0o777 == 0o600
    config._generated.clear()  # as a new process would
    assert config.resolve_secret_key(settings) == key
    assert config.resolve_secret_key(Settings(secret_key="given")) == "given"
    elsewhere = tmp_path / "keys" / "k"
    other = config.resolve_secret_key(Settings(secret_key_file=str(elsewhere)))
    assert elsewhere.read_text().strip() == other != key
    memory = config.resolve_secret_key(Settings(database_url="sqlite://"))
    assert memory and memory == config.resolve_secret_key(Settings(database_url="sqlite://"))


def test_processes_racing_to_create_the_key_all_get_the_same_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    from sendwell import config

    file = tmp_path / "sendwell.secret"
    with ThreadPoolExecutor(16) as pool:
        keys = set(pool.map(lambda _: config._read_or_create_key(file), range(64)))
    assert keys == {file.read_text().strip()}


def test_settings_read_tracking_switches_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "SENDWELL_TRACK_REST_SENDS": "false",
            "SENDWELL_TRACKING_BASE_URL": "https://t.example.test/",
            "SENDWELL_PUBLIC_URL": "https://api.example.test",
        }
    )
    assert settings.track_rest_sends is False
    assert settings.tracking_base == "https://t.example.test"
    assert Settings.from_env({"SENDWELL_TRACK_REST_SENDS": "1"}).track_rest_sends is True
    assert Settings(public_url="https://api.example.test/").tracking_base == (
        "https://api.example.test"
    )
    assert Settings().tracking_base == "http://127.0.0.1:8080"
    assert Settings().mailto_domain == "sendwell.local"
