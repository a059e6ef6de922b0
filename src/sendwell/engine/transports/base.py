"""The delivery transport interface: envelopes in, one outcome per envelope out.

A transport takes fully rendered messages (bytes) and reports, per message, whether the
receiving side took responsibility for it ("sent"), asked us to try again later ("deferred"),
or refused it for good ("failed"). Transports are opened from a URL whose scheme picks the
implementation, like httpx picks a transport for a request:

    transport = open_transport("smtp://relay.example.test:587?starttls=require")
    outcomes = await transport.deliver(envelopes)  # or deliver(envelopes, report)
    await transport.aclose()
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from typing import NamedTuple, Protocol, runtime_checkable
from urllib.parse import urlsplit

SENT = "sent"
DEFERRED = "deferred"
FAILED = "failed"


class TransportError(Exception):
    """A transport was misconfigured or misused; never raised for a single message's fate."""


class Envelope(NamedTuple):
    """One message to deliver to one recipient (a tuple: made once per message, cheaply)."""

    ref: int  # caller's reference (ledger sequence number), echoed in the outcome
    mail_from: str  # envelope sender (bare address, "" for the null sender)
    rcpt_to: str  # one recipient (bare address)
    data: bytes  # complete RFC 5322 message, CRLF line endings, NOT dot-stuffed
    job_id: int = 0  # the send job it belongs to (the capture transport files it under it)
    attempt: int = 1  # this delivery's attempt for the recipient (the simulator's soft bounces)
    # ``data`` as DATA carries it (CRLF, dot-stuffed, no final "."), when the renderer made
    # it: the transport then sends it as it is.
    wire: bytes | None = None


class Outcome(NamedTuple):
    """What became of one envelope."""

    ref: int
    status: str  # SENT | DEFERRED (retry later) | FAILED (permanent)
    code: int  # SMTP reply code, 0 when there was no reply (e.g. connection refused)
    reply: str  # the server's reply text, or a description of the local error
    # The command the final reply answered: "MAIL" (a refusal of the sender, not of the
    # recipient), "RCPT", "DATA", or "" when unknown or not SMTP.
    phase: str = ""


def status_for_code(code: int) -> str:
    """Map a final reply code to an outcome status; anything unexpected is retried later."""
    if 200 <= code < 300:
        return SENT
    if 500 <= code < 600:
        return FAILED
    return DEFERRED


# Told the outcomes a connection has settled, every few of them, while delivery goes on; the
# connection waits for it (so the caller can make them durable first) and stops when it says
# False. A transport without connections of its own (capture://) reports nothing this way.
Report = Callable[[list[Outcome]], Awaitable[bool]]


@runtime_checkable
class Transport(Protocol):
    """Delivers envelopes; one outcome per envelope, in any order."""

    async def deliver(
        self, envelopes: Sequence[Envelope], report: Report | None = None
    ) -> list[Outcome]: ...

    async def aclose(self) -> None: ...


TransportFactory = Callable[..., Transport]

#: Registered URL schemes. A transport module registers its schemes when imported.
SCHEMES: dict[str, TransportFactory] = {}

# Where the built-in schemes live; open_transport() imports the module on first use so
# that base.py stays free of imports from its implementations. New built-in transports
# (capture://, file://) add their module here and call register_scheme() at import.
_BUILTIN_MODULES: dict[str, str] = {
    "smtp": "sendwell.engine.transports.smtp",
    "smtps": "sendwell.engine.transports.smtp",
    "capture": "sendwell.engine.transports.capture",
}


def register_scheme(name: str, factory: TransportFactory) -> None:
    """Make `open_transport("<name>://...")` call `factory(url, **kwargs)`."""
    SCHEMES[name.lower()] = factory


def open_transport(url: str, **kwargs: object) -> Transport:
    """Open the transport for `url`; keyword arguments go to the scheme's factory."""
    scheme = urlsplit(url).scheme.lower()
    if not scheme:
        raise TransportError(f"transport URL has no scheme: {url!r}")
    if scheme not in SCHEMES and scheme in _BUILTIN_MODULES:
        try:
            importlib.import_module(_BUILTIN_MODULES[scheme])
        except ModuleNotFoundError as exc:
            raise TransportError(f"transport {scheme!r} is not available: {exc}") from exc
    factory = SCHEMES.get(scheme)
    if factory is None:
        known = ", ".join(sorted(set(SCHEMES) | set(_BUILTIN_MODULES)))
        raise TransportError(f"unknown transport scheme {scheme!r} (known: {known})")
    return factory(url, **kwargs)
