"""ASGI middleware around every route: request body limits, and the last line for errors.

Both answer in the caller's protocol through one ``Answer`` function the application gives
them (a SOAP fault on the SOAP endpoint, Marketing Cloud's JSON error elsewhere).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("sendwell")

# (scope, HTTP status, message) -> the response to send, in the caller's protocol.
Answer = Callable[[Scope, int, str], Response]


class BodyTooLarge(Exception):
    """Raised from ``receive`` once a request body passes its limit; ``BodyLimit`` answers."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request is larger than the limit of {limit} bytes.")
        self.limit = limit


class BodyLimit:
    """Refuse a request body over its route's limit while it streams in, never holding it.

    A declared ``Content-Length`` over the limit is refused before the route runs; a chunked
    body is counted as the route reads it, and refused the moment it passes the limit. Either
    way the answer is a 413 (or, on the SOAP endpoint, a fault) and the server discards the
    rest of the body, so the connection stays usable.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int], answer: Answer) -> None:
        self.app = app
        self.limit_for = limit_for
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = self.answer(
            scope, 413, f"The request is larger than the limit of {limit} bytes."
        )
        if _header(scope, b"expect").lower() == b"100-continue":
            # The client waits for "100 Continue" and will not send the body: this connection
            # cannot carry another request.
            response.headers["Connection"] = "close"
        await response(scope, receive, send)


_REPEATED_SLASHES = re.compile(r"/{2,}")


class CollapseSlashes:
    """Serve ``//data/v1/async/…`` as ``/data/v1/async/…``: one slash for each run of them.

    FuelSDKWrapper joins its REST base (which ends with ``/``) and ``/data/v1/…``; Marketing
    Cloud serves such paths (triggered-transactional.md section 1), and no route of Sendwell's
    has an empty path segment.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            path = _REPEATED_SLASHES.sub("/", scope["path"])
            raw = _REPEATED_SLASHES.sub("/", scope.get("raw_path", b"").decode("latin-1"))
            scope = {**scope, "path": path, "raw_path": raw.encode("latin-1")}
        await self.app(scope, receive, send)


class CatchUnexpected:
    """The last line: an error no handler took is logged and answered with a 500.

    It must not reach the server: uvicorn closes the keep-alive connection of a request whose
    application raised, and the client's next request on it fails with ECONNRESET.
    """

    def __init__(self, app: ASGIApp, answer: Answer) -> None:
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await self.answer(scope, 500, "Internal Server Error")(scope, receive, send)


def _header(scope: Scope, name: bytes) -> bytes:
    return next((v for k, v in scope.get("headers", ()) if k.lower() == name), b"")


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length").strip()
    return int(value) if value.isdigit() else None
