"""Compile an email once per send job; render it per recipient as RFC 5322 bytes.

Building a message with ``email.message`` per recipient costs about 1.5 ms; here everything that
does not vary by recipient (static headers, part headers, the MIME boundary, the parsed
templates, and the quoted-printable encoding of every body line without a slot) is fixed by
``compile_message``. ``CompiledMessage.render`` only fills slots, encodes the body lines that
hold them with ``binascii.b2a_qp`` and joins bytes.

Rendered messages use CRLF line endings, are 7-bit clean (bodies quoted-printable, non-ASCII
header text as RFC 2047 encoded-words) and are not dot-stuffed: that is the transport's job.
Personalization values are inserted as they are, as Marketing Cloud does: HTML-escaping a value
for the HTML part is the template author's (AMPscript's) decision.

Parts with AMPscript run per recipient before any slot is filled, in Marketing Cloud's order
(HTML body, text body, subject line, then recipient headers) and in one shared ``Context``:
their output becomes slot values, so static lines are still encoded once per job.
"""

from __future__ import annotations

import binascii
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from sendwell.domain.ampscript import (
    DEFAULT_ENVIRONMENT,
    AmpscriptError,
    Context,
    RenderEnvironment,
    ScriptedTemplate,
)
from sendwell.domain.content import compile_template
from sendwell.domain.personalization import Slot, Template

# Headers that compile_message writes itself; an extra header may not repeat them.
_RESERVED_HEADERS = frozenset(
    {
        "bcc",
        "cc",
        "content-transfer-encoding",
        "content-type",
        "date",
        "from",
        "message-id",
        "mime-version",
        "reply-to",
        "subject",
        "to",
    }
)
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # printable ASCII except ":" (RFC 5322 ftext)
# A bare addr-spec, ASCII only: no whitespace, brackets or other specials that would let a
# value break out of the header or add a recipient; exactly one "@".
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\\\"@]+@[^\s<>(),;:\\\"@]+")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
# atext words separated by single spaces: safe as an unquoted display name.
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
# Line breaks and other controls (tab excepted) in header text become one space each run.
_HEADER_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]+")

_SOFT_LIMIT = 78  # RFC 5322 "SHOULD" line length, header name included
_HARD_LIMIT = 998  # RFC 5322 "MUST" line length
# 42 bytes of UTF-8 base64-encode to 56 characters; with "=?utf-8?b?" and "?=" an encoded-word
# is 68 characters, so "Subject: " plus one word still fits in 78.
_WORD_BYTES = 42


@dataclass(frozen=True, kw_only=True)
class MessageSpec:
    """What a send job sends: sender, templates for subject and bodies, static headers."""

    from_name: str
    from_address: str
    subject: str
    html: str | None
    text: str | None
    reply_to: str | None = None
    cc: tuple[str, ...] = ()  # visible copies (a Cc header); the engine delivers them too
    # Headers whose values are templates, filled per recipient (List-Unsubscribe links).
    recipient_headers: tuple[tuple[str, str], ...] = ()
    message_id_domain: str
    # Fixed per job by the caller so that a recipient's Message-ID is the same on every try
    # (a relay can drop a repeat); random when empty.
    message_id_token: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    job_id: int

    def __post_init__(self) -> None:
        if self.html is None and self.text is None:
            raise ValueError("a message needs an HTML part, a text part or both")
        _check_address(self.from_address)
        if self.reply_to is not None:
            _check_address(self.reply_to)
        for address in self.cc:
            _check_address(address)
        if not _DOMAIN.fullmatch(self.message_id_domain):
            raise ValueError(f"invalid Message-ID domain: {self.message_id_domain!r}")
        for name, value in (*self.headers, *self.recipient_headers):
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"invalid header name: {name!r}")
            if name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {name!r} is set by the engine, not by extra headers")
            if not value.isascii() or _HEADER_UNSAFE.search(value):
                raise ValueError(f"header {name!r} must be printable ASCII on one line")
            if len(name) + 2 + len(value) > _HARD_LIMIT:
                raise ValueError(f"header {name!r} is longer than {_HARD_LIMIT} characters")


