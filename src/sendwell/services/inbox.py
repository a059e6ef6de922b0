"""The inbox: captured messages as a person reads them — searched, paged, opened, checked.

Lists come from the search index (``store.captured``), never from the message bytes; one
message is parsed only when it is opened. Its links are listed with where each tracked link
redirects (the job's own ``job_links``, no request made) and, when asked, whether it answers:
only links to this installation are checked unless the operator allows the network
(``SENDWELL_LINK_CHECK_NETWORK``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine

from sendwell.domain.errors import NotFound
from sendwell.domain.inbox import InboxQuery, parse_query
from sendwell.domain.limits import parse_id
from sendwell.store import captured as store

PAGE_SIZE = 50
COUNT_CAP = 1000  # a search counts this far ("1000+"), so a broad one costs no full count
_TRACKED = re.compile(r"/t/c/[^/?#]+/(\d{1,9})$")


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox: rows newest first, and where the next page starts."""

    query: InboxQuery
    items: list[Any]
    total: int
    capped: bool  # total stopped at COUNT_CAP
    next_before: int | None
    newest: int


def inbox_page(
    engine: Engine, mid: int, text: str = "", before: int | None = None, limit: int = PAGE_SIZE
) -> InboxPage:
    """The messages matching ``text`` (``domain.inbox.parse_query``), older than ``before``."""
    query = parse_query(text or "")
    with engine.connect() as conn:
        rows = store.search(conn, mid, query, before, limit + 1)
        cap = None if query.empty else COUNT_CAP
        # A first page of a search that found fewer than a page is its whole count: no second
        # scan (a word that matches nothing reads every row once, not twice).
        if cap is not None and before is None and len(rows) <= limit:
            total = len(rows)
        else:
            total = store.count(conn, mid, query, cap)
        newest = store.newest_id(conn, mid)
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(
        query,
        rows,
        total,
        cap is not None and total >= cap,
        rows[-1].id if more and rows else None,
        newest,
    )


def newest_id(engine: Engine, mid: int) -> int:
    """The newest captured message id of the account (what the live inbox watches)."""
    with engine.connect() as conn:
        return store.newest_id(conn, mid)


@dataclass
class Link:
    """A link of a message's HTML: its text, its href and, if tracked, where it redirects."""

    number: int
    href: str
    text: str
    redirects_to: str | None = None
    check: str | None = None  # "200 OK", "not checked: …", "failed: …"


@dataclass
class Message:
    """One captured message, parsed for the message page."""

    id: int
    job_id: int | None
    seq: int | None
    mail_from: str
    rcpt_to: str
    subject: str
    created_at: datetime
    raw: bytes
    headers: list[tuple[str, str]]
    text: str | None
    html: str | None
    links: list[Link] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)


def open_message(engine: Engine, mid: int, message_id: int | str) -> Message:
    """The account's captured message ``message_id``; NotFound for any other (another
    account's message is not found, never forbidden)."""
    number = parse_id(message_id)
    with engine.connect() as conn:
        row = store.message_row(conn, mid, number) if number is not None else None
        if row is None:
            raise NotFound(f"Captured message {message_id} was not found.")
        links = store.links_of(conn, row.job_id) if row.job_id else {}
        events = store.events_of(conn, row.job_id, row.seq) if row.job_id and row.seq else []
    data = bytes(row.data)
    msg = message_from_bytes(data, policy=policy.default)
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    html_text = html.get_content() if html is not None else None  # type: ignore[attr-defined]
    return Message(
        id=row.id,
        job_id=row.job_id,
        seq=row.seq,
        mail_from=row.mail_from,
        rcpt_to=row.rcpt_to,
        subject=str(msg.get("Subject", "")),
        created_at=row.created_at,
        raw=data,
        headers=[(k, str(v)) for k, v in msg.items()],
        text=text.get_content() if text is not None else None,  # type: ignore[attr-defined]
        html=html_text,
        links=_links(html_text or "", links),
        events=events,
    )


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[str]]] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag in ("a", "area") and href:
            self._open = []
            self.found.append((href, self._open))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)


def _links(html: str, stored: dict[int, str]) -> list[Link]:
    parser = _Anchors()
    parser.feed(html)
    out = []
    for number, (href, text) in enumerate(parser.found, 1):
        tracked = _TRACKED.search(urlsplit(href).path)
        target = stored.get(int(tracked.group(1))) if tracked else None
        out.append(Link(number, href, " ".join("".join(text).split())[:200], target))
    return out


def check_links(links: list[Link], own_base: str, network: bool, timeout: float = 5.0) -> None:
    """Fill each link's ``check``: a HEAD (then GET) of links to this installation, and of
    others only when ``network`` is allowed. Tracked links are checked at their target, so a
    check records no click."""
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for link in links:
            url = link.redirects_to or link.href
            if not url.lower().startswith(("http://", "https://")):
                link.check = "not checked: not a web link"
            elif not network and not url.startswith(own_base):
                link.check = "not checked: the network is off (SENDWELL_LINK_CHECK_NETWORK)"
            else:
                link.check = _probe(client, url)


def _probe(client: httpx.Client, url: str) -> str:
    try:
        reply = client.head(url)
        if reply.status_code in (405, 501):
            reply = client.get(url)
    except httpx.HTTPError as exc:
        return f"failed: {type(exc).__name__}"
    return f"{reply.status_code} {reply.reason_phrase}"
