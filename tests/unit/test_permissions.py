"""Scopes by area and access; the object table covers every object type."""

from __future__ import annotations

import pytest

from sendwell.domain.errors import InsufficientPrivileges
from sendwell.domain.permissions import (
    EMAIL,
    SEND_API,
    TRACKING_EVENTS,
    UNRESTRICTED,
    Access,
    Rights,
)


def test_each_access_needs_its_own_scope() -> None:
    rights = Rights(frozenset({"email_read"}))
    assert rights.allows(EMAIL, Access.READ)
    assert not rights.allows(EMAIL, Access.WRITE) and not rights.allows(EMAIL, Access.SEND)
    assert not rights.allows(TRACKING_EVENTS, Access.READ)
    with pytest.raises(InsufficientPrivileges) as refused:
        rights.require(EMAIL, Access.SEND, "Perform start on EmailSendDefinition")
    assert refused.value.code == 11
    assert (
        "Perform start on EmailSendDefinition needs the scope email_send" in refused.value.message
    )


def test_the_send_api_takes_either_scope_family() -> None:
    assert Rights(frozenset({"marketing_cloud_connect_send"})).allows(SEND_API, Access.SEND)
    assert Rights(frozenset({"email_send"})).allows(SEND_API, Access.SEND)
    assert not Rights(frozenset({"email_read"})).allows(SEND_API, Access.SEND)


def test_no_scopes_allow_nothing_and_users_are_unrestricted() -> None:
    assert not Rights(frozenset()).allows(EMAIL, Access.READ)
    assert UNRESTRICTED.allows(TRACKING_EVENTS, Access.WRITE)
