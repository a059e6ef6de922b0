"""AMPscript in a compiled message: one context per recipient across the parts, in Marketing
Cloud's order (HTML body, text body, subject line); static lines still encoded once per job."""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest
from tests.unit.ampscript_support import environment

from sendwell.domain.ampscript import AmpscriptError, RecipientSkipped
from sendwell.domain.content import content_error, render_parts
from sendwell.domain.message import MessageSpec, compile_message

DATE = "Tue, 24 Nov 2026 10:00:00 GMT"


def spec(**overrides: Any) -> MessageSpec:
    fields: dict[str, Any] = {
        "from_name": "Acme",
        "from_address": "news@acme.test",
        "subject": "Hello %%FirstName%%",
        "html": "<p>Hello %%FirstName%%</p>\n",
        "text": "Hello %%FirstName%%\n",
        "message_id_domain": "mail.acme.test",
        "job_id": 7,
    }
    fields.update(overrides)
    return MessageSpec(**fields)


def rendered(message_spec: MessageSpec, values: dict[str, str | None], **kw: Any) -> Any:
    message = compile_message(message_spec)
    data = message.render(values, "ann@example.test", None, 1, DATE, **kw).data
    return email.message_from_bytes(data, policy=email.policy.default)


def body(parsed: Any, subtype: str) -> str:
    return parsed.get_body((subtype,)).get_content().replace("\r\n", "\n")


def test_parts_share_variables_in_marketing_cloud_order() -> None:
    parsed = rendered(
        spec(
            html="%%[ SET @name = Uppercase(FirstName) SET @seen = @subject ]%%"
            "<p>Hi %%=v(@name)=%% [%%=v(@seen)=%%]</p>\n",
            text="Hi %%=Lowercase(@name)=%%\n",
            subject="%%[ SET @subject = 'set in subject' ]%%For %%=v(@name)=%%",
        ),
        {"firstname": "Ann"},
    )

    assert parsed["Subject"] == "For ANN"
    assert body(parsed, "html") == "<p>Hi ANN []</p>\n"  # the subject runs last
    assert body(parsed, "plain") == "Hi ann\n"


def test_static_lines_are_still_encoded_once_per_job() -> None:
    html = "".join(f"<p>static line {i}</p>\n" for i in range(50))
    html += "%%[ IF Tier == 'gold' THEN ]%%<b>Gold</b>%%[ ENDIF ]%%\n<p>%%FirstName%%</p>\n"
    message = compile_message(spec(html=html, text=None))

    # One dynamic piece (the IF's line and the field's line); the 50 static lines are bytes.
    ((_, dynamic),) = message._dynamic
    assert not any("static" in part for part in dynamic.parts if isinstance(part, str))
    parsed = email.message_from_bytes(
        message.render({"firstname": "Bo", "tier": "Gold"}, "b@x.test", None, 1, DATE).data,
        policy=email.policy.default,
    )
    assert body(parsed, "html").endswith("<p>static line 49</p>\n<b>Gold</b>\n<p>Bo</p>\n")


def test_each_recipient_gets_a_fresh_context() -> None:
    message = compile_message(
        spec(html="%%[ IF Empty(@x) THEN SET @x = FirstName ENDIF ]%%%%=v(@x)=%%\n", text=None)
    )
    outputs = []
    for name in ("Ann", "Bob"):
        data = message.render({"firstname": name}, "a@x.test", None, 1, DATE).data
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        outputs.append(body(parsed, "html"))
    assert outputs == ["Ann\n", "Bob\n"]


def test_lookups_and_system_strings_come_from_the_environment() -> None:
    env = environment(
        {"Offers": [{"Tier": "Gold", "Offer": "20% off"}]}, {"member_busname": "Acme Corp"}
    )
    parsed = rendered(
        spec(
            html="<p>%%=Lookup('Offers', 'Offer', 'Tier', Tier)=%%</p>\n"
            "<footer>%%member_busname%%, %%xtyear%%</footer>\n",
            text=None,
        ),
        {"tier": "gold"},
        environment=env,
    )
    assert body(parsed, "html") == "<p>20% off</p>\n<footer>Acme Corp, 2024</footer>\n"


def test_fields_name_the_attributes_the_content_reads() -> None:
    message = compile_message(
        spec(
            html="%%[ IF Tier == 'x' THEN SET @a = AttributeValue('Nick Name') ENDIF ]%%"
            "%%=v([Zip Code])=%%\n",
            text="%%xtmonth%% %%City%%\n",
        )
    )
    assert message.fields == {"firstname", "tier", "nick name", "zip code", "city"}


def test_a_run_time_error_names_the_part() -> None:
    message = compile_message(spec(text="line one\n%%=Divide(1, 0)=%%\n"))
    with pytest.raises(AmpscriptError) as raised:
        message.render({}, "a@x.test", None, 1, DATE)
    assert str(raised.value) == "TextBody line 2, column 4: Divide: division by zero"
    assert isinstance(raised.value, ValueError)  # the engine's "not rendered" path


def test_raise_error_is_not_a_rendering_failure() -> None:
    message = compile_message(spec(subject="%%[ RaiseError('no offer') ]%%Hi"))
    with pytest.raises(RecipientSkipped) as raised:
        message.render({}, "a@x.test", None, 1, DATE)
    assert raised.value.message == "no offer"
    assert not isinstance(raised.value, ValueError)


def test_a_compile_error_is_raised_when_the_message_is_compiled() -> None:
    with pytest.raises(AmpscriptError) as raised:
        compile_message(spec(html="<p>\n%%[ IF x THEN ]%%\n</p>"))
    assert (raised.value.line, raised.value.column) == (2, 5)


def test_content_error_names_the_first_broken_part() -> None:
    error = content_error(
        {"Subject": "%%=Foo()=%%", "HTMLBody": "ok", "TextBody": "\n %%[ SET @x = ]%%"}
    )
    assert error is not None
    assert str(error) == "TextBody line 2, column 15: expected a value, found ]%%"
    assert content_error({"Subject": "Hi %%Name%%", "HTMLBody": None}) is None


def test_render_parts_for_a_preview() -> None:
    parts = render_parts(
        {
            "Subject": "%%=v(@greeting)=%%, %%FirstName%%",
            "HTMLBody": "%%[ SET @greeting = 'Welcome' ]%%<h1>%%_messagecontext%%</h1>",
            "TextBody": None,
        },
        {"firstname": "Ann"},
        environment(message_context="PREVIEW"),
    )
    assert parts == {"Subject": "Welcome, Ann", "HTMLBody": "<h1>PREVIEW</h1>"}


def test_lookups_are_read_once_per_job_not_per_recipient() -> None:
    env = environment({"Offers": [{"Tier": "Gold", "Offer": "20% off"}]})
    message = compile_message(
        spec(html="%%=Lookup('Offers', 'Offer', 'Tier', Tier)=%%\n", text=None)
    )
    for seq in range(50):
        message.render({"tier": "Gold"}, "a@x.test", None, seq, DATE, env)
    assert env.data.reads == 1  # type: ignore[union-attr]
