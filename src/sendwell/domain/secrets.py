"""Secrets: password and client secret hashing, token generation and hashing, GUIDs.

Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from functools import cache

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    """scrypt hash with a random salt, as ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a ``hash_password`` value."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, _unb64(digest))


@cache
def dummy_password_hash() -> str:
    """A valid ``hash_password`` value no password is known for: checking against it when the
    user does not exist costs what checking a real user's password costs."""
    return hash_password(new_token())


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy, Sendwell-made access token: a deterministic key to look it up
    by, and nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_client_secret(secret: str) -> str:
    """Salted SHA-256 of a package's client secret, as ``sha256$salt$digest``.

    Looked up by client id, so the hash need not be deterministic: the salt makes equal secrets
    hash differently and precomputed tables useless. Secrets Sendwell generates carry 256 bits,
    so a slow hash would add nothing but latency.
    """
    salt = secrets.token_bytes(16)
    return f"sha256${_b64(salt)}${_b64(hashlib.sha256(salt + secret.encode()).digest())}"


def verify_client_secret(secret: str, stored: str) -> bool:
    """Constant-time check of ``secret`` against ``hash_client_secret``'s value, or against the
    unsalted SHA-256 hex digest that Sendwell stored before (see ``is_unsalted_secret_hash``)."""
    if is_unsalted_secret_hash(stored):
        return hmac.compare_digest(stored, hashlib.sha256(secret.encode()).hexdigest())
    try:
        scheme, salt, digest = stored.split("$")
        raw_salt, raw_digest = _unb64(salt), _unb64(digest)
    except ValueError:
        return False
    candidate = hashlib.sha256(raw_salt + secret.encode()).digest()
    return scheme == "sha256" and hmac.compare_digest(candidate, raw_digest)


def is_unsalted_secret_hash(stored: str) -> bool:
    """Whether ``stored`` is the plain SHA-256 hex digest of packages made before salting."""
    return len(stored) == 64 and "$" not in stored


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_guid() -> str:
    return str(uuid.uuid4())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# Checked when a client id is unknown, so that the answer costs what a wrong secret costs.
DUMMY_CLIENT_SECRET_HASH = hash_client_secret(secrets.token_urlsafe(32))
