"""Client secret hashes: salted, checked in constant time, old unsalted ones still accepted."""

from __future__ import annotations

import hashlib

from sendwell.domain.secrets import (
    hash_client_secret,
    is_unsalted_secret_hash,
    verify_client_secret,
)


def test_client_secret_hashes_are_salted() -> None:
    first, second = hash_client_secret("same"), hash_client_secret("same")
    assert first != second and first.startswith("sha256$")
    assert hashlib.sha256(b"same").hexdigest() not in (first, second)
    assert verify_client_secret("same", first) and verify_client_secret("same", second)
    assert not verify_client_secret("other", first)
    assert not verify_client_secret("same", "garbage") and not verify_client_secret("same", "a$b")


def test_unsalted_hashes_from_before_still_verify() -> None:
    old = hashlib.sha256(b"old-secret").hexdigest()
    assert is_unsalted_secret_hash(old) and not is_unsalted_secret_hash(hash_client_secret("x"))
    assert verify_client_secret("old-secret", old)
    assert not verify_client_secret("wrong", old)
