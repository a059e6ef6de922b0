"""``HTTPGet``, ``HTTPPost`` and ``HTTPPost2``: calls to web servers the operator allows.

The environment's ``HttpSource`` makes the calls (only to the hosts of the
``SENDWELL_AMPSCRIPT_HTTP_HOSTS`` setting, with a timeout and a size cap); without one, or for
any other host, the call fails with a located error. Signatures are Marketing Cloud's:

* ``HTTPGet(url, [continue on error], [empty content: 0 allow, 1 error, 2 skip recipient],
  [@status])``: the body; ``@status`` 0 (done), -1 (refused or not found), -2 (failed),
  -3 (empty). A job fetches each URL once (inferred from Marketing Cloud caching HTTPGet).
* ``HTTPPost(url, content type, content, [@response], [header, value]...)``: the status code;
  ``@response`` receives the body.
* ``HTTPPost2(url, content type, content, exception on error, @status, @response,
  [header, value]...)``: the status code; ``@status`` the reason (``OK``), ``@response`` the
  body. ``HTTPPostWithRetry`` takes a number of retries (at most 3) after the content.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sendwell.domain.ampscript.errors import FunctionError, RecipientSkipped
from sendwell.domain.ampscript.registry import OutputVariable, function
from sendwell.domain.ampscript.runtime import Context, HttpFailure, HttpReply
from sendwell.domain.ampscript.values import Value, boolean, integer, text

_FETCHED_KEPT = 256


def _call(
    ctx: Context, method: str, url: str, body: str | None, headers: list[tuple[str, str]]
) -> HttpReply:
    source = ctx.env.http
    if source is None:
        raise HttpFailure("content may not make network requests here: no host is allowed")
    if not url.strip():
        raise HttpFailure("the URL is empty")
    return source.request(method, url, body, headers)


def _set(target: Value, ctx: Context, value: Value) -> None:
    if isinstance(target, OutputVariable):
        target.set(ctx, value)


def _headers(args: Sequence[Value]) -> list[tuple[str, str]]:
    if len(args) % 2:
        raise FunctionError("headers must come in name/value pairs")
    return [(text(args[i]), text(args[i + 1])) for i in range(0, len(args), 2)]


@function("HTTPGet", 1, 4, outputs=(3,))
def _http_get(ctx: Context, args: Sequence[Value]) -> Value:
    url = text(args[0])
    keep_going = len(args) > 1 and boolean(args[1])
    empty_rule = integer(args[2], "the empty content rule") if len(args) > 2 else 0
    status = args[3] if len(args) > 3 else None
    reply = ctx.env.fetched.get(url)
    try:
        if reply is None:
            reply = _call(ctx, "GET", url, None, [])
            if len(ctx.env.fetched) >= _FETCHED_KEPT:
                ctx.env.fetched.clear()
            ctx.env.fetched[url] = reply
        assert isinstance(reply, HttpReply)
        if not 200 <= reply.status < 300:
            raise HttpFailure(f"the server answered {reply.status} {reply.reason}")
    except HttpFailure as exc:
        _set(status, ctx, Decimal(-1 if "allowed" in exc.message else -2))
        if keep_going:
            return ""
        raise FunctionError(exc.message) from None
    if not reply.text:
        _set(status, ctx, Decimal(-3))
        if empty_rule == 1:
            raise FunctionError(f"{url} returned no content")
        if empty_rule == 2:
            raise RecipientSkipped(f"HTTPGet: {url} returned no content")
        return ""
    _set(status, ctx, Decimal(0))
    return reply.text


@function("HTTPPost", 3, None, outputs=(3,))
def _http_post(ctx: Context, args: Sequence[Value]) -> Value:
    headers = [("Content-Type", text(args[1])), *_headers(args[4:])]
    try:
        reply = _call(ctx, "POST", text(args[0]), text(args[2]), headers)
    except HttpFailure as exc:
        raise FunctionError(exc.message) from None
    _set(args[3] if len(args) > 3 else None, ctx, reply.text)
    return Decimal(reply.status)


MAX_RETRIES = 3  # HTTPPostWithRetry's retries, at most


def _post_with(ctx: Context, args: Sequence[Value], retries: int) -> Value:
    """HTTPPost2's arguments from the URL on: (url, type, content, error?, @status, @response,
    headers…); a failed call or a 5xx is tried again ``retries`` times."""
    headers = [("Content-Type", text(args[1])), *_headers(args[6:])]
    try:
        for attempt in range(retries + 1):
            try:
                reply = _call(ctx, "POST", text(args[0]), text(args[2]), headers)
            except HttpFailure:
                if attempt == retries:
                    raise
                continue
            if reply.status < 500 or attempt == retries:
                break
        if boolean(args[3]) and not 200 <= reply.status < 300:
            raise HttpFailure(f"the server answered {reply.status} {reply.reason}")
    except HttpFailure as exc:
        if boolean(args[3]):
            raise FunctionError(exc.message) from None
        _set(args[4], ctx, exc.message)
        _set(args[5], ctx, "")
        return Decimal(-1)
    _set(args[4], ctx, reply.reason)
    _set(args[5], ctx, reply.text)
    return Decimal(reply.status)


@function("HTTPPost2", 6, None, outputs=(4, 5))
def _http_post2(ctx: Context, args: Sequence[Value]) -> Value:
    return _post_with(ctx, args, 0)


@function("HTTPPostWithRetry", 7, None, outputs=(5, 6))
def _http_post_with_retry(ctx: Context, args: Sequence[Value]) -> Value:
    """(url, type, content, retries, error?, @status, @response, headers…)."""
    retries = min(max(integer(args[3], "the number of retries"), 0), MAX_RETRIES)
    return _post_with(ctx, [*args[:3], *args[4:]], retries)
