"""Content: blocks and areas of the account's content, content built at run time
(``TreatAsContent``), and the markers that render as nothing (impression regions, asset blocks).

Blocks come from the environment's ``ContentSource``. A block is AMPscript content of its own:
it runs where it is called, shares the variables and personalization of the message, and its
output is what the call returns (called as a statement, what it writes is dropped, as in
Marketing Cloud: ampscript-core's corpus, Content/DynamicContent.txt). Blocks within blocks are
limited to ``RenderEnvironment.max_depth`` levels; their output counts toward the part's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sendwell.domain.ampscript.errors import AmpscriptError, FunctionError
from sendwell.domain.ampscript.registry import OutputVariable, function
from sendwell.domain.ampscript.runtime import Context, Output
from sendwell.domain.ampscript.values import Value, boolean, text


def _embedded(ctx: Context, content: str, what: str) -> str:
    return render_embedded(ctx, content, what)


def _required(value: Value, what: str) -> str:
    shown = text(value)
    if not shown:
        raise FunctionError(f"the {what} is empty")
    return shown


def _block(ctx: Context, by: str, args: Sequence[Value], what: str) -> Value:
    """ContentBlockBy*(ref, [impression region], [error if missing], [default], [@status])."""
    ref = _required(args[0], what)
    source = ctx.env.content
    if source is None:
        raise FunctionError("no content blocks can be read here")
    try:
        found = source.block(by, ref)
    except ValueError:  # a source that knows no such lookup (content areas) has none
        found = None
    status = args[4] if len(args) > 4 else None
    default = text(args[3]) if len(args) > 3 else ""
    if found is None:
        if isinstance(status, OutputVariable):
            status.set(ctx, Decimal(-1))
        if len(args) < 3 or boolean(args[2]):
            raise FunctionError(f"no content block has the {what} {ref!r}")
        return default
    rendered = _embedded(ctx, found, f"content block {ref!r}")
    if isinstance(status, OutputVariable):
        status.set(ctx, Decimal(0))
    return rendered


def _register_block(name: str, by: str, what: str) -> None:
    def run(ctx: Context, args: Sequence[Value]) -> Value:
        return _block(ctx, by, args, what)

    function(name, 1, 5, outputs=(4,))(run)


for _name, _by, _what in (
    ("ContentBlockByName", "name", "name"),
    ("ContentBlockByKey", "key", "customer key"),
    ("ContentBlockByID", "id", "ID"),
    # Classic content areas go through the same source; a source without them refuses.
    ("ContentArea", "area_id", "content area ID"),
    ("ContentAreaByName", "area_name", "content area name"),
):
    _register_block(_name, _by, _what)


@function("TreatAsContent", 1)
def _treat_as_content(ctx: Context, args: Sequence[Value]) -> Value:
    content = text(args[0])
    if not content.strip():
        return content
    return _embedded(ctx, content, "TreatAsContent")


@function("TreatAsContentArea", 2, 3)
def _treat_as_content_area(ctx: Context, args: Sequence[Value]) -> Value:
    # The first argument keys Marketing Cloud's cache of the content; it renders the same.
    content = text(args[1])
    if not content.strip():
        return content
    return _embedded(ctx, content, "TreatAsContentArea")


def embedded_text(ctx: Context, value: str, what: str) -> str:
    """``value`` with the AMPscript it carries run (URLEncode reads its URL so)."""
    if "%%" not in value:
        return value
    return _embedded(ctx, value, what)


# Tracking markers: Marketing Cloud counts impressions between them; they render as nothing.
@function("BeginImpressionRegion", 1)
def _begin_impression_region(ctx: Context, args: Sequence[Value]) -> Value:
    return ""


@function("EndImpressionRegion", 0, 1)
def _end_impression_region(ctx: Context, args: Sequence[Value]) -> Value:
    return ""


@function("BeginAssetBlock", 1)
def _begin_asset_block(ctx: Context, args: Sequence[Value]) -> Value:
    return ""


@function("EndAssetBlock", 0)
def _end_asset_block(ctx: Context, args: Sequence[Value]) -> Value:
    return ""


_COMPILED_KEPT = 256  # distinct run-time contents a job keeps compiled


def render_embedded(ctx: Context, content: str, what: str) -> str:
    """What ``content`` (a content block, TreatAsContent's text) renders to in ``ctx``: it
    shares the variables, writes into an output of its own and is compiled once per job.
    Errors name ``what`` and the line and column inside it."""
    from sendwell.domain.ampscript.compile import Program, compile_content  # it imports this

    env = ctx.env
    if ctx.depth >= env.max_depth:
        raise FunctionError(f"content is nested more than {env.max_depth} levels deep")
    program = env.compiled.get(content)
    if program is None:
        try:
            program = compile_content(content)
        except AmpscriptError as exc:
            raise FunctionError(f"{what}: {exc}") from None
        if len(env.compiled) >= _COMPILED_KEPT:
            env.compiled.clear()
        env.compiled[content] = program
    assert isinstance(program, Program)
    outer, slots, as_written, running = ctx.out, ctx.slots, ctx.as_written, ctx.program
    ctx.out = Output(max(outer.limit - outer.size, 0))
    ctx.slots = {}  # its own: the same block may run inside itself
    ctx.depth += 1
    try:
        program.run(ctx)
        return program.template.fill({**ctx.values, **ctx.slots})  # type: ignore[dict-item]
    except AmpscriptError as exc:
        raise FunctionError(f"{what}: {exc}") from None
    finally:
        ctx.out, ctx.slots, ctx.as_written, ctx.program = outer, slots, as_written, running
        ctx.depth -= 1
