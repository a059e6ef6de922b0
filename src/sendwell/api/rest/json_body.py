"""Reading a REST request's JSON body: one parser, so every route refuses the same bad input.

The body's size is bounded before it gets here (``api.asgi.BodyLimit``). What is refused
here: text that is not JSON or not UTF-8, nesting deeper than any real request (Python's
parser would raise ``RecursionError``), ``NaN`` and ``Infinity`` (not JSON), and lone UTF-16
surrogates (``"\\ud800"``), which JSON's grammar allows but no database or encoder takes.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from sendwell.api.rest.errors import RestError
from sendwell.domain.errors import REST_MALFORMED_JSON

# Deeper than any Marketing Cloud request (the Send API's are four levels deep).
MAX_DEPTH = 64


class MalformedJson(ValueError):
    """The body is not a JSON document Sendwell reads; the message says why."""


def parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw`` (``{}`` when empty); raises MalformedJson."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except MalformedJson:
        raise
    except RecursionError:
        raise MalformedJson("The request body is nested too deeply.") from None
    except (ValueError, UnicodeDecodeError):
        raise MalformedJson("The request body is not valid JSON.") from None
    _check(value, 0)
    return value


def _no_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not a JSON value.")  # Python's parser takes NaN, Infinity


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise MalformedJson(f"The request body is nested more than {MAX_DEPTH} levels deep.")
    if isinstance(value, str):
        _check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedJson(
            "The request body holds a lone UTF-16 surrogate (such as \\ud800)."
        ) from None


async def json_value(request: Request) -> Any:
    """The body as any JSON value (an array, for rowsets), or a 400 with errorcode 10004."""
    try:
        return parse_json(await request.body())
    except MalformedJson as exc:
        raise RestError(400, str(exc), REST_MALFORMED_JSON) from None


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or a 400 with errorcode 10004 (malformed message)."""
    try:
        body = parse_json(await request.body())
    except MalformedJson as exc:
        raise RestError(400, str(exc), REST_MALFORMED_JSON) from None
    if not isinstance(body, dict):
        raise RestError(400, "The request body must be a JSON object", REST_MALFORMED_JSON)
    return body