class RenderedMessage(NamedTuple):
    """One recipient's message: wire bytes and its Message-ID (with angle brackets)."""

    data: bytes
    message_id: str
    # The same message as SMTP's DATA carries it: dot-stuffed (RFC 5321 4.5.2), without the
    # final "."; made piece by piece, so a transport need not scan the message for dots.
    wire: bytes | None = None


class CompiledMessage:
    """A message with everything static serialised once; ``render`` fills in one recipient."""

    __slots__ = (
        "_dynamic",
        "_from_address",
        "_from_line",
        "_from_name",
        "_header_templates",
        "_id_tail",
        "_job_id",
        "_pieces",
        "_scripts",
        "_subject",
        "_wire_pieces",
        "fields",
    )

    def __init__(self, spec: MessageSpec) -> None:
        self._job_id = spec.job_id
        self._subject = compile_template(spec.subject, False)
        bodies = [
            (compile_template(_lf(body), False), subtype)
            for body, subtype in ((spec.text, "plain"), (spec.html, "html"))
            if body is not None
        ]
        self.fields: frozenset[str] = self._subject.fields.union(*(t.fields for t, _ in bodies))
        """Lower-cased field names referenced by the subject and bodies."""

        # The token makes Message-IDs unique across jobs and installations.
        token = spec.message_id_token or secrets.token_hex(8)
        self._id_tail = f".{token}@{spec.message_id_domain}>"
        self._header_templates = tuple(
            (name, compile_template(value, False)) for name, value in spec.recipient_headers
        )
        # The From name is personalised like the subject (a sender profile's "%%FromN%%").
        from_name = compile_template(spec.from_name, False)
        self.fields = self.fields.union(
            from_name.fields, *(t.fields for _, t in self._header_templates)
        )
        # Marketing Cloud documents the order of body and subject only; the From name's place
        # after the subject is inferred.
        scripted = [
            *((t, "HTMLBody") for t, subtype in bodies if subtype == "html"),
            *((t, "TextBody") for t, subtype in bodies if subtype == "plain"),
            (self._subject, "Subject"),
            (from_name, "FromName"),
            *((t, name) for name, t in self._header_templates),
        ]
        self._scripts = tuple(
            (t.program, part) for t, part in scripted if isinstance(t, ScriptedTemplate)
        )
        self._subject = _plain(self._subject)
        self._header_templates = tuple((n, _plain(t)) for n, t in self._header_templates)
        self._from_address = spec.from_address
        self._from_name: Template | None = _plain(from_name) if from_name.fields else None
        # A From name without slots is serialised once, as every static header is.
        self._from_line = (
            ""
            if from_name.fields
            else f"From: {_mailbox(spec.from_name, spec.from_address, 6)}\r\n"
        )
        static = [] if spec.reply_to is None else [f"Reply-To: {spec.reply_to}"]
        if spec.cc:
            static.append("Cc: " + ", ".join(spec.cc))
        static.append("MIME-Version: 1.0")
        static.extend(f"{name}: {value}" for name, value in spec.headers)
        # pieces[0] is the per-recipient head; body pieces that hold slots are Templates, filled
        # and quoted-printable-encoded per recipient; everything else is final bytes.
        pieces: list[bytes | Template] = [b""]
        if len(bodies) == 1:
            body, subtype = bodies[0]
            last = body.parts[-1] if body.parts else ""
            if not (isinstance(last, str) and last.endswith("\n")):
                body = Template([*body.parts, "\n"])  # so the message ends with CRLF
            static.extend(_part_headers(subtype))
            pieces.append(_crlf_lines(static))
            pieces.extend(_body_pieces(body))
        else:
            # "=_" can never occur in quoted-printable output ("=" is always followed by hex
            # digits or a line break there), so this boundary cannot collide with a body.
            boundary = f"=_sendwell_{secrets.token_hex(12)}"
            static.append(f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"')
            static.extend(["", f"--{boundary}", *_part_headers("plain")])
            pieces.append(_crlf_lines(static))
            pieces.extend(_body_pieces(bodies[0][0]))
            pieces.append(_crlf_lines(["", f"--{boundary}", *_part_headers("html")]))
            pieces.extend(_body_pieces(bodies[1][0]))
            pieces.append(f"\r\n--{boundary}--\r\n".encode("ascii"))
        self._pieces: list[bytes] = [p if isinstance(p, bytes) else b"" for p in pieces]
        self._dynamic = tuple((i, p) for i, p in enumerate(pieces) if isinstance(p, Template))
        # Every piece starts at a line start (bodies are cut at line ends), so each is
        # dot-stuffed on its own; the static ones once, here.
        self._wire_pieces = [_stuffed(p) for p in self._pieces]

    @property
    def scripted(self) -> bool:
        """True when some part runs AMPscript (and may want a ``RenderEnvironment``)."""
        return bool(self._scripts)

    def render(
        self,
        values: Mapping[str, str | None],
        to_address: str,
        to_name: str | None,
        seq: int,
        date: str,
        environment: RenderEnvironment | None = None,
        sender: tuple[str, str] | None = None,
    ) -> RenderedMessage:
        """Render one recipient's message; ``seq`` makes its Message-ID unique in the job.

        ``environment`` serves AMPscript (lookups, clock, system strings); ``sender`` (name,
        address) overrides the From of this one message (a triggered send's ``Owner``). Raises
        ValueError (``AmpscriptError`` included) for what no message can carry, and
        ``RecipientSkipped`` when the content calls ``RaiseError``.
        """
        _check_address(to_address)
        if self._scripts:
            values = self._run_scripts(values, environment or DEFAULT_ENVIRONMENT, seq)
        if "\r" in date or "\n" in date:
            raise ValueError("Date must be on one line")
        message_id = f"<{self._job_id}.{seq:d}{self._id_tail}"
        to = _mailbox(to_name, to_address, 4) if to_name else to_address
        pieces = self._pieces.copy()
        from_line = self._from_line
        if sender is not None:
            _check_address(sender[1])
            from_line = f"From: {_mailbox(sender[0], sender[1], 6)}\r\n"
        elif self._from_name is not None:
            # _mailbox puts the filled name on one line: a value with CR/LF adds no header.
            from_name = self._from_name.render(values)
            from_line = f"From: {_mailbox(from_name, self._from_address, 6)}\r\n"
        pieces[0] = (
            f"{from_line}To: {to}\r\n"
            f"Subject: {_unstructured(self._subject.render(values), 9)}\r\n"
            f"Date: {date}\r\nMessage-ID: {message_id}\r\n"
            + "".join(
                f"{name}: {_unstructured(template.render(values), len(name) + 2)}\r\n"
                for name, template in self._header_templates
            )
        ).encode("ascii")
        wire = self._wire_pieces.copy()
        wire[0] = _stuffed(pieces[0])
        for index, template in self._dynamic:
            pieces[index] = piece = _quoted_printable(template.render(values))
            wire[index] = _stuffed(piece)
        return RenderedMessage(b"".join(pieces), message_id, b"".join(wire))

    def _run_scripts(
        self, values: Mapping[str, str | None], environment: RenderEnvironment, seq: int
    ) -> dict[str, str | None]:
        context = Context(values, environment)
        context.recipient = seq  # data writes happen once per (job, seq): retries repeat none
        for program, part in self._scripts:
            try:
                program.run(context)
            except AmpscriptError as exc:
                raise exc.in_part(part) from None
        return {**values, **context.slots}


def compile_message(spec: MessageSpec) -> CompiledMessage:
    """Compile templates, fix the MIME boundary and pre-serialise static headers, once per job."""
    return CompiledMessage(spec)


def _plain(template: Template) -> Template:
    """The template's slots only: its program runs before rendering, not inside it."""
    return Template(template.parts) if isinstance(template, ScriptedTemplate) else template


def _check_address(address: str) -> None:
    if len(address) > 254 or not (address.isascii() and _ADDRESS.fullmatch(address)):
        raise ValueError(f"invalid email address: {address!r}")


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _stuffed(piece: bytes) -> bytes:
    """A piece that starts at a line start, dot-stuffed: each line starting with "." gets
    another."""
    piece = piece.replace(b"\n.", b"\n..")
    return b"." + piece if piece[:1] == b"." else piece


def _quoted_printable(body: str) -> bytes:
    # Bodies are normalised to LF first: b2a_qp then emits LF everywhere (including its soft
    # breaks) and encodes every other CR, so one replace gives clean CRLF.
    encoded = binascii.b2a_qp(_lf(body).encode("utf-8"), istext=True, header=False)
    return encoded.replace(b"\n", b"\r\n")


def _body_pieces(body: Template) -> list[bytes | Template]:
    """Split a body at line ends: runs of lines without slots are encoded now, once.

    Quoted-printable encodes each line independently of the others, so encoding whole lines
    separately and joining gives the same bytes as encoding the whole body.
    """
    lines: list[list[str | Slot]] = [[]]
    for part in body.parts:
        if isinstance(part, Slot):
            lines[-1].append(part)
            continue
        *complete, rest = part.split("\n")
        for text in complete:
            lines[-1].append(text + "\n")
            lines.append([])
        lines[-1].append(rest)
    pieces: list[bytes | Template] = []
    run: list[str | Slot] = []
    run_is_static = True
    for line in lines:
        line_is_static = not any(isinstance(p, Slot) for p in line)
        if line_is_static != run_is_static and run:
            pieces.append(_body_piece(run, run_is_static))
            run = []
        run.extend(line)
        run_is_static = line_is_static
    pieces.append(_body_piece(run, run_is_static))
    return [p for p in pieces if p]


def _body_piece(parts: list[str | Slot], static: bool) -> bytes | Template:
    template = Template(parts)
    return _quoted_printable(template.render({})) if static else template


def _part_headers(subtype: str) -> list[str]:
    return [
        f"Content-Type: text/{subtype}; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
    ]


def _crlf_lines(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def _one_line(value: str) -> str:
    """Header text with every run of line breaks or controls replaced by a space, trimmed."""
    if not value.isprintable():
        value = _HEADER_UNSAFE.sub(" ", value)
    return value.strip()


def _unstructured(value: str, name_len: int) -> str:
    """Header text (after ``Name: ``, ``name_len`` long) safe, 7-bit and folded."""
    value = _one_line(value)
    if value.isascii() and "=?" not in value:
        if name_len + len(value) <= _SOFT_LIMIT:
            return value
        folded = _fold(value, name_len)
        if folded is not None:
            return folded
    return "\r\n ".join(_encoded_words(value))


def _fold(value: str, name_len: int) -> str | None:
    """Fold ASCII text before spaces, aiming at 78 columns; None if a line would exceed 998."""
    words = value.split(" ")
    lines = []
    line = words[0]
    width = name_len + len(line)
    for word in words[1:]:
        # Only fold before a non-empty word and after a line with content, so that no line is
        # whitespace only; unfolding (removing CRLF) restores the value exactly.
        if word and line.strip() and width + 1 + len(word) > _SOFT_LIMIT:
            lines.append(line)
            line = " " + word
            width = len(line)
        else:
            line += " " + word
            width += 1 + len(word)
    lines.append(line)
    if name_len + len(lines[0]) > _HARD_LIMIT or any(len(li) > _HARD_LIMIT for li in lines):
        return None
    return "\r\n".join(lines)


def _mailbox(name: str | None, address: str, name_len: int) -> str:
    """``address`` with a display name: plain, quoted or encoded-words as the name needs."""
    name = _one_line(name) if name else ""
    if not name:
        return address
    if name.isascii() and "=?" not in name:
        if _ATOM_PHRASE.fullmatch(name):
            phrase = name
        else:
            phrase = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if name_len + len(phrase) + len(address) + 3 <= _HARD_LIMIT:
            return f"{phrase} <{address}>"
    return "\r\n ".join(_encoded_words(name)) + f" <{address}>"


def _encoded_words(value: str) -> list[str]:
    """RFC 2047 base64 encoded-words of at most 42 UTF-8 bytes, split between characters."""
    data = value.encode("utf-8")
    words = []
    start = 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # continuation byte: back off
            end -= 1
        chunk = binascii.b2a_base64(data[start:end], newline=False).decode("ascii")
        words.append(f"=?utf-8?b?{chunk}?=")
        start = end
    return words
