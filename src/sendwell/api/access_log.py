"""Keep credentials out of the access log.

Old FuelSDK-Python clients send the OAuth token in the query string (``?access_token=…``,
send-api-rest.md 6.4), and uvicorn's access log prints each request's path with its query
string. ``RedactSecrets`` rewrites those lines before any handler sees them.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus

# Query parameters whose values are credentials (compared without case and after decoding:
# ``access%5Ftoken`` is read as ``access_token`` too).
SECRET_PARAMETERS = frozenset({"access_token", "accesstoken", "legacytoken", "client_secret"})
REDACTED = "[redacted]"
ACCESS_LOGGER = "uvicorn.access"


def redact_query(text: str) -> str:
    """``text`` with the values of secret query parameters in any URL in it replaced."""
    if "?" not in text:
        return text
    path, _, rest = text.partition("?")
    query, space, tail = rest.partition(" ")  # a request line: "GET /p?q HTTP/1.1"
    parts = []
    for part in query.split("&"):
        name, equals, _value = part.partition("=")
        if equals and unquote_plus(name).strip().lower() in SECRET_PARAMETERS:
            part = f"{name}={REDACTED}"
        parts.append(part)
    return f"{path}?{'&'.join(parts)}{space}{redact_query(tail) if space else ''}"


class RedactSecrets(logging.Filter):
    """A filter that redacts secret query parameters in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_query(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def install() -> None:
    """Put the filter on uvicorn's access logger, once (its logging config keeps filters)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
