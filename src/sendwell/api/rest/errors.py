"""REST error replies: Marketing Cloud's ``{message, errorcode, documentation}`` JSON shape."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

DOCS = "https://developer.salesforce.com/docs/marketing/marketing-cloud/guide/error-handling.html"


class RestError(Exception):
    """An error to send as JSON with an HTTP status."""

    def __init__(
        self, status: int, message: str, errorcode: int = 0, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errorcode = errorcode
        self.headers = headers or {}


class OAuthError(Exception):
    """An OAuth error, in the ``{error, error_description, error_uri}`` shape."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


async def rest_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RestError)
    return JSONResponse(
        {"message": exc.message, "errorcode": exc.errorcode, "documentation": DOCS},
        status_code=exc.status,
        headers=exc.headers,
    )


async def oauth_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OAuthError)
    return JSONResponse(
        {
            "error": exc.error,
            "error_description": exc.description,
            "error_uri": "https://developer.salesforce.com/docs",
        },
        status_code=exc.status,
        headers={"Cache-Control": "no-store"},
    )
