"""Accounts (MIDs and child business units), API users, installed packages and tokens.

Every API request ends here to become a ``Principal``: who is calling, for which account, and
which child business units it may switch to with a ``ClientID``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from sendwell.domain.clock import utcnow
from sendwell.domain.errors import (
    AuthError,
    Duplicate,
    Forbidden,
    Invalid,
    LoginFailed,
    NotFound,
    ScopeError,
    TokenExpired,
)
from sendwell.domain.permissions import KNOWN_SCOPES, UNRESTRICTED, Access, Area, Rights
from sendwell.domain.secrets import (
    DUMMY_CLIENT_SECRET_HASH,
    hash_client_secret,
    hash_password,
    hash_token,
    is_unsalted_secret_hash,
    new_token,
    verify_client_secret,
)
from sendwell.store.tables import accounts, api_users, grants, packages, tokens

# A new package may do everything Sendwell serves (migration 0004 gave the packages made with
# the older default, which lacked tracking_events_* and accounts_*, the same).
DEFAULT_SCOPE = " ".join(KNOWN_SCOPES)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: its home account and the business units it may act for."""

    kind: str  # "user" | "package"
    id: int
    mid: int
    allowed_mids: frozenset[int]
    rights: Rights

    def acting_mid(self, client_mid: int | None) -> int:
        """The account a request acts on: its own, or a granted child unit (``ClientID``)."""
        if client_mid is None or client_mid == self.mid:
            return self.mid
        if client_mid in self.allowed_mids:
            return client_mid
        raise Forbidden(f"You don't have access to an account with ID of [{client_mid}].", 4)

    def require(self, area: Area, access: Access, action: str) -> None:
        """Raise ``InsufficientPrivileges`` unless the caller's scopes allow ``access``."""
        self.rights.require(area, access, action)


@dataclass(frozen=True)
class UserCredentials:
    """What checking an API user's password needs: who it is and the stored hash."""

    id: int
    mid: int
    password_hash: str


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    mid: int
    legacy_token: str | None = None
    refresh_token: str | None = None


PRINCIPAL_SECONDS = 5.0
PRINCIPALS_KEPT = 10_000


