"""VERP return paths: the envelope sender names the job and recipient a bounce is about.

Each message goes out with ``bounce+<job>.<seq>.<mac>@<bounce domain>`` as its envelope sender,
so a bounce comes back to an address that says whose message failed, whatever the bounce's
format. The short HMAC makes the address unguessable: a forged bounce cannot name an arbitrary
job and recipient. Sequence number 0 stands for "some message of the job" (the copies sent to CC,
BCC and seed addresses): bounces to it are matched by address against the job's ledger.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache

PREFIX = "bounce"
# 40 bits: guessing one job's address takes ~10^12 tries; lowercase so that relays which fold
# the local part's case still give back a valid address.
_MAC_CHARS = 8
_LOCAL = re.compile(rf"{PREFIX}\+(\d{{1,12}})\.(\d{{1,12}})\.([a-z2-7]{{{_MAC_CHARS}}})")


@lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    """The VERP MAC key, derived from the installation's secret key (own purpose)."""
    return hmac.digest(secret.encode(), b"sendwell/verp/v1", hashlib.sha256)


def _mac(job_id: int, seq: int, secret: str) -> str:
    digest = hmac.digest(_key(secret), f"{job_id}.{seq}".encode(), hashlib.sha256)
    return base64.b32encode(digest[:5]).decode().lower()


def encode(job_id: int, seq: int, secret: str, domain: str) -> str:
    """The VERP envelope sender for recipient ``seq`` of ``job_id`` (seq 0: the job's copies)."""
    if not secret:
        raise ValueError("a VERP address needs a secret key, or bounces could be forged")
    return f"{PREFIX}+{job_id:d}.{seq:d}.{_mac(job_id, seq, secret)}@{domain}"


def decode(address: str, secret: str) -> tuple[int, int] | None:
    """``(job_id, seq)`` named by a VERP address, or None if it is not one or its MAC is wrong."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    found = _LOCAL.fullmatch(local.lower())
    if not secret or not domain or found is None:
        return None
    job_id, seq = int(found[1]), int(found[2])
    if not hmac.compare_digest(found[3], _mac(job_id, seq, secret)):
        return None
    return job_id, seq


@dataclass(frozen=True)
class ReturnPath:
    """The envelope senders of one job: ``return_path(seq)`` per ledger recipient."""

    job_id: int
    secret: str
    domain: str

    def __post_init__(self) -> None:
        if not self.secret:
            raise ValueError("VERP addresses need the installation's secret key")

    def __call__(self, seq: int) -> str:
        return encode(self.job_id, seq, self.secret, self.domain)
