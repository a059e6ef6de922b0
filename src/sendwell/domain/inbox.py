"""What the inbox knows of a captured message without its bytes, and its search language.

``index_fields`` reads a message once, when it is captured: the subject (decoded), the
addresses and the start of the text part (or of the HTML without its tags), lower-cased into one
``haystack`` that free-text search matches. ``parse_query`` reads what a person types into the
search box, Mailpit-style: ``to:ada@example.com subject:"your points" send:42 words``.
"""

from __future__ import annotations

import quopri
import re
import shlex
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header, make_header

HAYSTACK_TEXT = 400  # characters of the body searched: the opening a person remembers, and
# few enough that a search no index helps reads ~0.5 KB per message
SUBJECT_MAX = 500
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def index_fields(rcpt_to: str, mail_from: str, data: bytes) -> dict[str, object]:
    """The indexed columns of one captured message: rcpt_to, subject, haystack, size."""
    end = data.find(b"\r\n\r\n")
    head = data[: end if end >= 0 else len(data)]
    subject = _subject(head)
    text = _body_text(data)
    haystack = " ".join((subject, rcpt_to, mail_from, text[:HAYSTACK_TEXT])).lower()
    return {
        "rcpt_to": rcpt_to.lower()[:254],
        "subject": subject[:SUBJECT_MAX],
        "haystack": haystack,
        "size": len(data),
    }


def _subject(head: bytes) -> str:
    match = re.search(rb"(?im)^subject:(.*(?:\r\n[ \t].*)*)", head)
    if match is None:
        return ""
    raw = match.group(1).decode("ascii", "replace").replace("\r\n", "").strip()
    try:
        return str(make_header(decode_header(raw)))
    except (ValueError, LookupError):
        return raw


def _body_text(data: bytes) -> str:
    """The text part, else the HTML without tags, whitespace collapsed.

    Sendwell's own messages have a quoted-printable text part after a known header line, read
    without parsing MIME; anything else goes through the email package.
    """
    marker = data.find(b"Content-Type: text/plain")
    if marker >= 0:
        start = data.find(b"\r\n\r\n", marker)
        header = data[marker:start]
        if start >= 0 and b"quoted-printable" in header.lower():
            body = data[start + 4 : start + 4 + HAYSTACK_TEXT * 3]
            text = quopri.decodestring(body).decode("utf-8", "replace")
            return _SPACE.sub(" ", text.split("\r\n--", 1)[0]).strip()
    message = message_from_bytes(data, policy=policy.default)
    part = message.get_body(("plain", "html"))
    if part is None:
        return ""
    try:
        content = str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, ValueError):
        return ""
    if part.get_content_type() == "text/html":
        content = _TAGS.sub(" ", content)
    return _SPACE.sub(" ", content)[: HAYSTACK_TEXT * 2].strip()


@dataclass(frozen=True)
class InboxQuery:
    """A parsed search: each part narrows the result (all must match)."""

    to: str | None = None
    send: int | None = None
    subject: tuple[str, ...] = ()
    words: tuple[str, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return self.to is None and self.send is None and not self.subject and not self.words


def parse_query(text: str) -> InboxQuery:
    """``to:ADDRESS`` (exact), ``send:JOBID`` (or ``job:``), ``subject:WORDS`` and free words.

    Quotes group words; free words match the subject, the addresses and the text, in any case.
    An address typed alone (with an ``@``) is the recipient, as it is what people paste.
    """
    try:
        parts = shlex.split(text[:500])
    except ValueError:  # an unbalanced quote: take the words as typed
        parts = text[:500].split()
    to: str | None = None
    send: int | None = None
    subject: list[str] = []
    words: list[str] = []
    for part in parts:
        name, sep, value = part.partition(":")
        name = name.lower()
        if sep and value and name == "to":
            to = value.lower()
        elif sep and name in ("send", "job") and value.isdigit() and len(value) <= 9:
            send = int(value)
        elif sep and value and name == "subject":
            subject.append(value.lower())
        elif "@" in part and " " not in part and to is None and not sep:
            to = part.lower()
        elif part:
            words.append(part.lower())
    return InboxQuery(to, send, tuple(subject), tuple(words))