class Accounts:
    """Use cases for accounts, users, packages and tokens."""

    def __init__(self, engine: Engine, token_ttl: int = 1200) -> None:
        self.engine = engine
        self.token_ttl = token_ttl
        # Principals of recently seen tokens: a busy integration makes hundreds of calls a
        # second with one token. Kept a few seconds, so a grant changed meanwhile is seen soon.
        self._principals: dict[str, tuple[float, Any, Principal]] = {}
        self._principals_lock = threading.Lock()

    # --- management (CLI, demo) -------------------------------------------------------------
    def create_account(self, mid: int, name: str, parent_mid: int | None = None) -> int:
        with self.engine.begin() as conn:
            if conn.execute(select(accounts.c.mid).where(accounts.c.mid == mid)).first():
                raise Duplicate(f"Account {mid} already exists.")
            if (
                parent_mid is not None
                and not conn.execute(
                    select(accounts.c.mid).where(accounts.c.mid == parent_mid)
                ).first()
            ):
                raise NotFound(f"Parent account {parent_mid} does not exist.")
            conn.execute(
                insert(accounts).values(
                    mid=mid, name=name, parent_mid=parent_mid, created_at=utcnow()
                )
            )
        return mid

    def account_exists(self, mid: int) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(select(accounts.c.mid).where(accounts.c.mid == mid)).first()
                is not None
            )

    def create_user(self, mid: int, username: str, password: str, units: list[int] = ()) -> int:  # type: ignore[assignment]
        with self.engine.begin() as conn:
            if conn.execute(select(api_users.c.id).where(api_users.c.username == username)).first():
                raise Duplicate(f"User {username!r} already exists.")
            uid = conn.execute(
                insert(api_users).values(
                    mid=mid,
                    username=username,
                    password_hash=hash_password(password),
                    created_at=utcnow(),
                )
            ).inserted_primary_key[0]
            self._grant(conn, "user", uid, mid, units)
        return int(uid)

    def create_package(
        self,
        mid: int,
        name: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        units: list[int] = (),  # type: ignore[assignment]
        scope: str = DEFAULT_SCOPE,
        app_type: str = "server",
        redirect_uris: Sequence[str] = (),
    ) -> tuple[str, str]:
        """Create an installed package; returns (client_id, client_secret) — shown once.

        The secret is generated (256 bits) unless one is given: only tests and the demo's
        ``SENDWELL_DEMO_CLIENT_SECRET`` give one; ``sendwell package create`` never does.
        ``app_type`` is its API integration's kind: ``server`` (server-to-server, client
        credentials), ``web`` or ``public`` (authorization code at ``/v2/authorize``, back to one
        of ``redirect_uris``; a public app has no secret, the one returned is never asked for).
        """
        check_app(app_type, redirect_uris)
        client_id = client_id or new_token(18).lower().replace("-", "").replace("_", "")[:24]
        client_secret = client_secret or new_token(32)
        with self.engine.begin() as conn:
            if conn.execute(select(packages.c.id).where(packages.c.client_id == client_id)).first():
                raise Duplicate(f"Package with client id {client_id!r} already exists.")
            pid = conn.execute(
                insert(packages).values(
                    mid=mid,
                    name=name,
                    client_id=client_id,
                    secret_hash=hash_client_secret(client_secret),
                    scope=scope,
                    legacy_allowed=app_type == "server",
                    created_at=utcnow(),
                    app_type=app_type,
                    redirect_uris="\n".join(redirect_uris),
                )
            ).inserted_primary_key[0]
            self._grant(conn, "package", pid, mid, units)
        return client_id, client_secret

    def _grant(self, conn, principal: str, pid: int, mid: int, units) -> None:  # type: ignore[no-untyped-def]
        for unit in units:
            parent = conn.execute(
                select(accounts.c.parent_mid).where(accounts.c.mid == unit)
            ).first()
            if parent is None or parent[0] != mid:
                raise Invalid(f"Account {unit} is not a child business unit of {mid}.")
            conn.execute(insert(grants).values(principal=principal, principal_id=pid, mid=unit))

    def _allowed(self, conn, principal: str, pid: int) -> frozenset[int]:  # type: ignore[no-untyped-def]
        rows = conn.execute(
            select(grants.c.mid).where(
                grants.c.principal == principal, grants.c.principal_id == pid
            )
        )
        return frozenset(r[0] for r in rows)

    # --- authentication -----------------------------------------------------------------------
    def find_user(self, username: str) -> UserCredentials | None:
        """The API user called ``username`` with its password hash, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_users.c.id, api_users.c.mid, api_users.c.password_hash).where(
                    api_users.c.username == username
                )
            ).first()
        return UserCredentials(row.id, row.mid, row.password_hash) if row else None

    def user_principal(self, user: UserCredentials) -> Principal:
        """The principal of an API user whose password was checked: no scope restricts it."""
        with self.engine.connect() as conn:
            allowed = self._allowed(conn, "user", user.id)
        return Principal("user", user.id, user.mid, allowed, UNRESTRICTED)

    def issue_token(
        self,
        client_id: str,
        client_secret: str,
        account_id: int | None = None,
        scope: str | None = None,
        legacy: bool = False,
    ) -> IssuedToken:
        """Client-credentials grant: a new access token (and, for v1, a legacy token).

        Raises ``LoginFailed`` for an unknown client or a wrong secret, after the same work in
        both cases (a missing client is checked against a dummy hash).
        """
        with self.engine.begin() as conn:
            pkg = conn.execute(select(packages).where(packages.c.client_id == client_id)).first()
            stored = pkg.secret_hash if pkg is not None else DUMMY_CLIENT_SECRET_HASH
            if not verify_client_secret(client_secret, stored) or pkg is None:
                raise LoginFailed("invalid_client")
            if is_unsalted_secret_hash(stored):
                _upgrade_secret_hash(conn, pkg.id, client_secret)
            if pkg.app_type != "server":
                # Marketing Cloud's web and public app integrations have no client credentials
                # grant: they act for a user who signed in (inferred wording).
                raise Forbidden(
                    f"The client is a {pkg.app_type} app: use the authorization_code grant."
                )
            mid = self.acting_account(conn, pkg, pkg.mid, account_id)
            scope_text = narrowed_scope(pkg.scope, scope)
            access, legacy_token = self.store_access(conn, pkg.id, mid, scope_text, legacy)
        return IssuedToken(access, self.token_ttl - 120, scope_text, mid, legacy_token)

    def acting_account(self, conn: Connection, pkg: Any, home: int, account_id: int | None) -> int:
        """The account a token acts for: ``home``, or the business unit ``account_id`` names
        if the package may act there."""
        if account_id is None or account_id == home:
            return home
        if account_id != pkg.mid and account_id not in self._allowed(conn, "package", pkg.id):
            raise Forbidden("The client is not authorized to access the requested account_id.")
        return account_id

    def store_access(
        self, conn: Connection, package_id: int, mid: int, scope: str, legacy: bool = False
    ) -> tuple[str, str | None]:
        """A new access token (and legacy token) for a package; old tokens are swept."""
        expires = utcnow() + timedelta(seconds=self.token_ttl)
        access = new_token()
        self.store_token(conn, access, "access", package_id, mid, scope, expires)
        legacy_token = None
        if legacy:
            legacy_token = new_token()
            self.store_token(conn, legacy_token, "legacy", package_id, mid, scope, expires)
        conn.execute(delete(tokens).where(tokens.c.expires_at < utcnow() - timedelta(days=1)))
        return access, legacy_token

    @staticmethod
    def store_token(conn, token, kind, package_id, mid, scope, expires) -> None:  # type: ignore[no-untyped-def]
        """Keep a token (its hash) of one kind: access, legacy or refresh."""
        conn.execute(
            insert(tokens).values(
                token_hash=hash_token(token),
                kind=kind,
                package_id=package_id,
                mid=mid,
                scope=scope,
                expires_at=expires,
            )
        )

    def resolve_token(self, token: str) -> Principal:
        """The principal behind an access or legacy token; ``TokenExpired`` once it lapsed."""
        key = hash_token(token)
        now = time.monotonic()
        cached = self._principals.get(key)
        if cached is not None and cached[0] > now:
            if cached[1] < utcnow():
                raise TokenExpired("Token Expired", 12)
            return cached[2]
        principal, expires_at = self._resolve_token(key)
        with self._principals_lock:
            if len(self._principals) >= PRINCIPALS_KEPT:
                self._principals.clear()
            self._principals[key] = (now + PRINCIPAL_SECONDS, expires_at, principal)
        return principal

    def _resolve_token(self, token_hash: str) -> tuple[Principal, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens).where(tokens.c.token_hash == token_hash)).first()
            if row is None or row.kind == "refresh":  # a refresh token only gets tokens
                raise AuthError("Login failed", 12)
            if row.expires_at < utcnow():
                raise TokenExpired("Token Expired", 12)
            allowed = self._allowed(conn, "package", row.package_id)
            pkg_mid = conn.execute(
                select(packages.c.mid).where(packages.c.id == row.package_id)
            ).scalar()
        # A token issued for a child unit acts there, and may switch back to the package's home.
        allowed = (allowed | {pkg_mid}) - {row.mid}
        rights = Rights(frozenset(row.scope.split()))
        principal = Principal("package", row.package_id, row.mid, frozenset(allowed), rights)
        return principal, row.expires_at


APP_TYPES = ("server", "web", "public")


def check_app(app_type: str, redirect_uris: Sequence[str]) -> None:
    """An integration type Sendwell knows, with the redirect URIs a web or public app needs."""
    if app_type not in APP_TYPES:
        raise Invalid(f"The app type must be one of {', '.join(APP_TYPES)}.")
    if app_type != "server" and not redirect_uris:
        raise Invalid(f"A {app_type} app needs at least one redirect URI.")
    for uri in redirect_uris:
        if not uri.startswith(("https://", "http://")) or any(c.isspace() for c in uri):
            raise Invalid(f"The redirect URI {uri[:200]} is not an absolute http(s) URL.")


def narrowed_scope(granted: str, asked: str | None) -> str:
    """The scope a token gets: the package's, or the part of it asked for."""
    if asked is None:
        return granted
    allowed = granted.split()
    unknown = [s for s in asked.split() if s not in allowed]
    if unknown:
        raise ScopeError("invalid_scope: " + " ".join(unknown))
    return " ".join(asked.split())


def _upgrade_secret_hash(conn: Connection, package_id: int, client_secret: str) -> None:
    """Store a secret that matched an unsalted hash (packages made before salting) salted."""
    conn.execute(
        update(packages)
        .where(packages.c.id == package_id)
        .values(secret_hash=hash_client_secret(client_secret))
    )
