"""Personalization strings: compiling %%Field%% references and filling them per recipient."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sendwell.domain.content import compile_template
from sendwell.domain.personalization import (
    EMAIL_ADDR,
    JOB_ID,
    SUBSCRIBER_KEY,
    SYSTEM_FIELDS,
    Slot,
    Template,
)


def test_field_reference_is_filled_from_values() -> None:
    template = compile_template("Hello %%FirstName%%, welcome!")

    assert template.fields == frozenset({"firstname"})
    assert template.render({"firstname": "Ann"}) == "Hello Ann, welcome!"


def test_field_names_are_case_insensitive() -> None:
    template = compile_template("%%FirstName%% %%FIRSTNAME%% %%firstname%% %%fIrStNaMe%%")

    assert template.fields == frozenset({"firstname"})
    assert template.render({"firstname": "Bo"}) == "Bo Bo Bo Bo"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("%%First Name%%", "first name"),
        ("%%Member-ID%%", "member-id"),
        ("%%_subscriberkey%%", "_subscriberkey"),
        ("%%Zip5%%", "zip5"),
        ("%%2024 Points%%", "2024 points"),
        ("%%x%%", "x"),
    ],
)
def test_field_names_may_hold_letters_digits_underscore_space_hyphen(text: str, field: str) -> None:
    template = compile_template(text)

    assert template.fields == frozenset({field})
    assert template.render({field: "value"}) == "value"


def test_unknown_fields_render_as_written_and_none_as_empty() -> None:
    # Marketing Cloud renders a name that is no attribute as written (ampscript-core's
    # corpus, Language/attributes.txt "Name does not exist").
    template = compile_template("[%%Missing%%][%%Nothing%%]")

    assert template.render({"nothing": None}) == "[%%Missing%%][]"
    assert template.render({}) == "[%%Missing%%][%%Nothing%%]"


def test_sends_render_unknown_fields_empty() -> None:
    template = compile_template("[%%Missing%%][%%Nothing%%]", as_written=False)

    assert template.render({"nothing": None}) == "[][]"
    assert template.render({}) == "[][]"


@pytest.mark.parametrize(
    "text",
    [
        "50%% off",
        "%%",
        "%%%%",
        "100%% sure, 50%% off",
        "%% padded%%",
        "%%padded %%",
        "%%dot.name%%",
        "%%%",
        "a %%b",
    ],
)
def test_percent_pairs_that_are_not_field_references_stay_literal(text: str) -> None:
    template = compile_template(text)

    assert template.fields == frozenset()
    assert template.render({"x": "X", "b": "B"}) == text


def test_literal_percents_next_to_a_reference() -> None:
    template = compile_template("%%%%Name%%%% and %%a%%b%%")

    assert template.fields == frozenset({"name", "a"})
    assert template.render({"name": "N", "a": "A"}) == "%%N%% and Ab%%"


def test_adjacent_references() -> None:
    template = compile_template("%%First%%%%Last%%")

    assert template.render({"first": "Ada", "last": "Lovelace"}) == "AdaLovelace"


def test_values_are_inserted_verbatim() -> None:
    template = compile_template("<p>%%Note%%</p>")

    assert template.render({"note": "<b>%%Other%%</b>"}) == "<p><b>%%Other%%</b></p>"


def test_system_strings_come_from_the_same_values() -> None:
    template = compile_template(
        "Sent to %%emailaddr%% (%%_SubscriberKey%%) by job %%JobID%%, dear %%Name%%"
    )
    values = {
        EMAIL_ADDR: "ann@example.test",
        SUBSCRIBER_KEY: "SK-1",
        JOB_ID: "42",
        "name": "Ann",
    }

    assert template.fields - SYSTEM_FIELDS == frozenset({"name"})
    assert template.render(values) == "Sent to ann@example.test (SK-1) by job 42, dear Ann"
    assert frozenset({"emailaddr", "_subscriberkey", "jobid"}) == SYSTEM_FIELDS


def test_template_parts_are_literals_and_slots() -> None:
    template = compile_template("Hi %%Name%%!")

    assert template.parts == ("Hi ", Slot("name"), "!")


def test_template_built_from_parts_merges_literals_and_drops_empty_ones() -> None:
    built = Template(["Hi", "", " ", Slot("name"), "!", ""])

    assert built.parts == ("Hi ", Slot("name"), "!")
    assert built == compile_template("Hi %%name%%!")
    assert built.render({"name": "Jo"}) == "Hi Jo!"


def test_template_rejects_other_part_types() -> None:
    with pytest.raises(TypeError):
        Template(["a", 3])  # type: ignore[list-item]


def test_empty_template() -> None:
    template = compile_template("")

    assert template.parts == ()
    assert template.render({}) == ""


_NAME = st.from_regex(r"[A-Za-z0-9_-]([A-Za-z0-9_ -]{0,20}[A-Za-z0-9_-])?", fullmatch=True)
_LITERAL = st.text(st.characters(blacklist_characters="%", blacklist_categories=("Cs",)))


@given(st.lists(st.tuples(_LITERAL, _NAME, st.text(max_size=30)), max_size=8), _LITERAL)
def test_rendering_fills_every_reference(pieces: list[tuple[str, str, str]], tail: str) -> None:
    text = "".join(f"{literal}%%{name}%%" for literal, name, _ in pieces) + tail
    values: dict[str, str] = {}
    for _, name, value in pieces:
        values.setdefault(name.lower(), value)

    expected = "".join(literal + values[name.lower()] for literal, name, _ in pieces) + tail
    template = compile_template(text)

    assert template.render(values) == expected
    assert template.fields == frozenset(values)


@given(st.text(st.sampled_from("%%%%aB1_- [].=é\n")) | st.text())
def test_compiling_loses_nothing_but_the_case_of_field_names(text: str) -> None:
    assume("%%[" not in text and "%%=" not in text)  # AMPscript: see test_ampscript_*
    template = compile_template(text)
    references = {field: f"%%{field}%%" for field in template.fields}

    assert template.render(references).lower() == text.lower()
