"""Domain errors: values that the API layers map to a SOAP result/fault or a REST JSON error.

Each error carries Marketing Cloud's error code for the SOAP partner API (``code``); the REST
layer maps the error's class (or a REST code given explicitly) to an HTTP status and errorcode
in ``api.rest.errors``. The codes are named here, once, with the page that documents them.
"""

from __future__ import annotations

# A message is shown to the caller and logged: however it was built, it stays this short.
MESSAGE_LIMIT = 1000
# How much of a caller's value a message quotes (``shown``).
QUOTE_LIMIT = 80


def shown(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)``, cut to about ``limit`` characters: a message never echoes a huge value."""
    return _cut(repr(value), value, limit)


def clipped(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``str(value)`` cut like ``shown``, for values a message writes unquoted (an Id)."""
    return _cut(str(value), value, limit)


def _cut(text: str, value: object, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(str(value)):,} characters)"


def bounded(message: str) -> str:
    """A message cut to MESSAGE_LIMIT characters, whatever values it quotes."""
    if len(message) <= MESSAGE_LIMIT:
        return message
    return message[:MESSAGE_LIMIT] + "…"


class SendwellError(Exception):
    """Base of every error a caller may see. ``code`` is Marketing Cloud's ErrorCode."""

    code: int = 2
    # Over REST the problem is also listed under ``validationErrors`` (Content Builder's shape).
    listed: bool = False

    def __init__(self, message: str, code: int | None = None) -> None:
        message = bounded(message)
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


class InvalidGrant(AuthError):
    """An authorization code or refresh token that is unknown, used, expired, or not the
    caller's; or a PKCE verifier or redirect URI that does not match (OAuth's invalid_grant)."""


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


class RowsRejected(SendwellError):
    """Rows of a data extension were refused (REST errorcode 10006), each problem in
    ``additional`` (the REST body's ``additionalErrors``, each with errorcode 10000)."""

    code = 10006

    def __init__(self, message: str, additional: list[str]) -> None:
        super().__init__(message)
        self.additional = [bounded(m) for m in additional[:ADDITIONAL_LIMIT]]


# The most problems one RowsRejected lists: a 5 MB rowset of bad rows stays a short answer.
ADDITIONAL_LIMIT = 100


class WrongState(SendwellError):
    """The object exists but its state forbids the operation (REST errorcode 30002)."""

    code = 30002


# --- SOAP partner API error codes --------------------------------------------------------------
# General codes 1-17: Marketing Cloud's "Error Codes 0-99" page (mc-apis, error_codes_0_99),
# summarised in /work/shared/api/soap-partner-api.md section 7.1.
ERR_DUPLICATE = 1  # name (partner key) already exists
ERR_GENERAL = 2  # general exception; also Sendwell's code for a malformed request value
ERR_NOT_FOUND = 3  # the object to update (or act on) does not exist
ERR_NO_ACCESS = 4  # "You don't have access to an account with ..."
ERR_CANNOT_PERFORM = 5  # "Cannot perform {method} on objects of type {object}"
ERR_NO_OBJECT = 6  # "No object specified at 0-based index {index}"
ERR_UNSUPPORTED_TYPE = 8  # "This operation does not support the APIObject of type [type]"
ERR_LOGIN = 12  # bad username or password (a Security fault)

# EmailSendDefinition codes 42000-42117: "Error Codes 42000-42117" (mc-apis,
# emailsenddefinition_error_codes), soap-partner-api.md section 7.1.
ESD_NOT_IMPLEMENTED = 42000
ESD_NOT_FOUND = 42002
ESD_CLASSIFICATION_NOT_FOUND = 42003
ESD_EMAIL_NOT_FOUND = 42004
ESD_EMAIL_NOT_SPECIFIED = 42005
ESD_LIST_NOT_FOUND = 42007
ESD_DE_NOT_FOUND = 42008
ESD_CUSTOMER_KEY_INVALID = 42100
ESD_NAME_INVALID = 42101
ESD_SUBJECT_INVALID = 42103
ESD_INVALID_PERSONALIZATION = 42106
ESD_SEND_DEFINITION_LIST_INVALID = 42110

