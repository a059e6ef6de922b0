"""A rendered message's ``wire`` form is what SMTP's DATA would carry: the same bytes the full
framing (line-end repair, dot-stuffing) makes of its ``data``, made piece by piece."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sendwell.domain.message import MessageSpec, compile_message
from sendwell.engine.transports.smtp_session import content_parts

# Lines that may start with a dot, hold a slot whose value may start with one (or hold line
# breaks followed by dots), long lines whose soft breaks fall before a dot, empty lines.
line = st.sampled_from(
    ["", ".", "..x", "Hello %%Name%%", "%%Name%%", "plain", ". %%Name%%", "x" * 74 + ".y", "é" * 30]
)
body = st.lists(line, min_size=1, max_size=8).map("\n".join)
value = st.sampled_from(["Ada", ".dot", "", "a\n.b", "x\r\n.y", "é.", "\n", "y" * 70 + "..."])


def spec(text: str, html: str | None) -> MessageSpec:
    return MessageSpec(
        from_name="Shop",
        from_address="shop@example.test",
        subject="Hi %%Name%%",
        html=html,
        text=text,
        message_id_domain="example.test",
        job_id=1,
    )


@settings(max_examples=400, deadline=None)
@given(text=body, html=st.one_of(st.none(), body), name=value)
def test_the_wire_form_is_what_the_full_framing_makes(
    text: str, html: str | None, name: str
) -> None:
    message = compile_message(spec(text, html)).render(
        {"name": name}, "to@example.test", None, 1, "now"
    )
    assert message.wire is not None
    assert content_parts(message.data, message.wire) == content_parts(message.data)


def test_a_line_starting_with_a_dot_is_stuffed() -> None:
    message = compile_message(spec(".static\nHello %%Name%%\n", None)).render(
        {"name": "\n.x"}, "to@example.test", None, 1, "now"
    )
    assert b"\r\n..static\r\n" in message.wire and b"\r\n..x\r\n" in message.wire
    assert b"\r\n.static\r\n" in message.data
