"""A rendered message that says it is ``clean`` needs nothing of SMTP's DATA framing: sending
it as it is gives the same bytes as the full scan (dot-stuffing, line-end repair) would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sendwell.domain.message import MessageSpec, compile_message
from sendwell.engine.transports.smtp_session import content_parts

# Lines that may start with a dot, hold a slot whose value may start with one, or be empty.
line = st.sampled_from(["", ".", "..x", "Hello %%Name%%", "%%Name%%", "plain text", ". %%Name%%"])
body = st.lists(line, min_size=1, max_size=8).map("\n".join)
value = st.sampled_from(["Ada", ".dot", "", "a\n.b", "x\r\n.y", "é.", "\n"])


@settings(max_examples=300, deadline=None)
@given(text=body, html=st.one_of(st.none(), body), name=value)
def test_clean_messages_frame_as_the_full_scan_does(text: str, html: str | None, name: str) -> None:
    spec = MessageSpec(
        from_name="Shop",
        from_address="shop@example.test",
        subject="Hi %%Name%%",
        html=html,
        text=text,
        message_id_domain="example.test",
        job_id=1,
    )
    message = compile_message(spec).render({"name": name}, "to@example.test", None, 1, "now")
    if message.clean:
        assert content_parts(message.data, True) == content_parts(message.data)
    assert b"".join(content_parts(message.data, message.clean)) == b"".join(
        content_parts(message.data)
    )


def test_a_line_that_starts_with_a_dot_is_not_clean() -> None:
    spec = MessageSpec(
        from_name="Shop",
        from_address="shop@example.test",
        subject="Hi",
        html=None,
        text="Hello %%Name%%\n",
        message_id_domain="example.test",
        job_id=1,
    )
    compiled = compile_message(spec)
    assert compiled.render({"name": "Ada"}, "to@example.test", None, 1, "now").clean
    assert not compiled.render({"name": "\n.x"}, "to@example.test", None, 1, "now").clean
