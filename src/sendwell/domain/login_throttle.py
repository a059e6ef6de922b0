"""Failed-login throttling: how many failures a user, client or address may have, and the wait.

Each sign-in key (a username, a client id, a client address) has a ``FailedLogins`` state: how
many logins failed in a row and when the last one did. After ``ThrottlePolicy.max_failures``
failures the key is refused, unchecked, for a lockout that doubles with each further failure,
up to ``max_lockout``. A key that stays quiet for ``window`` after its lockout ends starts
afresh, and a successful login clears a user's or client's count (not an address's: one valid
account must not buy an address more guesses at others).

Pure values: the service (``services.logins``) reads and stores the states.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class LoginKeyKind(StrEnum):
    """What a throttle key counts failures of."""

    USER = "user"  # a WS-Security (and later page) username
    CLIENT = "client"  # an installed package's client id
    ADDRESS = "address"  # the client address the attempt came from


@dataclass(frozen=True)
class LoginKey:
    """One thing whose failed logins are counted."""

    kind: LoginKeyKind
    value: str


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures a key may have before it waits, and how long."""

    max_failures: int
    window: timedelta
    base_lockout: timedelta
    max_lockout: timedelta

    def lockout(self, failures: int) -> timedelta:
        """The wait after ``failures`` failures in a row (zero while under the limit)."""
        if failures < self.max_failures:
            return timedelta(0)
        doublings = min(failures - self.max_failures, 30)
        return min(self.base_lockout * (2**doublings), self.max_lockout)


# A user or client: a handful of typos is normal; a guesser is slowed to a crawl quickly.
PER_ACCOUNT = ThrottlePolicy(
    max_failures=5,
    window=timedelta(minutes=15),
    base_lockout=timedelta(seconds=30),
    max_lockout=timedelta(minutes=15),
)
# An address may stand for many integrations behind one NAT: more room, the same back-off.
PER_ADDRESS = ThrottlePolicy(
    max_failures=20,
    window=timedelta(minutes=15),
    base_lockout=timedelta(seconds=30),
    max_lockout=timedelta(minutes=15),
)


def policy_for(kind: LoginKeyKind) -> ThrottlePolicy:
    """The policy that counts failures of keys of this kind."""
    return PER_ADDRESS if kind is LoginKeyKind.ADDRESS else PER_ACCOUNT


@dataclass(frozen=True)
class FailedLogins:
    """The throttle state of one key: failures in a row, and when the last one happened."""

    failures: int = 0
    last_failure_at: datetime | None = None

    def current(self, now: datetime, policy: ThrottlePolicy) -> FailedLogins:
        """This state, or a clean one once the key was quiet for a window after its lockout."""
        if self.last_failure_at is None:
            return self
        if now >= self.last_failure_at + policy.lockout(self.failures) + policy.window:
            return FailedLogins()
        return self

    def retry_after(self, now: datetime, policy: ThrottlePolicy) -> int:
        """Whole seconds until the key may try again; 0 when it may try now."""
        state = self.current(now, policy)
        if state.last_failure_at is None:
            return 0
        wait = state.last_failure_at + policy.lockout(state.failures) - now
        return max(0, math.ceil(wait.total_seconds()))

    def after_failure(self, now: datetime, policy: ThrottlePolicy) -> FailedLogins:
        """The state once one more login failed at ``now``."""
        return FailedLogins(self.current(now, policy).failures + 1, now)
