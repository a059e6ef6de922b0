"""Domain errors: values that the API layers map to a SOAP result/fault or a REST JSON error.

Codes follow Marketing Cloud's published error codes where one exists (0_99, 42000-42117,
310000-310007); each protocol maps them in exactly one place.
"""

from __future__ import annotations


class SendwellError(Exception):
    """Base of every error a caller may see. ``code`` is Marketing Cloud's ErrorCode."""

    code: int = 2

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(SendwellError):
    """A referenced object does not exist in the caller's account."""

    code = 3


class Invalid(SendwellError):
    """The request is well-formed XML/JSON but asks for something impossible."""

    code = 2


class Duplicate(SendwellError):
    """An object with that key already exists."""

    code = 1


class AuthError(SendwellError):
    """Credentials missing, wrong, or not allowed for the requested account."""

    code = 12


class TokenExpired(AuthError):
    """A token that was valid has expired; SDKs refresh and retry on this."""


class ScopeError(AuthError):
    """A token or token request asks for a scope the package does not have."""


class LoginFailed(AuthError):
    """Wrong credentials: an unknown user or client, or a wrong password or secret."""


class LoginThrottled(AuthError):
    """Too many failed logins for this user, client or address: refused without checking."""

    def __init__(self, retry_after: int, reason: str = "too many failed attempts") -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(f"Login failed: {reason}, retry after {retry_after} {unit}.")
        self.retry_after = retry_after


class Forbidden(SendwellError):
    """Authenticated, but not allowed to act on the requested business unit."""

    code = 4


class InsufficientPrivileges(SendwellError):
    """The access token lacks the scope an operation needs (REST 403 / 20002).

    Over SOAP it is a per-object error, and Retrieve's ``Error: API Permission Failed …``;
    the code is the fault code table's AuthorizationFailure (11). Marketing Cloud's own
    per-object code for a missing scope is not published: inferred.
    """

    code = 11


class WrongState(SendwellError):
    """The object exists but its state forbids the operation (REST errorcode 30002)."""

    code = 30002


# REST error codes (Marketing Cloud's error-handling table).
REST_MISSING_FIELD = 10002
REST_INVALID_VALUE = 10005
REST_INVALID_TYPE = 10001
REST_NOT_FOUND = 30003

# Marketing Cloud's EmailSendDefinition codes (42000-42117).
ESD_NOT_FOUND = 42002
ESD_CLASSIFICATION_NOT_FOUND = 42003
ESD_EMAIL_NOT_FOUND = 42004
ESD_EMAIL_NOT_SPECIFIED = 42005
ESD_LIST_NOT_FOUND = 42007
ESD_DE_NOT_FOUND = 42008
ESD_CUSTOMER_KEY_INVALID = 42100
ESD_INVALID_PERSONALIZATION = 42106
ESD_SEND_DEFINITION_LIST_INVALID = 42110
