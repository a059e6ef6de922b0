"""An email's content as Marketing Cloud treats it: personalization strings, or AMPscript.

``compile_template`` compiles one part once: plain personalization strings become a
``Template``, text with AMPscript (or a computed system string) a ``ScriptedTemplate`` of the
same shape. ``content_error`` checks the parts of an email and says what is wrong where;
``render_parts`` renders them for one subscriber in Marketing Cloud's order, sharing variables.
"""

from __future__ import annotations

from collections.abc import Mapping

from sendwell.domain.ampscript import (
    DEFAULT_ENVIRONMENT,
    AmpscriptError,
    Context,
    RenderEnvironment,
    ScriptedTemplate,
    compile_content,
)
from sendwell.domain.personalization import Template, compile_personalization, needs_ampscript

PART_ORDER = ("HTMLBody", "TextBody", "Subject")
"""The order Marketing Cloud runs an email's parts in: a variable set in the HTML body is seen
by the text body and the subject line."""


def compile_template(text: str, as_written: bool = True) -> Template:
    """Compile one part; AMPscript that does not compile raises ``AmpscriptError`` (a
    ``ValueError``) naming line and column. A ``%%Name%%`` the values lack renders as written
    (Marketing Cloud's render of a name that is no attribute), or as "" if not ``as_written``."""
    template = compile_personalization(text, as_written)
    if needs_ampscript(text, template):
        return compile_content(text, as_written).template
    return template


def _in_order(names: Mapping[str, object]) -> list[str]:
    return sorted(names, key=lambda p: PART_ORDER.index(p) if p in PART_ORDER else 9)


def content_error(parts: Mapping[str, str | None]) -> AmpscriptError | None:
    """The first part (in ``PART_ORDER``, then any others) that does not compile, or None."""
    for name in _in_order(parts):
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
    for name in _in_order(compiled):
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
