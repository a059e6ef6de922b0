"""Fault injection: what an operator may ask Sendwell to break, checked before it is stored.

A fault names an account, a target (SOAP operations, REST routes, token requests, or the
delivery transport), optionally which operation or route, a kind, and how often: the next
``count`` matching calls, or a ``share`` of them, or every one until cleared. Which kinds fit
which target, and the defaults each kind takes, are here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from sendwell.domain.errors import Invalid


class FaultTarget(StrEnum):
    SOAP = "soap"  # POST /Service.asmx (match: the operation, e.g. Retrieve)
    REST = "rest"  # every other API route (match: a path prefix, e.g. /messaging/v1/)
    TOKEN = "token"  # POST /v2/token, /v1/requestToken
    TRANSPORT = "transport"  # the capture:// or smtp:// transport, per recipient


class FaultKind(StrEnum):
    SOAP_FAULT = "soap_fault"  # a SOAP Fault (HTTP 500)
    OBJECT_ERROR = "object_error"  # results with StatusCode Error and an ErrorCode
    TOKEN_EXPIRED = "token_expired"  # 401 / the "Token Expired" fault, as a lapsed token gets
    RATE_LIMIT = "rate_limit"  # 429 with Retry-After
    SERVER_ERROR = "server_error"  # 500
    DELAY = "delay"  # answered as usual, delay_ms later
    SMTP_REPLY = "smtp_reply"  # the transport answers `code` (421, 451, 550, …)


KINDS_BY_TARGET = {
    FaultTarget.SOAP: frozenset(
        {
            FaultKind.SOAP_FAULT,
            FaultKind.OBJECT_ERROR,
            FaultKind.TOKEN_EXPIRED,
            FaultKind.RATE_LIMIT,
            FaultKind.SERVER_ERROR,
            FaultKind.DELAY,
        }
    ),
    FaultTarget.REST: frozenset(
        {FaultKind.TOKEN_EXPIRED, FaultKind.RATE_LIMIT, FaultKind.SERVER_ERROR, FaultKind.DELAY}
    ),
    FaultTarget.TOKEN: frozenset({FaultKind.RATE_LIMIT, FaultKind.SERVER_ERROR, FaultKind.DELAY}),
    FaultTarget.TRANSPORT: frozenset({FaultKind.SMTP_REPLY}),
}
SMTP_REPLIES = {
    421: "421 4.3.2 Service not available, closing transmission channel (injected)",
    450: "450 4.2.1 Mailbox unavailable, try again later (injected)",
    451: "451 4.3.0 Local error in processing, try again later (injected)",
    452: "452 4.3.1 Insufficient system storage (injected)",
    550: "550 5.1.1 Mailbox does not exist (injected)",
    552: "552 5.2.2 Mailbox full (injected)",
    554: "554 5.7.1 Message rejected (injected)",
}
MAX_DELAY_MS = 60_000


@dataclass(frozen=True)
class FaultSpec:
    """A fault as asked for, checked: what ``store.faults.add`` writes."""

    target: FaultTarget
    kind: FaultKind
    match: str | None = None
    code: int | None = None
    message: str | None = None
    share: float | None = None
    count: int | None = None
    delay_ms: int | None = None
    retry_after: int | None = None


def fault_spec(
    target: str,
    kind: str,
    *,
    match: str | None = None,
    code: int | None = None,
    message: str | None = None,
    share: float | None = None,
    count: int | None = None,
    delay_ms: int | None = None,
    retry_after: int | None = None,
) -> FaultSpec:
    """Check what was asked and fill each kind's defaults; ``Invalid`` names the problem."""
    try:
        aim, what = FaultTarget(target), FaultKind(kind)
    except ValueError:
        raise Invalid(
            f"Unknown fault target {target!r} or kind {kind!r}; targets: "
            + ", ".join(FaultTarget)
            + "; kinds: "
            + ", ".join(FaultKind)
        ) from None
    if what not in KINDS_BY_TARGET[aim]:
        allowed = ", ".join(sorted(KINDS_BY_TARGET[aim]))
        raise Invalid(f"A {aim} fault is one of: {allowed}.")
    if share is not None and not 0 < share <= 1:
        raise Invalid("share is a fraction of the calls: more than 0, at most 1.")
    if count is not None and not 0 < count <= 1_000_000:
        raise Invalid("count is how many calls fail: 1 to 1,000,000.")
    if what == FaultKind.SMTP_REPLY:
        code = code or 451
        if not (400 <= code < 600):
            raise Invalid("An SMTP reply fault's code is a 4xx or 5xx reply code.")
        message = message or SMTP_REPLIES.get(code, f"{code} injected failure")
    if what == FaultKind.DELAY:
        delay_ms = delay_ms or 1000
        if not 0 < delay_ms <= MAX_DELAY_MS:
            raise Invalid(f"delay_ms is 1 to {MAX_DELAY_MS}.")
    if what == FaultKind.RATE_LIMIT:
        retry_after = retry_after if retry_after is not None else 30
        if not 0 <= retry_after <= 86_400:
            raise Invalid("retry_after is 0 to 86,400 seconds.")
    if what == FaultKind.OBJECT_ERROR:
        code = code or 2  # "general exception"
    if match is not None and (not match or len(match) > 200):
        raise Invalid("match is an operation name or a path prefix of at most 200 characters.")
    if message is not None and len(message) > 500:
        raise Invalid("message is at most 500 characters.")
    return FaultSpec(aim, what, match, code, message, share, count, delay_ms, retry_after)


def matches(target: str, match: str | None, operation: str) -> bool:
    """Whether a fault with ``match`` applies to ``operation`` (a SOAP operation, a path)."""
    if match is None:
        return True
    if target == FaultTarget.SOAP:
        return match.lower() == operation.lower()
    return operation.lower().startswith(match.lower())


def picked(share: float | None, *key: object) -> bool:
    """Whether this call (or recipient) is in the fault's share; the same key always picks the
    same way, so "30% of the recipients" is reproducible across runs and workers."""
    if share is None or share >= 1:
        return True
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share