# TriggeredSendDefinition codes 17000-17205: "Error Codes 17000-17999" (mc-apis,
# 17000_17999_triggeredsenddefinition_object), triggered-transactional.md section 2.7.
TSD_CANNOT_BE_ACTIVATED = 17000
TSD_CANNOT_BE_CANCELED = 17001
TSD_CANNOT_BE_DEACTIVATED = 17002
TSD_CANNOT_BE_UPDATED = 17003
TSD_CANNOT_BE_DELETED = 17004
TSD_SEND_CLASSIFICATION_NOT_FOUND = 17014
TSD_NOT_FOUND = 17015
TSD_EMAIL_NOT_FOUND = 17016
TSD_LIST_NOT_FOUND = 17017
TSD_CUSTOMER_KEY_INVALID = 17100
TSD_NAME_INVALID = 17101
TSD_EMAIL_SUBJECT_INVALID = 17102
TSD_FROM_ADDRESS_INVALID = 17106
TSD_BCC_EMAIL_INVALID = 17108
TSD_EMAIL_INVALID = 17111
TSD_INVALID_PERSONALIZATION = 17112

# TriggeredSend codes 18000-18006: "Error Codes 18000-18999" (mc-apis, 18999.htm), and 180008
# "Unable to queue Triggered Send request. There are no valid subscribers." (section 6.2).
TS_NOT_FOUND = 18000
TS_DEFINITION_NEW = 18001
TS_DEFINITION_INVALID = 18002
TS_SUBSCRIBER_PROCESSING = 18006
TS_NO_VALID_SUBSCRIBERS = 180008

# Schedule codes 140-194: "Error Codes 100-199 Perform and Schedule Method" (mc-apis,
# 100_199_perform_and_schedule_method), triggered-transactional.md section 4.3.
SCHEDULE_INVALID = 140  # Schedule_Validation Error
SCHEDULE_RANGE_TYPE_MISSING = 150
SCHEDULE_START_MISSING = 151
SCHEDULE_END_MISSING = 152
SCHEDULE_OCCURRENCES_MISSING = 153
SCHEDULE_DAILY_PATTERN_MISSING = 160
SCHEDULE_DAILY_INTERVAL_MISSING = 161
SCHEDULE_WEEKLY_PATTERN_MISSING = 170
SCHEDULE_MONTHLY_PATTERN_MISSING = 180
SCHEDULE_MONTHLY_INTERVAL_MISSING = 181
SCHEDULE_MONTHLY_DAY_MISSING = 182
SCHEDULE_MONTHLY_WEEK_MISSING = 183
SCHEDULE_MONTHLY_DAY_OF_WEEK_MISSING = 184
SCHEDULE_YEARLY_PATTERN_MISSING = 190
SCHEDULE_YEARLY_DAY_MISSING = 191
SCHEDULE_YEARLY_DAY_OF_WEEK_MISSING = 192
SCHEDULE_YEARLY_WEEK_MISSING = 193
SCHEDULE_YEARLY_MONTH_MISSING = 194

# DataExtension codes 310000-310099: "DataExtension Object Error Codes" (mc-apis,
# 310000_310099_dataextension_object), soap-partner-api.md section 7.1.
DE_NOT_FOUND = 310001  # no key found among ObjectID, CustomerKey and Name
DE_ROW_NOT_FOUND = 310002  # delete target not found
DE_FIELDS_INVALID = 310003
DE_ROW_INVALID = 310007

# Subscriber codes. 180008 is evidenced for a triggered send with no valid subscriber
# (triggered-transactional.md section 6.2); using it for an invalid address and 12014 for a
# duplicate subscriber is Sendwell's choice (no public source found).
SUBSCRIBER_DUPLICATE = 12014
SUBSCRIBER_EMAIL_INVALID = 180008

# "The DataFilter that was provided is invalid." (FuelSDK-Node-SOAP issue #121).
FILTER_INVALID = 373009

# --- REST error codes: Marketing Cloud's error-handling table (send-api-rest.md section 8.2) ----
REST_NOT_AUTHORIZED = 0
REST_GENERIC = 10000
REST_INVALID_TYPE = 10001
REST_MISSING_FIELD = 10002
REST_MALFORMED_JSON = 10004
REST_INVALID_VALUE = 10005
REST_AGGREGATE = 10006  # "Unable to save rows …" with additionalErrors
REST_FORBIDDEN = 20000
REST_INSUFFICIENT_PRIVILEGES = 20002
REST_INVALID_OPERATION = 30001
REST_WRONG_STATE = 30002
REST_NOT_FOUND = 30003
REST_EXISTS = 30004
REST_RATE_LIMITED = 50100
REST_TEMPORARILY_BLOCKED = 50200
