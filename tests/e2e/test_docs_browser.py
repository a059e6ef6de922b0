"""The API docs in a real browser, offline: Debian's chromium driven by Playwright.

Sendwell runs under uvicorn on 127.0.0.1; every request the page makes to any other host is
aborted (and recorded), as it would fail on a machine without internet. ``/docs`` must still
render Swagger UI with every operation of the OpenAPI schema listed, the SOAP endpoint among
them, and ``/redoc`` must render too; no request may have left 127.0.0.1. A screenshot of
``/docs`` is saved in a temporary folder and its path printed.
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

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@dataclass
class Served:
    base: str
    operations: int  # in the OpenAPI schema
    left: list[str] = field(default_factory=list)  # requests to other hosts, aborted


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path}/sendwell.db", secret_key="docs-test"),
        start_workers=False,
    )
    schema = app.openapi()
    operations = sum(1 for ops in schema["paths"].values() for m in ops if m in METHODS)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="uvicorn-docs", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", operations)
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture
def page(served: Served):  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})

            def only_loopback(route) -> None:  # type: ignore[no-untyped-def]
                if urlsplit(route.request.url).hostname == "127.0.0.1":
                    route.continue_()
                else:
                    served.left.append(route.request.url)
                    route.abort()

            page.route("**/*", only_loopback)
            yield page
        finally:
            browser.close()


def test_swagger_ui_renders_every_operation_offline(served: Served, page) -> None:  # type: ignore[no-untyped-def]
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(served.base + "/docs", wait_until="networkidle")
    page.wait_for_selector(".opblock", timeout=15_000)
    shown = page.locator(".opblock").count()
    folder = Path(tempfile.mkdtemp(prefix="sendwell-docs-"))
    shot = folder / "docs.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot of /docs: {shot}")
    assert served.left == [], f"requests left 127.0.0.1: {served.left}"
    assert [u for u in failed if urlsplit(u).hostname == "127.0.0.1"] == []
    assert shown == served.operations
    assert page.locator(".opblock-summary-path", has_text="/Service.asmx").count() >= 1
    assert page.locator(".opblock-summary-path", has_text="/etframework.wsdl").count() == 1
    assert page.locator(".opblock-summary-path", has_text="/t/c/").count() == 1
    info = page.locator(".information-container")
    assert info.locator("a[href$='/etframework.wsdl']").count() >= 1
    assert info.locator("a[href$='/Service.asmx']").count() >= 1


def test_redoc_renders_offline(served: Served, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(served.base + "/redoc", wait_until="networkidle")
    page.wait_for_selector("h1", timeout=15_000)
    assert "Sendwell" in page.locator("h1").first.inner_text()
    assert page.get_by_text("Service.asmx").count() >= 1
    assert served.left == [], f"requests left 127.0.0.1: {served.left}"
