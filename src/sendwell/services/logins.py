"""Signing in, the same way for every protocol: throttled, constant-time, and off the event loop.

WS-Security UsernameToken, the token endpoints (``/v2/token``, ``/v1/requestToken``) and the
page sign-in to come all go through ``Logins``:

- ``LoginGuard`` refuses a user, client id or address that failed too often, before any check
  (``LoginThrottled``, with the seconds to wait), and records each outcome;
- an unknown user is checked against a dummy scrypt hash and an unknown client against a dummy
  secret hash, so the answer takes as long whether the name exists or not, and the throttle
  counts unknown names like known ones;
- scrypt runs in ``PasswordChecks``' few threads, never on the event loop, and a flood of wrong
  passwords queues there (boundedly) instead of starving every other request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import Engine

from sendwell.domain.clock import utcnow
from sendwell.domain.errors import LoginFailed, LoginThrottled
from sendwell.domain.login_throttle import (
    FailedLogins,
    LoginKey,
    LoginKeyKind,
    policy_for,
)
from sendwell.domain.secrets import dummy_password_hash, new_token, verify_password
from sendwell.services.accounts import Accounts, IssuedToken, Principal, UserCredentials
from sendwell.store import logins as store

# A checked UsernameToken skips scrypt this long (SOAP clients send it with every call).
VERIFIED_FOR_SECONDS = 300


class LoginGuard:
    """Failed-login counts per key, in the database so that every process sees them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def check(self, keys: Sequence[LoginKey]) -> None:
        """Raise ``LoginThrottled`` if any key must wait before it may try again."""
        now = utcnow()
        with self.engine.connect() as conn:
            states = store.read_failures(conn, keys)
        wait = max(state.retry_after(now, policy_for(k.kind)) for k, state in states.items())
        if wait:
            raise LoginThrottled(wait)

    def failed(self, keys: Sequence[LoginKey]) -> None:
        """Count one failed login against every key."""
        now = utcnow()
        with self.engine.begin() as conn:
            states = store.read_failures(conn, keys)
            for key, state in states.items():
                store.save_failures(conn, key, state.after_failure(now, policy_for(key.kind)))
            store.forget_before(conn, now - timedelta(days=1))

    def succeeded(self, key: LoginKey) -> None:
        """Clear a user's or client's failures (its address keeps its own)."""
        with self.engine.begin() as conn:
            store.clear_failures(conn, key)

    def state(self, key: LoginKey) -> FailedLogins:
        """The stored state of one key (for tools and tests)."""
        with self.engine.connect() as conn:
            return store.read_failures(conn, [key])[key]


