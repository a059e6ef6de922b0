"""Compiled messages: rendered bytes parse back into the personalised message, safely."""

from __future__ import annotations

import binascii
import dataclasses
import email
import email.header
import email.policy
import re
from email.message import EmailMessage
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendwell.domain.message import CompiledMessage, MessageSpec, RenderedMessage, compile_message

DATE = "Tue, 24 Nov 2026 10:00:00 GMT"


def make_spec(**overrides: Any) -> MessageSpec:
    fields: dict[str, Any] = {
        "from_name": "Acme News",
        "from_address": "news@acme.test",
        "subject": "Hello %%FirstName%%",
        "html": "<p>Hello %%FirstName%% from %%City%%</p>\n",
        "text": "Hello %%FirstName%% from %%City%%\n",
        "message_id_domain": "mail.acme.test",
        "job_id": 42,
    }
    fields.update(overrides)
    return MessageSpec(**fields)


def render(
    message: CompiledMessage,
    values: dict[str, str] | None = None,
    to_address: str = "ann@example.test",
    to_name: str | None = "Ann Lee",
    seq: int = 1,
) -> RenderedMessage:
    values = {"firstname": "Ann", "city": "Lyon"} if values is None else values
    return message.render(values, to_address, to_name, seq, DATE)


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert not message.defects
    return message


