"""HTTPGet, HTTPPost and HTTPPost2 through Sendwell's client for allowed hosts, against a real
HTTP server on 127.0.0.1: allowed hosts only, no redirects followed, timeouts and size caps,
charsets, and each URL fetched once per job."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sendwell.config import Settings
from sendwell.domain.ampscript import AmpscriptError, RenderEnvironment, compile_content
from sendwell.services.ampscript_http import AllowedHttp, PreviewHttp

HITS: list[str] = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _reply(
        self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        HITS.append(self.path)
        path = self.path.partition("?")[0]
        if path == "/hello":
            self._reply(200, "Grüße".encode())
        elif path == "/latin":
            self._reply(200, "Grüße".encode("cp1252"), "text/plain")
        elif path == "/empty":
            self._reply(200, b"")
        elif path == "/big":
            self._reply(200, b"x" * 5000)
        elif path == "/slow":
            time.sleep(1.5)
            self._reply(200, b"late")
        elif path == "/moved":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._reply(404, b"no")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        answer = f"{self.headers.get('Content-Type')}|{self.headers.get('X-Token')}|{body}"
        self._reply(201, answer.encode())


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def render(content: str, http: object) -> str:
    env = RenderEnvironment(http=http)  # type: ignore[arg-type]
    return compile_content(content).render({}, env)


def client(server: str) -> AllowedHttp:
    return AllowedHttp([server], timeout=0.5, max_bytes=1000)


def test_httpget_reads_an_allowed_host(server: str) -> None:
    content = f"%%=HTTPGet('http://{server}/hello', false, 0, @s)=%%/%%=v(@s)=%%"
    assert render(content, client(server)) == "Grüße/0"


def test_a_reply_without_charset_is_windows_1252(server: str) -> None:
    assert render(f"%%=HTTPGet('http://{server}/latin')=%%", client(server)) == "Grüße"


def test_each_url_is_fetched_once_per_job(server: str) -> None:
    env = RenderEnvironment(http=client(server))
    program = compile_content(f"%%=HTTPGet('http://{server}/hello?once')=%%")
    before = HITS.count("/hello?once")
    for _ in range(3):
        assert program.render({}, env) == "Grüße"
    assert HITS.count("/hello?once") == before + 1


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/missing", "answered 404"),
        ("/big", "more than 1000 bytes"),
        ("/slow", "did not answer within 0.5 s"),
        ("/moved", "answered 302"),  # a redirect is not followed off the list
    ],
)
def test_httpget_failures_are_located_errors(server: str, path: str, words: str) -> None:
    with pytest.raises(AmpscriptError) as raised:
        render(f"x\n %%=HTTPGet('http://{server}{path}')=%%", client(server))
    assert words in raised.value.message
    assert (raised.value.line, raised.value.column) == (2, 5)


def test_empty_content_rules(server: str) -> None:
    assert (
        render(f"[%%=HTTPGet('http://{server}/empty', 0, 0, @s)=%%]%%=v(@s)=%%", client(server))
        == "[]-3"
    )
    with pytest.raises(AmpscriptError):
        render(f"%%=HTTPGet('http://{server}/empty', 0, 1)=%%", client(server))


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/",  # not on the list
        "http://127.0.0.1:1/",  # the host, another port
        "file:///etc/passwd",
        "http://user:pw@{server}/hello",
    ],
)
def test_only_listed_hosts_are_called(server: str, url: str) -> None:
    with pytest.raises(AmpscriptError) as raised:
        render(f"%%=HTTPGet('{url.format(server=server)}')=%%", client(server))
    assert "not on a host Sendwell allows" in raised.value.message


def test_wildcard_and_default_ports() -> None:
    allowed = AllowedHttp(["*.example.org", "api.example.com"], 1, 10)
    assert allowed.allowed("https://a.b.example.org/x")
    assert allowed.allowed("http://api.example.com/")
    assert not allowed.allowed("https://api.example.com:8443/")
    assert not allowed.allowed("https://example.org.evil.test/")


def test_httppost_and_httppost2(server: str) -> None:
    content = (
        f"%%=HTTPPost('http://{server}/p', 'text/plain', 'hi', @r, 'X-Token', 't1')=%%;%%=v(@r)=%%;"
        f"%%=HTTPPost2('http://{server}/p', 'application/json', '{{}}', true, @s, @b)=%%;"
        "%%=v(@s)=%%;%%=v(@b)=%%"
    )
    assert render(content, client(server)) == (
        "201;text/plain|t1|hi;201;Created;application/json|None|{}"
    )


def test_previews_get_but_do_not_post(server: str) -> None:
    preview = PreviewHttp(client(server))
    assert render(f"%%=HTTPGet('http://{server}/hello')=%%", preview) == "Grüße"
    with pytest.raises(AmpscriptError) as raised:
        render(f"%%=HTTPPost('http://{server}/p', 'text/plain', 'x')=%%", preview)
    assert "does not run in a preview" in raised.value.message


def test_the_setting_names_the_hosts() -> None:
    assert AllowedHttp.from_settings(Settings()) is None
    made = AllowedHttp.from_settings(
        Settings(
            ampscript_http_hosts="API.example.com, 127.0.0.1:8081", ampscript_http_timeout_seconds=2
        )
    )
    assert made is not None and made.hosts == ("api.example.com", "127.0.0.1:8081")
    with pytest.raises(Exception) as raised:
        Settings(ampscript_http_hosts="http://bad/")
    assert "SENDWELL_AMPSCRIPT_HTTP_HOSTS" in str(raised.value)
