"""Open and click tracking, and the unsubscribe links of commercial email. No I/O.

Per job, once: ``track_content`` rewrites the HTML's links to click URLs, adds an open pixel and
builds the RFC 2369/8058 ``List-Unsubscribe`` headers. Every tracking URL carries one
per-recipient slot, ``%%__t%%``: the recipient's signed token (``sign``), so per recipient the
engine signs one token and the compiled message fills it in like any other field.

URLs (``base`` is the tracking base URL):

* click: ``{base}/t/c/{token}/{url_id}``: redirects only to the job's stored link ``url_id``;
* open pixel: ``{base}/t/o/{token}.gif``;
* unsubscribe: ``{base}/t/u/{token}`` (GET: a confirmation page; POST: RFC 8058 one-click);
* profile center: ``{base}/t/p/{token}``.

A token is ``base64url(varints(fields) + HMAC-SHA256(key, varints)[:12])``: 96 bits of MAC,
about 24 characters for (mid, job, seq).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html import escape, unescape
from typing import NamedTuple
from urllib.parse import urlsplit

TOKEN_FIELD = "__t"
"""The engine field holding the recipient's signed token."""
UNSUB_CENTER_URL = "unsub_center_url"
PROFILE_CENTER_URL = "profile_center_url"
TRACKING_FIELDS: frozenset[str] = frozenset({TOKEN_FIELD, UNSUB_CENTER_URL, PROFILE_CENTER_URL})
"""Fields the engine fills per recipient; never subscriber attributes."""

_MAC_BYTES = 12  # 96 bits
_MAX_FIELDS = 8
_MAC_CONTEXT = b"sendwell-tracking-token\x00"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{17,120}")
_SLOT = "%%" + TOKEN_FIELD + "%%"


def tracking_key(secret: str) -> bytes:
    """The tracking MAC key, derived from the installation's secret key (own purpose)."""
    if not secret:
        raise ValueError("tracking needs a secret key")
    return hmac.digest(secret.encode(), b"sendwell/tracking/v1", hashlib.sha256)


# --- Tokens -----------------------------------------------------------------------------------


def sign(secret: bytes, *fields: int) -> str:
    """A compact URL-safe token carrying ``fields`` (non-negative ints), authenticated."""
    if not 0 < len(fields) <= _MAX_FIELDS:
        raise ValueError(f"a token carries 1 to {_MAX_FIELDS} fields")
    payload = _varints(fields)
    mac = hmac.digest(secret, _MAC_CONTEXT + payload, hashlib.sha256)[:_MAC_BYTES]
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode("ascii")


def verify(secret: bytes, token: str) -> tuple[int, ...] | None:
    """The fields a token carries, or None when it is malformed, tampered with or forged."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    # Unused low bits of the last character would let several spellings decode alike: only the
    # canonical spelling is the token.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
        return None
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not payload:
        return None
    expected = hmac.digest(secret, _MAC_CONTEXT + payload, hashlib.sha256)[:_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        return None
    return _read_varints(payload)


def _varints(fields: tuple[int, ...]) -> bytes:
    out = bytearray()
    for value in fields:
        if value < 0:
            raise ValueError("token fields are non-negative integers")
        while value > 0x7F:
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        out.append(value)
    return bytes(out)


def _read_varints(data: bytes) -> tuple[int, ...] | None:
    fields: list[int] = []
    value = shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            if shift > 63:
                return None
            continue
        if byte == 0 and shift:  # a redundant zero group: not how sign() writes it
            return None
        fields.append(value)
        value = shift = 0
    if shift or len(fields) > _MAX_FIELDS:  # ends inside a number, or too many
        return None
    return tuple(fields)


# --- Links and the open pixel -----------------------------------------------------------------


class TrackedLink(NamedTuple):
    """A link of a job's HTML: its ClickEvent URLID, the URL as written (unescaped), alias."""

    url_id: int
    url: str
    alias: str | None