def text_of(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def header_block(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def display_name(data: bytes, header: str) -> str:
    """The display name in ``header`` as a mail client decodes it.

    CPython 3.11's parser keeps the space between adjacent encoded-words in a display name
    (python/cpython gh-128110); RFC 2047 section 6.2 says it is ignored, as email.header does.
    """
    unfolded = header_block(data).decode("ascii").replace("\r\n ", " ")
    line = next(li for li in unfolded.split("\r\n") if li.startswith(f"{header}: "))
    phrase = line[len(header) + 2 :].rpartition(" <")[0]
    if phrase.startswith("=?"):
        return str(email.header.make_header(email.header.decode_header(phrase)))
    return parse(data)[header].addresses[0].display_name


def assert_wire_safe(data: bytes) -> None:
    """7-bit, CRLF only, no line over 998 characters, ends with CRLF."""
    assert data.isascii()
    assert data.endswith(b"\r\n")
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


def test_two_part_message_parses_into_the_personalised_message() -> None:
    message = compile_message(make_spec())
    rendered = render(message)
    parsed = parse(rendered.data)

    assert_wire_safe(rendered.data)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["Subject"] == "Hello Ann"
    assert parsed["From"] == "Acme News <news@acme.test>"
    assert parsed["To"] == "Ann Lee <ann@example.test>"
    assert f"\r\nDate: {DATE}\r\n".encode() in rendered.data
    assert parsed["Message-ID"] == rendered.message_id
    assert text_of(parsed, "plain") == "Hello Ann from Lyon\n"
    assert text_of(parsed, "html") == "<p>Hello Ann from Lyon</p>\n"
    for part in parsed.iter_parts():
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "quoted-printable"


def test_fields_lists_every_referenced_field() -> None:
    message = compile_message(make_spec(subject="%%Offer%% for %%FirstName%%"))

    assert message.fields == frozenset({"offer", "firstname", "city"})


def test_non_ascii_in_subject_display_names_and_bodies() -> None:
    spec = make_spec(
        from_name="Café Ünïcode 日本",
        subject="🎉 %%FirstName%%, 日本の特別オファー — é à ü 👨‍👩‍👧",
        text="Grüße %%FirstName%% 🎉\n日本語のテキスト\n",
        html="<p>Grüße %%FirstName%% 🎉 日本</p>",
    )
    rendered = render(
        compile_message(spec), {"firstname": "Zoë 日本"}, to_name="Zoë Ångström 日本 🎉"
    )
    parsed = parse(rendered.data)

    assert_wire_safe(rendered.data)
    assert parsed["Subject"] == "🎉 Zoë 日本, 日本の特別オファー — é à ü 👨‍👩‍👧"
    assert parsed["From"].addresses[0].display_name == "Café Ünïcode 日本"
    assert parsed["To"].addresses[0].display_name == "Zoë Ångström 日本 🎉"
    assert display_name(rendered.data, "To") == "Zoë Ångström 日本 🎉"
    assert parsed["To"].addresses[0].addr_spec == "ann@example.test"
    assert text_of(parsed, "plain") == "Grüße Zoë 日本 🎉\n日本語のテキスト\n"
    assert text_of(parsed, "html") == "<p>Grüße Zoë 日本 🎉 日本</p>"


@pytest.mark.parametrize(
    "name",
    ["Lee, Ann", 'Ann "The Boss" Lee', "Ann Q. Lee", "A\\B", "Ann (work)", "<Ann>", "x@y"],
)
def test_display_names_with_specials_are_quoted(name: str) -> None:
    parsed = parse(render(compile_message(make_spec()), to_name=name).data)

    assert len(parsed["To"].addresses) == 1
    assert parsed["To"].addresses[0].display_name == name
    assert parsed["To"].addresses[0].addr_spec == "ann@example.test"


@pytest.mark.parametrize("to_name", [None, ""])
def test_missing_display_name_gives_a_bare_address(to_name: str | None) -> None:
    rendered = render(compile_message(make_spec()), to_name=to_name)

    assert b"\r\nTo: ann@example.test\r\n" in rendered.data


@pytest.mark.parametrize(
    "value",
    [
        "x\r\nBcc: victim@example.test",
        "x\nBcc: victim@example.test",
        "x\rBcc: victim@example.test",
        "x\r\n\r\nBcc: victim@example.test",
        "x\u2028Bcc: victim@example.test",
        "日本\r\nBcc: victim@example.test",
    ],
)
def test_line_breaks_in_header_values_never_create_headers(value: str) -> None:
    rendered = render(compile_message(make_spec()), {"firstname": value}, to_name=value)
    parsed = parse(rendered.data)
    headers = header_block(rendered.data)

    assert "Bcc" not in parsed
    assert not re.search(rb"^bcc:", headers, re.IGNORECASE | re.MULTILINE)
    assert parsed["Subject"].startswith("Hello ")
    assert "Bcc: victim@example.test" in parsed["Subject"]
    assert len(parsed["To"].addresses) == 1
    assert parsed["To"].addresses[0].addr_spec == "ann@example.test"
    assert parsed.get_content_type() == "multipart/alternative"


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.test\r\nBcc: victim@example.test",
        "ann@example.test\n",
        "Ann <ann@example.test>",
        "<ann@example.test>",
        "ann@example.test>",
        "ann@example.test, victim@example.test",
        "ann lee@example.test",
        "annexample.test",
        "ann@@example.test",
        "zoë@example.test",
        "",
        "a" * 250 + "@example.test",
    ],
)
def test_invalid_recipient_addresses_are_rejected(address: str) -> None:
    with pytest.raises(ValueError):
        render(compile_message(make_spec()), to_address=address)


@pytest.mark.parametrize("field", ["from_address", "reply_to"])
def test_invalid_sender_addresses_are_rejected(field: str) -> None:
    with pytest.raises(ValueError):
        make_spec(**{field: "news@acme.test\r\nBcc: victim@example.test"})


def test_date_with_a_line_break_is_rejected() -> None:
    with pytest.raises(ValueError):
        compile_message(make_spec()).render({}, "ann@example.test", None, 1, DATE + "\r\nX: y")


def test_message_ids_are_unique_per_recipient_and_name_job_and_seq() -> None:
    message = compile_message(make_spec(job_id=4711))
    ids = [render(message, seq=seq).message_id for seq in range(1000)]

    assert len(set(ids)) == 1000
    assert re.fullmatch(r"<4711\.7\.[0-9a-f]+@mail\.acme\.test>", ids[7])
    other_job = compile_message(make_spec(job_id=4711))
    assert render(other_job, seq=7).message_id != ids[7]


