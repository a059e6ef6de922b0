"""Tokens in query strings never reach the access log."""

from __future__ import annotations

import logging

from sendwell.api.access_log import REDACTED, RedactSecrets, redact_query


def test_secret_parameters_are_redacted_however_they_are_spelled() -> None:
    assert redact_query("/x?access_token=SECRET") == f"/x?access_token={REDACTED}"
    assert (
        redact_query("/x?a=1&Access%5Ftoken=SECRET&b=2") == f"/x?a=1&Access%5Ftoken={REDACTED}&b=2"
    )
    assert redact_query("/x?a=1&b=access_token") == "/x?a=1&b=access_token"
    assert (
        redact_query("GET /x?access_token=S HTTP/1.1") == f"GET /x?access_token={REDACTED} HTTP/1.1"
    )
    assert redact_query("/plain/path") == "/plain/path"


def test_the_filter_rewrites_uvicorns_access_record() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/platform/v1/endpoints?access_token=SECRET", "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    assert "SECRET" not in record.getMessage() and REDACTED in record.getMessage()
