"""REST error replies: Marketing Cloud's ``{message, errorcode, documentation}`` JSON shape.

Domain errors (``sendwell.domain.errors``) are mapped to an HTTP status and a REST errorcode
here and only here: by the REST code an error carries, else by its class. Routes raise domain
errors and let them pass; the Send API wraps the same mapping in its own envelope.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from sendwell.domain import errors as e

DOCS = "https://developer.salesforce.com/docs/marketing/marketing-cloud/guide/error-handling.html"

# HTTP status of each REST errorcode (Marketing Cloud's error-handling table, send-api-rest.md
# section 8.2).
REST_STATUS: dict[int, int] = {
    e.REST_GENERIC: 400,
    e.REST_INVALID_TYPE: 400,
    e.REST_MISSING_FIELD: 400,
    10003: 400,  # incorrect format
    e.REST_MALFORMED_JSON: 400,
    e.REST_INVALID_VALUE: 400,
    e.REST_AGGREGATE: 400,
    e.REST_FORBIDDEN: 403,
    20001: 403,  # business rule not set
    e.REST_INSUFFICIENT_PRIVILEGES: 403,
    30000: 400,  # runtime, generic
    e.REST_INVALID_OPERATION: 400,
    e.REST_WRONG_STATE: 409,
    e.REST_NOT_FOUND: 404,
    e.REST_EXISTS: 409,
    e.REST_RATE_LIMITED: 429,
    e.REST_TEMPORARILY_BLOCKED: 429,
}

# Errors without a REST code of their own, by class (most specific first).
_BY_CLASS: tuple[tuple[type[e.SendwellError], int, int], ...] = (
    (e.NotFound, 404, e.REST_NOT_FOUND),
    (e.WrongState, 409, e.REST_WRONG_STATE),
    (e.Duplicate, 409, e.REST_EXISTS),
    (e.ScopeError, 403, e.REST_INSUFFICIENT_PRIVILEGES),
    (e.InsufficientPrivileges, 403, e.REST_INSUFFICIENT_PRIVILEGES),
    (e.LoginThrottled, 429, e.REST_TEMPORARILY_BLOCKED),
    (e.AuthError, 401, e.REST_NOT_AUTHORIZED),
    (e.Forbidden, 403, e.REST_FORBIDDEN),
    (e.Invalid, 400, e.REST_INVALID_VALUE),
)


def rest_error(exc: e.SendwellError) -> tuple[int, int]:
    """The HTTP status and REST errorcode of a domain error."""
    if exc.code in REST_STATUS:
        return REST_STATUS[exc.code], exc.code
    if 109000 <= exc.code < 110000:  # the Transactional Messaging API's validation codes
        return 400, exc.code
    for cls, status, code in _BY_CLASS:
        if isinstance(exc, cls):
            return status, code
    return 400, e.REST_GENERIC


class RestError(Exception):
    """A gateway error (token, media type, malformed JSON) to send as JSON with an HTTP status."""

    def __init__(
        self, status: int, message: str, errorcode: int = 0, headers: dict[str, str] | None = None
    ) -> None:
        message = e.bounded(message)
        super().__init__(message)
        self.status = status
        self.message = message
        self.errorcode = errorcode
        self.headers = headers or {}


class OAuthError(Exception):
    """An OAuth error, in the ``{error, error_description, error_uri}`` shape."""

    def __init__(self, status: int, error: str, description: str) -> None:
        description = e.bounded(description)
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def error_body(message: str, errorcode: int, documentation: str = DOCS) -> dict[str, object]:
    """Marketing Cloud's REST error body."""
    return {"message": message, "errorcode": errorcode, "documentation": documentation}


async def rest_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RestError)
    return JSONResponse(
        error_body(exc.message, exc.errorcode), status_code=exc.status, headers=exc.headers
    )


async def domain_error_handler(_: Request, exc: Exception) -> JSONResponse:
    """Every domain error a REST route lets pass: one status and errorcode per error."""
    assert isinstance(exc, e.SendwellError)
    status, code = rest_error(exc)
    # Marketing Cloud's messaging service (MCMS) leaves "documentation" empty.
    docs = "" if exc.message.startswith("MCMS_") else DOCS
    body = error_body(exc.message, code, docs)
    if exc.listed:
        body["validationErrors"] = [error_body(exc.message, code, "")]
    if isinstance(exc, e.RowsRejected):
        body["additionalErrors"] = [error_body(m, e.REST_GENERIC, "") for m in exc.additional]
    return JSONResponse(body, status_code=status)


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
