"""The mailbox simulator: addresses at a reserved domain that answer as their name says.

``delivered@simulator.sendwell.test`` is delivered; ``bounce@`` is refused for good (550: a
hard bounce, a BounceEvent, the subscriber held after the configured count); ``softbounce@``
is deferred on every attempt (451) until retries give up; ``soft-then-delivered@`` is deferred
once and delivered on the next attempt; ``complaint@`` and ``unsubscribe@`` are delivered and
then unsubscribed as a one-click ``List-Unsubscribe`` would do (an UnsubEvent). A ``+tag``
after the name is ignored, so many distinct subscribers can share a behaviour
(``bounce+7@simulator.sendwell.test``). ``.test`` is reserved (RFC 2606): no such mail can
leave the machine.
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAIN = "simulator.sendwell.test"


@dataclass(frozen=True)
class Answer:
    """What the simulated mailbox answers to one attempt."""

    code: int
    reply: str
    unsubscribe: bool = False  # after delivery, as the recipient's one-click would


DELIVERED = Answer(250, "250 2.0.0 Delivered (simulator)")
BEHAVIOURS = {
    "delivered": "250: delivered",
    "bounce": "550 5.1.1: hard bounce (BounceEvent; held after SENDWELL_BOUNCE_HOLD_THRESHOLD)",
    "softbounce": "451 4.2.2 on every attempt: deferred, retried, failed after the maximum age",
    "soft-then-delivered": "451 on the first attempt, delivered on the next",
    "complaint": "delivered, then unsubscribed as a spam complaint would (UnsubEvent)",
    "unsubscribe": "delivered, then unsubscribed by one-click List-Unsubscribe (UnsubEvent)",
}


def is_simulated(address: str) -> bool:
    """Whether ``address`` is at the simulator's domain."""
    return address.rpartition("@")[2].lower() == DOMAIN


def behaviour(address: str) -> str:
    """The name of what the address does; an unknown name is delivered."""
    local = address.rpartition("@")[0].lower().split("+", 1)[0]
    return local if local in BEHAVIOURS else "delivered"


def answer(address: str, attempt: int) -> Answer:
    """The reply to the ``attempt``-th delivery (1 for the first) of a simulator address."""
    name = behaviour(address)
    if name == "bounce":
        return Answer(550, "550 5.1.1 The email account that you tried to reach does not exist")
    if name == "softbounce":
        return Answer(451, "451 4.2.2 Mailbox full, try again later (simulator)")
    if name == "soft-then-delivered" and attempt <= 1:
        return Answer(451, "451 4.2.2 Mailbox busy, try again later (simulator)")
    if name in ("complaint", "unsubscribe"):
        return Answer(DELIVERED.code, DELIVERED.reply, unsubscribe=True)
    return DELIVERED
