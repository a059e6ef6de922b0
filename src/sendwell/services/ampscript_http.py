"""AMPscript's way to the web (``HTTPGet``, ``HTTPPost``, ``HTTPPost2``): only to the hosts
the operator names in ``SENDWELL_AMPSCRIPT_HTTP_HOSTS``, with a timeout and a size cap.

A host entry is ``name`` (any port of http and https: 80 and 443, as Marketing Cloud allows),
``name:port`` (that port only) or ``*.domain`` (its subdomains). Redirects are not followed: a
redirect would leave the list. A reply's text is decoded with the charset its Content-Type
names, else Windows-1252, as Marketing Cloud documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx

from sendwell.config import Settings
from sendwell.domain.ampscript.runtime import HttpFailure, HttpReply

_DEFAULT_PORTS = {"http": 80, "https": 443}


class AllowedHttp:
    """An ``HttpSource`` that calls allowed hosts only."""

    def __init__(self, hosts: Sequence[str], timeout: float, max_bytes: int) -> None:
        self.hosts = tuple(h.lower() for h in hosts)
        self.timeout = timeout
        self.max_bytes = max_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> AllowedHttp | None:
        """The client the settings allow, or None when they allow no host."""
        hosts = settings.ampscript_http_host_list
        if not hosts:
            return None
        return cls(
            hosts, settings.ampscript_http_timeout_seconds, settings.ampscript_http_max_bytes
        )

    def allowed(self, url: str) -> bool:
        """Whether ``url`` is http(s) to a host (and port) of the list."""
        try:
            parts = urlsplit(url)
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
        except ValueError:
            return False
        host = (parts.hostname or "").lower()
        if parts.scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
            return False
        for entry in self.hosts:
            name, _, wanted = entry.partition(":")
            if wanted and int(wanted) != port:
                continue
            if not wanted and port != _DEFAULT_PORTS[parts.scheme]:
                continue
            if name == host or (name.startswith("*.") and host.endswith(name[1:])):
                return True
        return False

    def request(
        self, method: str, url: str, body: str | None, headers: Sequence[tuple[str, str]]
    ) -> HttpReply:
        """Send the request; raises ``HttpFailure`` when refused, timed out, too big or down."""
        if not self.allowed(url):
            raise HttpFailure(
                f"{url} is not on a host Sendwell allows (SENDWELL_AMPSCRIPT_HTTP_HOSTS)"
            )
        try:
            with (
                httpx.Client(timeout=self.timeout, follow_redirects=False) as client,
                client.stream(
                    method,
                    url,
                    content=body.encode("utf-8") if body is not None else None,
                    headers=[
                        (k, v) for k, v in headers if k.lower() not in ("host", "content-length")
                    ],
                ) as response,
            ):
                data = bytearray()
                for chunk in response.iter_bytes():
                    data.extend(chunk)
                    if len(data) > self.max_bytes:
                        raise HttpFailure(f"{url} answered more than {self.max_bytes} bytes")
                charset = response.charset_encoding or "cp1252"
                try:
                    shown = bytes(data).decode(charset, errors="replace")
                except LookupError:
                    shown = bytes(data).decode("cp1252", errors="replace")
                return HttpReply(response.status_code, response.reason_phrase, shown)
        except httpx.TimeoutException:
            raise HttpFailure(f"{url} did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise HttpFailure(f"{url} could not be reached: {exc}") from None


class PreviewHttp:
    """Previews and ``sendwell render``: GET to allowed hosts, no POST (a POST would change
    data elsewhere for a message that is never sent)."""

    def __init__(self, inner: AllowedHttp) -> None:
        self.inner = inner

    @classmethod
    def from_settings(cls, settings: Settings) -> PreviewHttp | None:
        """The preview client the settings allow, or None when they allow no host."""
        inner = AllowedHttp.from_settings(settings)
        return cls(inner) if inner is not None else None

    def request(
        self, method: str, url: str, body: str | None, headers: Sequence[tuple[str, str]]
    ) -> HttpReply:
        """GET through the allowed client; anything else is refused."""
        if method != "GET":
            raise HttpFailure(f"HTTP {method} does not run in a preview: it would change data")
        return self.inner.request(method, url, body, headers)