# A start tag of <a> or <area>, then its attributes up to ">" (quoted values may hold ">").
# Possessive: a tag that never closes is scanned once, and then ends the scan (the browser's
# tokenizer too reads the rest of the document as that tag): linear time on any input.
_TAG_START = re.compile(r"<(?:a|area)(?=[\s/>])", re.IGNORECASE)
_TAG_REST = re.compile(r"((?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)>")
_ATTRIBUTE = re.compile(
    r"([^\s\"'>/=]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?", re.IGNORECASE
)
# AMPscript and server-side script: links inside are program text, not markup.
_SCRIPT_START = re.compile(r"%%\[|%%=|<script\b")
_SCRIPT_END = {"%%[": "]%%", "%%=": "=%%", "<script": "</script"}
_HTTP = re.compile(r"https?://[^/?#\\]+", re.IGNORECASE)
_FIELD = re.compile(r"%%([A-Za-z0-9_\-](?:[A-Za-z0-9_\- ]{0,126}[A-Za-z0-9_\-])?)%%")
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def is_trackable(url: str, tracking_prefix: str = "") -> bool:
    """An http(s) URL whose scheme and host are fixed text, not already a tracking URL.

    Personalization (``%%field%%``) after the host is fine: it is filled again at click time
    from the recipient's ledger row. AMPscript in a URL is not (it cannot be re-run).
    """
    found = _HTTP.match(url)
    if found is None or "%%" in found.group(0):
        return False
    if "%%[" in url or "%%=" in url:
        return False
    return not (tracking_prefix and url.startswith(tracking_prefix))


def rewrite_links(
    html: str, link_url_template: str, tracking_prefix: str = ""
) -> tuple[str, list[TrackedLink]]:
    """Point every trackable ``<a>``/``<area>`` href at ``link_url_template``.

    ``link_url_template`` holds ``{url_id}`` (and the recipient's token slot). Links are
    numbered from 1 in order of appearance; the same URL gets the same number. An ``alias``
    attribute names the link. Anything that is not a well-formed tag with an http(s) href is
    left exactly as it was.
    """
    links: dict[str, TrackedLink] = {}
    protected = _script_spans(html)
    starts = [start for start, _ in protected]
    out: list[str] = []
    pos = 0
    for tag in _tags(html):
        if protected and _inside(starts, protected, tag.start()):
            continue
        found = _href(tag)
        if found is None:
            continue
        value_start, value_end, raw_url, alias = found
        url = unescape(raw_url).strip()
        if not is_trackable(url, tracking_prefix):
            continue
        link = links.get(url)
        if link is None:
            link = links[url] = TrackedLink(len(links) + 1, url, alias)
        new = escape(link_url_template.replace("{url_id}", str(link.url_id)), quote=True)
        out.append(html[pos:value_start])
        out.append(f'"{new}"')
        pos = value_end
    out.append(html[pos:])
    return "".join(out), list(links.values())


def _tags(html: str) -> Iterator[re.Match[str]]:
    """``<a>`` and ``<area>`` start tags in order, each match's group 1 its attributes."""
    pos = 0
    while (start := _TAG_START.search(html, pos)) is not None:
        tag = _TAG_REST.match(html, start.end())
        if tag is None:  # never closes: the rest of the document is inside it
            return
        yield tag
        pos = tag.end()


def _script_spans(html: str) -> list[tuple[int, int]]:
    """Where AMPscript blocks, inline expressions and server-side scripts are, in order."""
    lower = html.lower()
    spans: list[tuple[int, int]] = []
    pos = 0
    while (found := _SCRIPT_START.search(lower, pos)) is not None:
        opener = found.group()
        body = found.end()
        if opener == "<script":
            tag_end = lower.find(">", body)
            if tag_end < 0:
                break
            if "runat" not in lower[body:tag_end]:
                pos = tag_end
                continue
        end = lower.find(_SCRIPT_END[opener], body)
        if end < 0:
            spans.append((found.start(), len(html)))
            break
        pos = end + len(_SCRIPT_END[opener])
        spans.append((found.start(), pos))
    return spans


def _inside(starts: list[int], spans: list[tuple[int, int]], at: int) -> bool:
    i = bisect_right(starts, at) - 1
    return i >= 0 and at < spans[i][1]


def _href(tag: re.Match[str]) -> tuple[int, int, str, str | None] | None:
    """Span of the href value (quotes included), its text, and the alias, in one tag."""
    href: tuple[int, int, str] | None = None
    alias: str | None = None
    offset = tag.start(1)
    for attribute in _ATTRIBUTE.finditer(tag.group(1)):
        name = attribute.group(1).lower()
        value = attribute.group(2)
        if value is None:
            continue
        text = value[1:-1] if value[0] in "\"'" else value
        if name == "href" and href is None:
            href = (offset + attribute.start(2), offset + attribute.end(2), text)
        elif name == "alias" and alias is None:
            alias = unescape(text).strip()[:200] or None
    if href is None:
        return None
    return (*href, alias)


