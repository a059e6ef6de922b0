"""Why a recipient was not sent: Marketing Cloud's subscriber error codes.

The same table serves triggered sends (SOAP ``SubscriberFailures``, ``NotSentEvent``) and the
Transactional Messaging API (``EmailNotSent`` statusCode/statusMessage); source: the
transactional-send-subscriber page of Marketing Cloud's docs and ExactTarget's "Email Send
Error Codes" (shared/api/triggered-transactional.md §3.4).
"""

from __future__ import annotations

UNSUBSCRIBED = 1
HELD = 2
MISSING_EMAIL_ADDRESS = 4
INVALID_EMAIL_ADDRESS = 5
INVALID_SUBSCRIBER_ID = 7
INVALID_OWNER = 12  # the Owner's From address (InvalidOwnerIDProvided)
MISSING_SUBSCRIBER_ID = 8
UNSPECIFIED = 15
INVALID_ATTRIBUTE_VALUE = 16
ATTRIBUTE_VALUE_TOO_LONG = 17
SUBSCRIBER_KEY_TOO_LONG = 30
QUEUED_TRANSACTION_DELETED = 37
SUBSCRIBER_QUEUE_CLEARED = 39
EXCLUDED = 102
MESSAGE_BUILD_ERROR = 103
SCRIPT_RAISE_ERROR = 111

NAMES = {
    1: "Unsubscribed",
    2: "Held",
    3: "PartnerUnsubscribed",
    4: "MissingEmailAddress",
    5: "InvalidEmailAddress",
    6: "DuplicateEmail",
    7: "InvalidSubscriberIDProvided",
    8: "MissingSubscriberID",
    10: "MissingRequiredAttributes",
    12: "InvalidOwnerIDProvided",
    15: "UnspecifiedError",
    16: "InvalidAttributeValue",
    17: "AttributeValueMaxLengthErr",
    29: "MissingSubscriberKeyValue",
    30: "SubscriberKeyTooLong",
    37: "QueuedTransactionDeleted",
    39: "SubscriberQueueCleared",
    100: "Error",
    102: "Excluded",
    103: "MessageBuildError",
    111: "ScriptRaiseError",
}

# How a SOAP SubscriberFailures entry reads a code (the ErrorDescription form the docs' sample
# prints: "Error Code: 5 - The Email Address for this subscriber has invalid syntax."); the
# other codes are described by their name (inferred).
DESCRIPTIONS = {
    1: "The subscriber is unsubscribed.",
    2: "The subscriber is held (too many hard bounces).",
    4: "The subscriber has no email address.",
    5: "The Email Address for this subscriber has invalid syntax.",
    8: "The subscriber has no subscriber key.",
    12: "The From address given for this subscriber is not valid.",
    102: "The subscriber is on an exclusion list of the definition.",
    17: "An attribute value is longer than the limit.",
    30: "The subscriber key is longer than 254 characters.",
}


def name(code: int) -> str:
    """The code's name (statusMessage of the transactional API)."""
    return NAMES.get(code, "UnspecifiedError")


def description(code: int) -> str:
    """The ErrorDescription of a SOAP SubscriberFailures entry."""
    return f"Error Code: {code} - {DESCRIPTIONS.get(code, name(code))}"