class PasswordChecks:
    """scrypt verification on at most ``workers`` threads, with at most ``max_waiting`` queued.

    A check beyond that is refused at once (``LoginThrottled``, retry after a second): under a
    flood, shedding logins keeps the server answering everything else.
    """

    def __init__(self, workers: int | None = None, max_waiting: int = 64) -> None:
        # Half the cores: the event loop and the send workers keep the other half.
        self.workers = workers or max(1, (os.cpu_count() or 2) // 2)
        self.max_waiting = max_waiting
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._in_flight = 0

    async def verify(self, password: str, stored: str | None) -> bool:
        """Check ``password`` against ``stored`` (None: no such user, never matches) in the
        pool, awaited without blocking the event loop."""
        self._enter()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor(), _verify, password, stored)
        finally:
            self._leave()

    def verify_sync(self, password: str, stored: str | None) -> bool:
        """The same check for a caller that is not on an event loop (it waits for a thread)."""
        self._enter()
        try:
            return self._executor().submit(_verify, password, stored).result()
        finally:
            self._leave()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, "sendwell-password")
            return self._pool

    def _enter(self) -> None:
        with self._lock:
            if self._in_flight >= self.workers + self.max_waiting:
                raise LoginThrottled(1, "too many logins at once")
            self._in_flight += 1

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def close(self) -> None:
        """Stop the threads (a later check starts new ones)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


class Logins:
    """Sign-in use cases over ``Accounts``, guarded by ``LoginGuard`` and ``PasswordChecks``."""

    def __init__(
        self, accounts: Accounts, guard: LoginGuard, passwords: PasswordChecks | None = None
    ) -> None:
        self.accounts = accounts
        self.guard = guard
        self.passwords = passwords or PasswordChecks()
        # Checked (username, password) pairs, so that UsernameToken calls skip scrypt a while.
        self._verified: dict[tuple[str, bytes], tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        self._cache_key = new_token().encode()

    async def user(self, username: str, password: str, address: str | None) -> Principal:
        """An API user's principal; ``LoginFailed`` or ``LoginThrottled`` otherwise.

        The throttle's reads and writes are database calls: they run in a thread, since on the
        event loop one that waits (for a pooled connection, a lock) would stall every request.
        """
        keys, hit, user = await asyncio.to_thread(self._begin_user, username, password, address)
        if hit is not None:
            return hit
        ok = await self.passwords.verify(password, user.password_hash if user else None)
        checked = user if ok else None
        return await asyncio.to_thread(self._finish_user, keys, username, password, checked)

    def user_sync(self, username: str, password: str, address: str | None) -> Principal:
        """``user`` for callers without an event loop (the scrypt check still takes a slot)."""
        keys, hit, user = self._begin_user(username, password, address)
        if hit is not None:
            return hit
        ok = self.passwords.verify_sync(password, user.password_hash if user else None)
        return self._finish_user(keys, username, password, user if ok else None)

    def issue_token(
        self, client_id: str, client_secret: str, address: str | None, **options: object
    ) -> IssuedToken:
        """``Accounts.issue_token`` behind the throttle of the client id and the address."""
        return self.client_grant(
            client_id,
            address,
            lambda: self.accounts.issue_token(client_id, client_secret, **options),  # type: ignore[arg-type]
        )

    def client_grant(
        self, client_id: str, address: str | None, grant: Callable[[], IssuedToken]
    ) -> IssuedToken:
        """Any token grant that checks a client (``grant``), behind the same throttle: a wrong
        secret counts against the client id and the address."""
        keys = _keys(LoginKeyKind.CLIENT, client_id, address)
        self.guard.check(keys)
        try:
            issued = grant()
        except LoginFailed:
            self.guard.failed(keys)
            raise
        self.guard.succeeded(keys[0])
        return issued

    # --- the two halves around the password check --------------------------------------------
    def _begin_user(
        self, username: str, password: str, address: str | None
    ) -> tuple[list[LoginKey], Principal | None, UserCredentials | None]:
        keys = _keys(LoginKeyKind.USER, username, address)
        self.guard.check(keys)  # before the cache: a locked name gets no cheap guesses either
        hit = self._cached(username, password)
        return keys, hit, (None if hit else self.accounts.find_user(username))

    def _finish_user(
        self,
        keys: list[LoginKey],
        username: str,
        password: str,
        user: UserCredentials | None,
    ) -> Principal:
        if user is None:
            self.guard.failed(keys)
            raise LoginFailed("Login failed", 12)
        self.guard.succeeded(keys[0])
        principal = self.accounts.user_principal(user)
        self._remember(username, password, principal)
        return principal

    def _cache_entry(self, username: str, password: str) -> tuple[str, bytes]:
        return username, hmac.new(self._cache_key, password.encode(), hashlib.sha256).digest()

    def _cached(self, username: str, password: str) -> Principal | None:
        with self._lock:
            hit = self._verified.get(self._cache_entry(username, password))
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def _remember(self, username: str, password: str, principal: Principal) -> None:
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            entry = self._cache_entry(username, password)
            self._verified[entry] = (time.monotonic() + VERIFIED_FOR_SECONDS, principal)


def _keys(kind: LoginKeyKind, name: str, address: str | None) -> list[LoginKey]:
    """The account key first (cleared on success), then the address's, if known."""
    keys = [LoginKey(kind, name)]
    if address:
        keys.append(LoginKey(LoginKeyKind.ADDRESS, address))
    return keys


def _verify(password: str, stored: str | None) -> bool:
    """scrypt check; a missing user is checked against the dummy hash and never matches."""
    matches = verify_password(password, stored or dummy_password_hash())
    return matches and stored is not None