def test_the_boundary_is_fixed_per_job() -> None:
    message = compile_message(make_spec())
    first = parse(render(message, seq=1).data).get_boundary()
    second = parse(render(message, seq=2).data).get_boundary()

    assert first == second
    assert first != parse(render(compile_message(make_spec()), seq=1).data).get_boundary()


def test_reply_to_and_extra_headers() -> None:
    spec = make_spec(
        reply_to="help@acme.test",
        headers=(("X-Job-ID", "42"), ("List-Unsubscribe", "<mailto:u@acme.test>")),
    )
    parsed = parse(render(compile_message(spec)).data)

    assert parsed["Reply-To"] == "help@acme.test"
    assert parsed["X-Job-ID"] == "42"
    assert parsed["List-Unsubscribe"] == "<mailto:u@acme.test>"


@pytest.mark.parametrize(
    "headers",
    [
        (("X-Evil", "a\r\nBcc: victim@example.test"),),
        (("X-Evil\r\nBcc", "x"),),
        (("X Space", "x"),),
        (("X-Colon:", "x"),),
        (("Subject", "x"),),
        (("bcc", "victim@example.test"),),
        (("X-Unicode", "é"),),
    ],
)
def test_invalid_extra_headers_are_rejected(headers: tuple[tuple[str, str], ...]) -> None:
    with pytest.raises(ValueError):
        make_spec(headers=headers)


def test_a_message_needs_a_body() -> None:
    with pytest.raises(ValueError):
        make_spec(html=None, text=None)


def test_invalid_message_id_domain_is_rejected() -> None:
    with pytest.raises(ValueError):
        make_spec(message_id_domain="acme.test>\r\nX: y")


@pytest.mark.parametrize(("missing", "kept"), [("html", "plain"), ("text", "html")])
def test_single_part_messages(missing: str, kept: str) -> None:
    rendered = render(compile_message(make_spec(**{missing: None})))
    parsed = parse(rendered.data)

    assert_wire_safe(rendered.data)
    assert not parsed.is_multipart()
    assert parsed.get_content_type() == f"text/{kept}"
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"
    assert b"multipart" not in rendered.data
    expected = {"plain": "Hello Ann from Lyon\n", "html": "<p>Hello Ann from Lyon</p>\n"}
    assert text_of(parsed, kept) == expected[kept]


def test_single_part_body_without_final_newline_still_ends_the_message_with_crlf() -> None:
    rendered = render(compile_message(make_spec(html=None, text="Hi %%FirstName%%")))

    assert rendered.data.endswith(b"Hi Ann\r\n")
    assert text_of(parse(rendered.data), "plain") == "Hi Ann\n"


def test_lines_starting_with_a_dot_are_preserved_and_not_stuffed() -> None:
    body = ".leading dot\n.\n..two\nmiddle\n.%%FirstName%%\n.\n"
    rendered = render(compile_message(make_spec(text=body, html=body)))
    parsed = parse(rendered.data)

    expected = ".leading dot\n.\n..two\nmiddle\n.Ann\n.\n"
    assert text_of(parsed, "plain") == expected
    assert text_of(parsed, "html") == expected
    # A lone "." is quoted-printable-encoded; other dot lines are left to the transport.
    assert b"\r\n.\r\n" not in rendered.data
    assert b"\r\n..two\r\n" in rendered.data


def test_long_lines_get_quoted_printable_soft_breaks() -> None:
    long_line = "word " * 400 + "%%FirstName%%" + "é" * 300 + "=" * 100
    rendered = render(compile_message(make_spec(text=long_line, html=long_line + "\n")))
    parsed = parse(rendered.data)
    body = rendered.data.split(b"\r\n\r\n", 1)[1]

    assert max(len(line) for line in body.split(b"\r\n")) <= 76
    expected = long_line.replace("%%FirstName%%", "Ann")
    assert text_of(parsed, "plain") == expected
    assert text_of(parsed, "html") == expected + "\n"