def add_open_pixel(html: str, pixel_url: str) -> str:
    """A 1×1 image before the last ``</body>`` (or at the end)."""
    pixel = (
        f'<img src="{escape(pixel_url, quote=True)}" width="1" height="1" alt="" '
        'style="display:block;border:0;width:1px;height:1px;" />'
    )
    ends = list(_BODY_END.finditer(html))
    if not ends:
        return html + pixel
    at = ends[-1].start()
    return html[:at] + pixel + html[at:]


def fill_link(url: str, values: Mapping[str, str | None]) -> str:
    """A stored link with its ``%%field%%`` personalization filled for one recipient."""
    if "%%" not in url:
        return url
    return _FIELD.sub(lambda m: values.get(m.group(1).lower()) or "", url)


def same_origin(stored: str, filled: str) -> bool:
    """True when filling personalization left the scheme and host of the link as written."""
    try:
        a, b = urlsplit(stored.split("%%", 1)[0]), urlsplit(filled)
    except ValueError:
        return False
    return b.scheme.lower() in ("http", "https") and (a.scheme, a.netloc) == (b.scheme, b.netloc)


# --- Per job: what tracking changes in a message ----------------------------------------------


@dataclass(frozen=True)
class TrackedContent:
    """A job's bodies and headers with tracking and unsubscribe links in place."""

    html: str | None
    text: str | None
    links: tuple[TrackedLink, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # static
    recipient_headers: tuple[tuple[str, str], ...] = ()  # templates filled per recipient
    uses_token: bool = False  # whether recipients need a token (and the center URLs)


def track_content(
    html: str | None,
    text: str | None,
    *,
    base: str,
    track: bool,
    commercial: bool,
    mailto_domain: str,
) -> TrackedContent:
    """Rewrite links and add the pixel (``track``); unsubscribe headers (``commercial``)."""
    base = base.rstrip("/")
    links: list[TrackedLink] = []
    if track and html:
        html, links = rewrite_links(html, f"{base}/t/c/{_SLOT}/{{url_id}}", f"{base}/t/")
        html = add_open_pixel(html, f"{base}/t/o/{_SLOT}.gif")
    headers: tuple[tuple[str, str], ...] = ()
    recipient_headers: tuple[tuple[str, str], ...] = ()
    if commercial:
        # RFC 8058: the HTTPS URI takes a POST "List-Unsubscribe=One-Click"; mailto as fallback.
        mailto = f"mailto:unsubscribe+{_SLOT}@{mailto_domain}"
        recipient_headers = (("List-Unsubscribe", f"<{base}/t/u/{_SLOT}>, <{mailto}>"),)
        headers = (("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),)
    # %%unsub_center_url%% and %%profile_center_url%% (plain or read by AMPscript) need one too.
    uses_token = track or commercial or "center_url" in f"{html or ''}{text or ''}".lower()
    return TrackedContent(html, text, tuple(links), headers, recipient_headers, uses_token)


class RecipientTokens:
    """One job's tokens: per recipient, its token and the system strings built from it.

    ``values(seq)`` gives the same token as ``sign(key, mid, job_id, seq)``, a little faster:
    the MAC state after the fixed prefix (context, mid, job) is computed once per job.
    """

    __slots__ = ("_base", "_prefix", "_state")

    def __init__(self, key: bytes, base: str, mid: int, job_id: int) -> None:
        self._base = base.rstrip("/")
        self._prefix = _varints((mid, job_id))
        self._state = hmac.new(key, _MAC_CONTEXT + self._prefix, hashlib.sha256)

    def token(self, seq: int) -> str:
        """The signed token of recipient ``seq`` of the job."""
        tail = _varints((seq,))
        mac = self._state.copy()
        mac.update(tail)
        raw = self._prefix + tail + mac.digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    def values(self, seq: int) -> dict[str, str]:
        """``%%__t%%``, ``%%unsub_center_url%%`` and ``%%profile_center_url%%`` of recipient seq."""
        token = self.token(seq)
        return {
            TOKEN_FIELD: token,
            UNSUB_CENTER_URL: f"{self._base}/t/u/{token}",
            PROFILE_CENTER_URL: f"{self._base}/t/p/{token}",
        }
