"""Bounds on what callers send: integer IDs, page numbers, and the lengths of named fields.

One place decides them for every protocol and both stores, so a number no object can have is
"not found" (never a database overflow), and a key or name too long for Marketing Cloud is
refused before it is stored or echoed back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sendwell.domain.errors import ESD_CUSTOMER_KEY_INVALID, ESD_NAME_INVALID, Invalid

# Marketing Cloud's object IDs are xsd:int in the partner WSDL, and the store's integer id
# columns are 32-bit on PostgreSQL (SQLite's are 64-bit): a larger number names no object.
MAX_ID = 2**31 - 1
# Page numbers of REST listings: with at most 500 per page the offset stays far below 2**63.
MAX_PAGE = MAX_ID

_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value: object) -> int | None:
    """``value`` (an int or a string of ASCII digits) as an ID an object may have, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 0 < number <= MAX_ID else None


# The longest value each field may have, for every object type unless a type names its own.
# Documented by Marketing Cloud: CustomerKey 36 ("Add a customer key ... with a 36-character
# limit", mc-apis customer_key.htm; "Limit data extension external keys to 36 characters",
# creating_a_data_extension_using_web_service_api.htm), SubscriberKey 254 ("A subscriber key is
# limited to 254 characters", help mc_es_subscriber_key.htm), EmailAddress 254 (the EmailAddress
# field type, and RFC 5321's path limit). The others are Sendwell's choice where Marketing
# Cloud publishes none: long enough for any real name, short enough to quote.
FIELD_LIMITS: dict[str, int] = {
    "CustomerKey": 36,
    "ExternalKey": 36,  # the REST Send API's name for it
    "Name": 128,
    "ListName": 128,
    "SubscriberKey": 254,
    "EmailAddress": 254,
    "FromAddress": 254,
    "ReplyToAddress": 254,
    "FromName": 256,
    "Subject": 1000,
    "EmailSubject": 1000,
    "Description": 4000,
}
TYPE_LIMITS: dict[tuple[str, str], int] = {
    # Marketing Cloud takes longer data extension keys (its docs warn against them); scripts
    # often use the name as the key, so a data extension's key may be as long as its name.
    ("DataExtension", "CustomerKey"): 128,
}
# Marketing Cloud's own codes where it has one for the field (EmailSendDefinition).
_CODES: dict[tuple[str, str], int] = {
    ("EmailSendDefinition", "CustomerKey"): ESD_CUSTOMER_KEY_INVALID,
    ("EmailSendDefinition", "Name"): ESD_NAME_INVALID,
}
# An echoed field without a limit of its own (an HTML body in an error result) is cut here.
ECHO_LIMIT = 1024


def limit_of(type_name: str, field: str) -> int | None:
    """The longest value ``field`` of ``type_name`` may hold, or None when it is not limited."""
    return TYPE_LIMITS.get((type_name, field), FIELD_LIMITS.get(field))


def check_lengths(type_name: str, obj: Mapping[str, Any]) -> None:
    """Refuse a value longer than its field allows, naming the field and the limit."""
    for field, value in obj.items():
        limit = limit_of(type_name, field)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            raise Invalid(
                f"The {field} of the {type_name} is {len(value):,} characters long; "
                f"at most {limit} are allowed.",
                _CODES.get((type_name, field)),
            )


def bounded_echo(value: Any, type_name: str = "", field: str = "") -> Any:
    """A copy of a caller's object to echo in an error result, every string cut to its limit."""
    if isinstance(value, Mapping):
        inner = str(value.get("__type__") or type_name)
        return {k: bounded_echo(v, inner, k) for k, v in value.items()}
    if isinstance(value, list):
        return [bounded_echo(v, type_name, field) for v in value]
    if isinstance(value, str):
        limit = limit_of(type_name, field) or ECHO_LIMIT
        return value if len(value) <= limit else value[: limit - 1] + "…"  # visibly cut
    return value