def test_line_endings_in_templates_and_values_become_crlf() -> None:
    spec = make_spec(text="a\r\nb\rc\n%%FirstName%%\r\n", html="<p>\r\n%%FirstName%%</p>")
    rendered = render(compile_message(spec), {"firstname": "x\r\ny\rz\n"})
    parsed = parse(rendered.data)

    assert_wire_safe(rendered.data)
    assert text_of(parsed, "plain") == "a\nb\nc\nx\ny\nz\n\n"
    assert text_of(parsed, "html") == "<p>\nx\ny\nz\n</p>"


def test_long_ascii_subject_is_folded_and_unfolds_unchanged() -> None:
    subject = " ".join(f"word{i}" for i in range(60)) + "  double  spaced"
    rendered = render(compile_message(make_spec(subject=subject)))
    parsed = parse(rendered.data)

    assert parsed["Subject"] == subject
    assert max(len(line) for line in header_block(rendered.data).split(b"\r\n")) <= 78


def test_subject_without_spaces_longer_than_a_line_is_encoded() -> None:
    subject = "x" * 2000
    rendered = render(compile_message(make_spec(subject=subject)))

    assert_wire_safe(rendered.data)
    assert parse(rendered.data)["Subject"] == subject


def test_subject_that_looks_like_an_encoded_word_stays_literal() -> None:
    subject = "=?utf-8?b?SGFja2Vk?= not decoded"
    parsed = parse(render(compile_message(make_spec(subject=subject))).data)

    assert parsed["Subject"] == subject


def test_long_non_ascii_display_name_is_split_into_encoded_words() -> None:
    name = "日本語の長い表示名 " * 8
    rendered = render(compile_message(make_spec(from_name=name)), to_name=name)
    headers = header_block(rendered.data)

    assert_wire_safe(rendered.data)
    assert max(len(line) for line in headers.split(b"\r\n")) <= 78
    assert display_name(rendered.data, "To") == name.strip()
    assert display_name(rendered.data, "From") == name.strip()


def test_surrounding_whitespace_in_the_subject_is_trimmed() -> None:
    parsed = parse(render(compile_message(make_spec(subject="  %%FirstName%%  "))).data)

    assert parsed["Subject"] == "Ann"


def test_message_spec_is_frozen() -> None:
    spec = make_spec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.subject = "changed"  # type: ignore[misc]


def _qp(body: str) -> str:
    return binascii.b2a_qp(body.encode()).decode("ascii").replace("\n", "\r\n")


_HEADER_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=120
).map(str.strip)
_BODY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400)
_VALUE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    subject=_HEADER_TEXT,
    to_name=_HEADER_TEXT,
    text=_BODY_TEXT,
    html=_BODY_TEXT,
    value=_VALUE,
    where=st.integers(min_value=0, max_value=400),
)
def test_round_trip(
    subject: str, to_name: str, text: str, html: str, value: str, where: int
) -> None:
    # Put one slot somewhere in each body, never inside an existing "%%...%%" pair.
    text = text.replace("%", "")[:where] + "%%V%%" + text.replace("%", "")[where:]
    html = html.replace("%", "")[:where] + "%%V%%" + html.replace("%", "")[where:]
    subject = subject.replace("%", "")
    spec = make_spec(subject=subject + " %%V%%", text=text, html=html)
    rendered = render(compile_message(spec), {"v": value}, to_name=to_name)
    parsed = parse(rendered.data)

    assert_wire_safe(rendered.data)
    rendered_subject = f"{subject} {value}"
    one_line = re.sub(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]+", " ", rendered_subject)
    assert parsed["Subject"] == one_line.strip()
    if to_name:
        assert display_name(rendered.data, "To") == to_name
    expected_text, expected_html = (
        re.sub("\r\n?", "\n", body.replace("%%V%%", value)) for body in (text, html)
    )
    assert text_of(parsed, "plain") == expected_text
    assert text_of(parsed, "html") == expected_html
    # Pre-encoding the lines without slots gives exactly what encoding the whole body gives.
    assert parsed.get_body(("plain",)).get_payload() == _qp(expected_text)
    assert parsed.get_body(("html",)).get_payload() == _qp(expected_html)
