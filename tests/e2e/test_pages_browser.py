"""The pages in a real browser, offline: Debian's chromium driven by Playwright.

Sendwell runs under uvicorn on 127.0.0.1 with the demo data and a send worker; every request
to another host is aborted and recorded. One browser for the module: sign in; start the demo
send from Definitions and watch its progress reach 100% with no reload; open a captured
message whose HTML carries a ``<script>`` and remote images, and check that the script did not
run and nothing was fetched; the other account's message URL is a 404; the mobile toggle
narrows the frame. Screenshots go to a folder the tests print.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from tests.support import free_port

from sendwell.app import create_app
from sendwell.config import Settings
from sendwell.services.demo import DemoCredentials, ensure_demo
from sendwell.services.inbox import inbox_page
from sendwell.store.captured import Capture, keep

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(tempfile.mkdtemp(prefix="sendwell-pages-"))
HOSTILE = (
    "<html><body><h1 id='greeting'>Hello</h1>"
    "<script>document.getElementById('greeting').textContent='SCRIPT RAN';"
    "fetch('/probe/script-ran');</script>"
    "<img src='http://203.0.113.9/remote.png' alt='remote'>"
    "<img src='{base}/probe/loopback-image.png' alt='loopback'>"
    "<a href='https://shop.example.test/offer'>Offer</a></body></html>"
)


@dataclass
class Served:
    base: str
    app: object
    demo: DemoCredentials
    left: list[str] = field(default_factory=list)  # requests to other hosts, aborted
    probes: list[str] = field(default_factory=list)  # requests a message's content made


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("pages")
    port = free_port()
    settings = Settings(
        database_url=f"sqlite:///{folder}/sendwell.db",
        secret_key="pages-browser-test",
        public_url=f"http://127.0.0.1:{port}",
    )
    app = create_app(settings)
    demo = ensure_demo(app.state.engine, settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-pages", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    print(f"screenshots of the pages: {SHOTS}")
    try:
        yield Served(f"http://127.0.0.1:{port}", app, demo)
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture(scope="module")
def browser(served: Served):  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def page(served: Served, browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def only_loopback(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if urlsplit(url).hostname != "127.0.0.1":
            served.left.append(url)
            route.abort()
        elif "/probe/" in url:
            served.probes.append(url)
            route.fulfill(status=204, body="")
        else:
            route.continue_()

    context.route("**/*", only_loopback)
    page.goto(served.base + "/ui/login")
    page.fill("input[name=username]", served.demo.username)
    page.fill("input[name=password]", served.demo.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/ui/sends")
    yield page
    context.close()


def test_sign_in_shows_the_sends_page_with_the_unit_switcher(served: Served, page) -> None:  # type: ignore[no-untyped-def]
    assert page.locator("h1").first.inner_text().startswith("Sends")
    options = page.locator("select[name=mid] option").all_inner_texts()
    assert any("100001" in o for o in options) and any("100002" in o for o in options)
    page.screenshot(path=str(SHOTS / "sends.png"), full_page=True)


def test_start_the_demo_send_and_watch_it_reach_100_percent(served: Served, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(served.base + "/ui/definitions")
    navigations: list[str] = []
    page.click("button[data-start=Definition_Key]")
    page.wait_for_url("**/ui/sends/*")
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    # Locators, not wait_for_function: the pages' policy forbids the eval it needs.
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.locator("#percent")).to_have_text("100%", timeout=60_000)
    assert page.locator("[data-field=status]").first.inner_text() == "Complete"
    assert navigations == []  # the progress came over server-sent events: no reload
    page.screenshot(path=str(SHOTS / "send.png"), full_page=True)


def _hostile_message(served: Served) -> int:
    html = HOSTILE.format(base=served.base).encode()
    data = (
        b"From: shop@example.test\r\nTo: probe@example.test\r\nSubject: Hostile\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    )
    with served.app.state.engine.begin() as conn:  # type: ignore[attr-defined]
        keep(conn, [Capture(0, 1, "shop@example.test", "probe@example.test", None, data)])
    with served.app.state.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql("UPDATE captured_messages SET mid = 100001 WHERE mid = 0")
        conn.exec_driver_sql("UPDATE captured_index SET mid = 100001 WHERE mid = 0")
    return inbox_page(served.app.state.engine, 100001, "to:probe@example.test").items[0].id  # type: ignore[attr-defined]


def test_a_captured_script_does_not_run_and_remote_images_stay_off(served: Served, page) -> None:  # type: ignore[no-untyped-def]
    message_id = _hostile_message(served)
    page.goto(served.base + "/ui/inbox")
    page.click(f"tr[data-message='{message_id}'] a")
    frame = page.frame_locator("#frame")
    assert frame.locator("#greeting").inner_text() == "Hello"  # the script did not run
    page.wait_for_timeout(500)
    assert served.probes == []  # neither the script's fetch nor the loopback image
    assert served.left == []  # nor the remote image
    page.screenshot(path=str(SHOTS / "message.png"), full_page=True)


def test_the_mobile_toggle_narrows_the_frame(served: Served, page) -> None:  # type: ignore[no-untyped-def]
    wide = page.locator("#frame").bounding_box()["width"]
    page.click("#mobile")
    deadline = time.monotonic() + 5
    while (narrow := page.locator("#frame").bounding_box()["width"]) > 400:
        assert time.monotonic() < deadline, "the frame did not narrow"
        page.wait_for_timeout(50)
    assert wide > 900 and narrow == 390
    page.screenshot(path=str(SHOTS / "message-mobile.png"), full_page=True)


def test_another_accounts_message_is_a_404(served: Served, page) -> None:  # type: ignore[no-untyped-def]
    from sendwell.services.accounts import Accounts

    accounts = Accounts(served.app.state.engine)  # type: ignore[attr-defined]
    accounts.create_account(300001, "Someone else")
    with served.app.state.engine.begin() as conn:  # type: ignore[attr-defined]
        keep(
            conn,
            [Capture(0, 1, "a@example.test", "theirs@example.test", None, b"Subject: x\r\n\r\nx")],
        )
        conn.exec_driver_sql("UPDATE captured_messages SET mid = 300001 WHERE mid = 0")
        conn.exec_driver_sql("UPDATE captured_index SET mid = 300001 WHERE mid = 0")
    theirs = inbox_page(served.app.state.engine, 300001).items[0].id  # type: ignore[attr-defined]
    reply = page.goto(f"{served.base}/ui/messages/{theirs}")
    assert reply is not None and reply.status == 404
    assert "was not found" in page.locator("main").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(served.base + "/ui/inbox")
    page.screenshot(path=str(SHOTS / "inbox-390.png"), full_page=True)
