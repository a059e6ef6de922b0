"""The REST layer's one mapping of domain errors to an HTTP status and errorcode."""

from __future__ import annotations

import pytest

from sendwell.api.rest.errors import rest_error
from sendwell.domain import errors as e


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (e.NotFound("x"), (404, 30003)),
        (e.NotFound("x", e.ESD_NOT_FOUND), (404, 30003)),  # a SOAP code is not a REST code
        (e.NotFound("x", e.DE_NOT_FOUND), (404, 30003)),
        (e.WrongState("x"), (409, 30002)),
        (e.Duplicate("x"), (409, 30004)),
        (e.Invalid("x"), (400, 10005)),
        (e.Invalid("x", e.ESD_INVALID_PERSONALIZATION), (400, 10005)),
        (e.Invalid("x", e.REST_MISSING_FIELD), (400, 10002)),  # a REST code is kept
        (e.Invalid("x", e.REST_EXISTS), (409, 30004)),
        (e.ScopeError("x"), (403, 20002)),
        (e.TokenExpired("x"), (401, 0)),
        (e.AuthError("x"), (401, 0)),
        (e.Forbidden("x"), (403, 20000)),
        (e.InsufficientPrivileges("x"), (403, 20002)),
        (e.LoginThrottled(5), (429, 50200)),
        (e.SendwellError("x", e.SUBSCRIBER_DUPLICATE), (400, 10000)),
    ],
)
def test_each_domain_error_has_one_status_and_errorcode(error, expected) -> None:
    assert rest_error(error) == expected
