"""AMPscript: the part of Marketing Cloud's content language that email content uses.

``compile_content`` parses and checks content once (syntax, function names, argument counts);
``Program.run`` executes it per recipient in a ``Context`` against a ``RenderEnvironment``.
``render_parts`` renders the parts of one email for one subscriber as Marketing Cloud does
(HTML body, then text body, then subject line, sharing variables); ``content_error`` checks
the parts of an email and says what is wrong where. No I/O: data extensions are read through
the environment's ``DataSource``.
"""

from __future__ import annotations

from collections.abc import Mapping

from sendwell.domain.ampscript.compile import Program, ScriptedTemplate, compile_content
from sendwell.domain.ampscript.errors import AmpscriptError, RecipientSkipped
from sendwell.domain.ampscript.runtime import (
    DEFAULT_ENVIRONMENT,
    Context,
    DataSource,
    RenderEnvironment,
    system_now,
)
from sendwell.domain.personalization import Template, compile_template

__all__ = [
    "DEFAULT_ENVIRONMENT",
    "PART_ORDER",
    "AmpscriptError",
    "Context",
    "DataSource",
    "Program",
    "RecipientSkipped",
    "RenderEnvironment",
    "ScriptedTemplate",
    "compile_content",
    "content_error",
    "render_parts",
    "system_now",
]

PART_ORDER = ("HTMLBody", "TextBody", "Subject")
"""The order Marketing Cloud runs an email's parts in: a variable set in the HTML body is seen
by the text body and the subject line."""


def content_error(parts: Mapping[str, str | None]) -> AmpscriptError | None:
    """The first part (in ``PART_ORDER``, then any others) that does not compile, or None."""
    for name in sorted(parts, key=lambda p: PART_ORDER.index(p) if p in PART_ORDER else 9):
        content = parts[name]
        if not content:
            continue
        try:
            compile_template(content)
        except AmpscriptError as exc:
            return exc.in_part(name)
    return None


def render_parts(
    parts: Mapping[str, str | None],
    values: Mapping[str, object],
    env: RenderEnvironment = DEFAULT_ENVIRONMENT,
) -> dict[str, str]:
    """Render the parts of one email for one subscriber, in Marketing Cloud's order.

    Raises ``AmpscriptError`` (naming the part) and ``RecipientSkipped`` (``RaiseError``).
    """
    compiled: dict[str, Template] = {}
    for name, content in parts.items():
        if content is None:
            continue
        try:
            compiled[name] = compile_template(content)
        except AmpscriptError as exc:
            raise exc.in_part(name) from None
    context = Context(values, env)
    ordered = sorted(compiled, key=lambda p: PART_ORDER.index(p) if p in PART_ORDER else 9)
    for name in ordered:
        template = compiled[name]
        if isinstance(template, ScriptedTemplate):
            try:
                template.program.run(context)
            except AmpscriptError as exc:
                raise exc.in_part(name) from None
    filled = {**values, **context.slots}
    return {
        name: (t.fill(filled) if isinstance(t, ScriptedTemplate) else t.render(filled))  # type: ignore[arg-type]
        for name, t in compiled.items()
    }
