"""Tracking tokens, link rewriting, the open pixel and the unsubscribe headers (no I/O)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendwell.domain.message import MessageSpec, compile_message
from sendwell.domain.tracking import (
    RecipientTokens,
    TrackedLink,
    add_open_pixel,
    fill_link,
    is_trackable,
    rewrite_links,
    same_origin,
    sign,
    track_content,
    tracking_key,
    verify,
)

KEY = tracking_key("test secret")
CLICK = "https://t.test/t/c/%%__t%%/{url_id}"


def rewrite(html: str) -> tuple[str, list[TrackedLink]]:
    return rewrite_links(html, CLICK, "https://t.test/t/")


# --- Tokens -----------------------------------------------------------------------------------


def test_a_token_round_trips_and_is_compact() -> None:
    token = sign(KEY, 1001, 42, 123_456)
    assert verify(KEY, token) == (1001, 42, 123_456)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(token) <= 26


@given(st.lists(st.integers(min_value=0, max_value=2**62), min_size=1, max_size=4))
@settings(max_examples=300)
def test_any_fields_round_trip(fields: list[int]) -> None:
    assert verify(KEY, sign(KEY, *fields)) == tuple(fields)


def test_every_single_character_change_is_refused() -> None:
    token = sign(KEY, 1001, 42, 7, 3)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for i, char in enumerate(token):
        for other in alphabet:
            if other != char:
                assert verify(KEY, token[:i] + other + token[i + 1 :]) is None, (i, other)


def test_truncated_extended_and_malformed_tokens_are_refused() -> None:
    token = sign(KEY, 1001, 42, 7)
    for bad in (
        token[:-1],
        token[1:],
        token + "A",
        token + "=",
        token.replace(token[3], "+"),
        token[:10] + "/" + token[11:],
        "",
        "A" * 17,
        "A" * 200,
        f" {token}",
        f"{token}\n",
        token.replace(token[0], "é"),
    ):
        assert verify(KEY, bad) is None, bad


def test_another_key_refuses_the_token() -> None:
    assert verify(tracking_key("another secret"), sign(KEY, 1, 2, 3)) is None


def test_a_forged_token_with_a_guessed_mac_is_refused() -> None:
    payload = bytes([1, 2, 3])
    for mac in (b"\x00" * 12, hashlib.sha256(payload).digest()[:12]):
        forged = base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()
        assert verify(KEY, forged) is None
    # The MAC is keyed and bound to its context: a plain HMAC over the payload is not it.
    plain = hmac.digest(KEY, payload, "sha256")[:12]
    assert verify(KEY, base64.urlsafe_b64encode(payload + plain).rstrip(b"=").decode()) is None


def test_the_tracking_key_is_derived_not_the_secret_itself() -> None:
    assert tracking_key("s") != b"s" and len(tracking_key("s")) == 32
    with pytest.raises(ValueError):
        tracking_key("")


def test_negative_or_no_fields_cannot_be_signed() -> None:
    with pytest.raises(ValueError):
        sign(KEY, -1)
    with pytest.raises(ValueError):
        sign(KEY)


@given(
    st.integers(min_value=0, max_value=2**40),
    st.integers(min_value=0, max_value=2**40),
    st.integers(min_value=0, max_value=2**40),
)
def test_recipient_tokens_are_the_tokens_sign_makes(mid: int, job_id: int, seq: int) -> None:
    assert RecipientTokens(KEY, "https://t.test", mid, job_id).token(seq) == sign(
        KEY, mid, job_id, seq
    )


def test_recipient_tokens_give_the_token_and_center_urls() -> None:
    values = RecipientTokens(KEY, "https://t.test/", 1001, 9).values(5)
    token = values["__t"]
    assert verify(KEY, token) == (1001, 9, 5)
    assert values["unsub_center_url"] == f"https://t.test/t/u/{token}"
    assert values["profile_center_url"] == f"https://t.test/t/p/{token}"


# --- Links ------------------------------------------------------------------------------------


def test_double_and_single_quoted_and_unquoted_hrefs_are_rewritten() -> None:
    html, links = rewrite(
        "<a href=\"https://a.test/1\">1</a> <a href='https://a.test/2'>2</a> "
        "<a href=https://a.test/3>3</a>"
    )
    assert html == (
        '<a href="https://t.test/t/c/%%__t%%/1">1</a> <a href="https://t.test/t/c/%%__t%%/2">2</a> '
        '<a href="https://t.test/t/c/%%__t%%/3">3</a>'
    )
    assert [(link.url_id, link.url) for link in links] == [
        (1, "https://a.test/1"),
        (2, "https://a.test/2"),
        (3, "https://a.test/3"),
    ]


def test_uppercase_tags_and_attributes_and_spaces_around_equals() -> None:
    html, links = rewrite(
        '<A HREF = "HTTP://A.test/x" TARGET="_blank">x</A><AREA Href="https://b.test">'
    )
    assert html == (
        '<A HREF = "https://t.test/t/c/%%__t%%/1" TARGET="_blank">x</A>'
        '<AREA Href="https://t.test/t/c/%%__t%%/2">'
    )
    assert [link.url for link in links] == ["HTTP://A.test/x", "https://b.test"]


@pytest.mark.parametrize(
    "tag",
    [
        '<a href="mailto:ann@example.test">mail</a>',
        '<a href="tel:+4712345678">call</a>',
        '<a href="#top">top</a>',
        '<a href="/relative">rel</a>',
        '<a href="javascript:alert(1)">js</a>',
        '<a href="ftp://files.test/x">ftp</a>',
        '<a href="%%unsub_center_url%%">unsubscribe</a>',
        '<a href="%%profile_center_url%%">profile</a>',
        '<a href="%%view_email_url%%">view</a>',
        '<a href="https://%%host%%/x">host from data</a>',
        '<a href="https://a.test%%path%%">host may run on</a>',
        '<a href="https://a.test/?x=%%=v(@x)=%%">ampscript</a>',
        '<a href="https://t.test/t/u/%%__t%%">already tracking</a>',
        '<a name="anchor">no href</a>',
        "<a href>empty</a>",
        '<a href="">empty</a>',
        '<abbr href="https://a.test">not a link tag</abbr>',
        '<link href="https://a.test/style.css" rel="stylesheet">',
        '<img src="https://a.test/i.png">',
        '<a data-href="https://a.test">data attribute</a>',
        "<a title='href=\"https://a.test\"'>in another value</a>",
        '<a href="https://a.test/unclosed>broken',
    ],
)
def test_links_that_are_not_tracked_are_left_byte_for_byte(tag: str) -> None:
    html = f"<p>{tag}</p>"
    assert rewrite(html) == (html, [])


def test_the_same_url_gets_the_same_id_and_ids_follow_first_appearance() -> None:
    html, links = rewrite(
        '<a href="https://a.test/b">1</a><a href="https://a.test/c">2</a>'
        '<a href="https://a.test/b">3</a><a href=" https://a.test/c ">4</a>'
    )
    assert re.findall(r"%%/(\d+)", html) == ["1", "2", "1", "2"]
    assert [(link.url_id, link.url) for link in links] == [
        (1, "https://a.test/b"),
        (2, "https://a.test/c"),
    ]


def test_entities_in_hrefs_are_decoded_in_the_stored_url() -> None:
    _, links = rewrite('<a href="https://a.test/?a=1&amp;b=2&#38;c=3">x</a>')
    assert links[0].url == "https://a.test/?a=1&b=2&c=3"


def test_alias_attribute_names_the_link() -> None:
    html, links = rewrite(
        '<a alias="Spring &amp; Summer" href="https://a.test/s">s</a>'
        '<a href="https://a.test/w" ALIAS=Winter>w</a><a href="https://a.test/x" alias="">x</a>'
    )
    assert [link.alias for link in links] == ["Spring & Summer", "Winter", None]
    assert 'alias="Spring &amp; Summer"' in html  # other attributes are untouched


def test_a_greater_than_sign_inside_another_attribute_does_not_end_the_tag() -> None:
    html, links = rewrite('<a title="a > b" onclick=\'x>1\' href="https://a.test">x</a>')
    assert html == '<a title="a > b" onclick=\'x>1\' href="https://t.test/t/c/%%__t%%/1">x</a>'
    assert links[0].url == "https://a.test"


def test_only_the_first_href_of_a_tag_counts() -> None:
    html, links = rewrite('<a href="https://a.test/1" href="https://a.test/2">x</a>')
    assert html == '<a href="https://t.test/t/c/%%__t%%/1" href="https://a.test/2">x</a>'
    assert len(links) == 1


def test_personalized_paths_and_queries_are_tracked_as_written() -> None:
    html, links = rewrite('<a href="https://a.test/u/%%_subscriberkey%%?n=%%First Name%%">x</a>')
    assert "%%_subscriberkey%%" not in html
    assert links == [TrackedLink(1, "https://a.test/u/%%_subscriberkey%%?n=%%First Name%%", None)]


def test_links_inside_ampscript_are_program_text_and_left_alone() -> None:
    html = (
        "%%[ SET @link = '<a href=\"https://a.test/in-block\">x</a>' ]%%"
        '<script runat="server" language="ampscript">SET @y = \'<a href="https://a.test/s">\''
        '</script><a href="https://a.test/outside">o</a>'
    )
    out, links = rewrite(html)
    assert [link.url for link in links] == ["https://a.test/outside"]
    assert out == html.replace("https://a.test/outside", "https://t.test/t/c/%%__t%%/1")


def test_html_comments_and_conditional_comments_keep_their_structure() -> None:
    html = (
        '<!--[if mso]><a href="https://a.test/mso">m</a><![endif]-->'
        '<!-- <a href="https://a.test/commented">c</a> -->'
    )
    out, links = rewrite(html)
    assert out.startswith("<!--[if mso]><a href=") and out.endswith("-->")
    assert len(links) == 2


def test_a_tracking_base_with_special_characters_is_escaped_in_the_attribute() -> None:
    html, _ = rewrite_links('<a href="https://a.test">x</a>', 'https://t.test/?a=1&b="2"/{url_id}')
    assert html == '<a href="https://t.test/?a=1&amp;b=&quot;2&quot;/1">x</a>'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


_HTML_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "text ",
        '<a href="https://a.test/1">',
        "<a href='https://a.test/2?x=1&amp;y=2'>",
        "<A HREF=https://a.test/3>",
        '<a href="mailto:x@y.test">',
        '<a title="1 > 0" href="http://b.test/">',
        "</a>",
        '<area href="https://c.test" alias="C">',
        "<!-- comment <a href='https://d.test'> -->",
        "%%FirstName%%",
        '<img src="https://e.test/i.png">',
        "<br/>",
        "&lt;a href=&quot;https://f.test&quot;&gt;",
        '<a href="https://a.test/u/%%_subscriberkey%%">',
    ]
)


@given(st.lists(_HTML_PIECES, max_size=30))
@settings(max_examples=300)
def test_rewriting_changes_only_href_values(pieces: list[str]) -> None:
    html = "".join(pieces)
    out, links = rewrite(html)
    before, after = _parse(html), _parse(out)
    assert "".join(before.text) == "".join(after.text)
    assert len(before.tags) == len(after.tags)
    urls = {link.url_id: link.url for link in links}
    for (tag, attrs), (tag2, attrs2) in zip(before.tags, after.tags, strict=True):
        assert tag == tag2
        assert {k: v for k, v in attrs.items() if k != "href"} == {
            k: v for k, v in attrs2.items() if k != "href"
        }
        if attrs.get("href") != attrs2.get("href"):
            found = re.fullmatch(r"https://t\.test/t/c/%%__t%%/(\d+)", attrs2["href"] or "")
            assert found and urls[int(found.group(1))] == (attrs["href"] or "").strip()


@pytest.mark.parametrize(
    "html",
    [
        "<a href='x" + '<a title="' * 20_000 + "a" * 100_000,
        "<a " * 50_000,
        '<a title="' * 50_000,
        "%%[" * 50_000 + '<a href="https://a.test">',
        "%%=" * 50_000,
        "<script " * 50_000,
        '<script runat="server">' * 20_000,
    ],
)
def test_rewriting_pathological_documents_takes_linear_time(html: str) -> None:
    started = time.perf_counter()
    out, links = rewrite(html)
    assert out == html and links == []
    assert time.perf_counter() - started < 1


def test_rewriting_many_links_is_fast() -> None:
    html = "".join(
        f'<p><a href="https://a.test/{i % 500}">link {i}</a></p>\n' for i in range(50_000)
    )
    started = time.perf_counter()
    out, links = rewrite(html)
    assert time.perf_counter() - started < 2
    assert len(links) == 500 and out.count("%%__t%%") == 50_000


def test_an_unclosed_ampscript_block_protects_the_rest() -> None:
    html = '<a href="https://a.test/1">1</a> %%[ SET @x = 1 <a href="https://a.test/2">2</a>'
    out, links = rewrite(html)
    assert [link.url for link in links] == ["https://a.test/1"]
    assert out.endswith('<a href="https://a.test/2">2</a>')


def test_a_stray_quote_that_hides_the_end_of_the_tag_leaves_it_alone() -> None:
    html = '<a title=x"y href="https://a.test">x</a>'
    assert rewrite(html) == (html, [])


# --- The open pixel ---------------------------------------------------------------------------


def test_the_pixel_goes_before_the_last_body_end_tag() -> None:
    html = add_open_pixel("<html><body><p>x</p></BODY ></html>", "https://t.test/t/o/%%__t%%.gif")
    assert html == (
        '<html><body><p>x</p><img src="https://t.test/t/o/%%__t%%.gif" width="1" height="1" '
        'alt="" style="display:block;border:0;width:1px;height:1px;" /></BODY ></html>'
    )


def test_without_a_body_end_tag_the_pixel_is_appended() -> None:
    html = add_open_pixel("<p>fragment</p>", "https://t.test/o.gif")
    assert html.startswith('<p>fragment</p><img src="https://t.test/o.gif"')


# --- Click-time personalization ---------------------------------------------------------------


def test_fill_link_uses_the_recipients_values() -> None:
    url = "https://a.test/u/%%_subscriberkey%%?n=%%First Name%%&m=%%missing%%"
    filled = fill_link(url, {"_subscriberkey": "k1", "first name": "Ann"})
    assert filled == "https://a.test/u/k1?n=Ann&m="
    assert fill_link("https://a.test/plain", {}) == "https://a.test/plain"


def test_same_origin_refuses_a_changed_host() -> None:
    assert same_origin("https://a.test/%%x%%", "https://a.test/anything@evil.test")
    assert not same_origin("https://a.test/%%x%%", "https://evil.test/")
    assert not same_origin("https://a.test/%%x%%", "javascript:alert(1)")


def test_is_trackable() -> None:
    assert is_trackable("https://a.test")
    assert is_trackable("http://a.test:8080/x?y=%%z%%")
    assert not is_trackable("https:///nohost")
    assert not is_trackable("https://t.test/t/c/x/1", "https://t.test/t/")


# --- Per job ----------------------------------------------------------------------------------


def test_commercial_tracked_content_has_links_pixel_and_unsubscribe_headers() -> None:
    content = track_content(
        '<html><body><a href="https://a.test">a</a></body></html>',
        "Text https://a.test",
        base="https://t.test/",
        track=True,
        commercial=True,
        mailto_domain="mail.test",
    )
    assert '<a href="https://t.test/t/c/%%__t%%/1">' in content.html
    assert '<img src="https://t.test/t/o/%%__t%%.gif"' in content.html
    assert content.text == "Text https://a.test"  # text parts are not rewritten
    assert content.links == (TrackedLink(1, "https://a.test", None),)
    assert content.recipient_headers == (
        (
            "List-Unsubscribe",
            "<https://t.test/t/u/%%__t%%>, <mailto:unsubscribe+%%__t%%@mail.test>",
        ),
    )
    assert content.headers == (("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),)
    assert content.uses_token


def test_untracked_transactional_content_is_untouched() -> None:
    html = '<a href="https://a.test">a</a>'
    content = track_content(
        html, None, base="https://t.test", track=False, commercial=False, mailto_domain="m.test"
    )
    assert (content.html, content.links, content.headers, content.recipient_headers) == (
        html,
        (),
        (),
        (),
    )
    assert not content.uses_token


def test_center_urls_in_a_transactional_message_still_need_a_token() -> None:
    content = track_content(
        '<a href="%%Unsub_Center_URL%%">u</a>',
        None,
        base="https://t.test",
        track=False,
        commercial=False,
        mailto_domain="m.test",
    )
    assert content.uses_token


def test_a_compiled_message_fills_the_token_in_links_pixel_and_header() -> None:
    content = track_content(
        '<html><body><a href="https://a.test/offer">Offer</a></body></html>',
        None,
        base="https://t.test",
        track=True,
        commercial=True,
        mailto_domain="mail.test",
    )
    message = compile_message(
        MessageSpec(
            from_name="News",
            from_address="news@example.test",
            subject="Hi",
            html=content.html,
            text=None,
            recipient_headers=content.recipient_headers,
            headers=content.headers,
            message_id_domain="example.test",
            job_id=9,
        )
    )
    values = RecipientTokens(KEY, "https://t.test", 1001, 9).values(3)
    rendered = message.render(values, "ann@example.test", None, 3, "Mon, 1 Jan 2024 00:00:00 +0000")
    import quopri

    data = quopri.decodestring(rendered.data).decode()
    token = values["__t"]
    assert f"https://t.test/t/c/{token}/1" in data
    assert f"https://t.test/t/o/{token}.gif" in data
    unfolded = data.replace("\r\n ", " ")
    assert (
        f"List-Unsubscribe: <https://t.test/t/u/{token}>, <mailto:unsubscribe+{token}@mail.test>"
        in unfolded
    )
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in data
