"""Web and public app integrations: the authorization code flow and refresh tokens.

As Marketing Cloud's "Web and Public App Integrations with Authorization Code Grant Type": the
app sends the user to ``/v2/authorize`` with its ``client_id`` and one of its registered
``redirect_uri``s; the user signs in (a Sendwell API user of the package's account, or one
granted it); the browser goes back to the redirect URI with a single-use ``code``, which the
app trades at ``/v2/token`` (``grant_type=authorization_code``, the same ``redirect_uri``, and
the ``client_secret`` of a web app) for an access token and a refresh token. A refresh token
(``grant_type=refresh_token``) gives a new access token and a new refresh token; the one used
is spent.

PKCE (RFC 7636): a code asked for with a ``code_challenge`` (``S256`` or ``plain``) is only
traded with its ``code_verifier``. It is not required of public apps, because FuelSDK's public
app flow sends none (inferred: Marketing Cloud's documents do not mention PKCE).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from sendwell.domain.clock import utcnow
from sendwell.domain.errors import Forbidden, Invalid, InvalidGrant, LoginFailed
from sendwell.domain.secrets import (
    DUMMY_CLIENT_SECRET_HASH,
    hash_token,
    new_token,
    verify_client_secret,
)
from sendwell.services.accounts import Accounts, IssuedToken, Principal, narrowed_scope
from sendwell.store.tables import authorization_codes, packages, tokens

CODE_SECONDS = 600  # RFC 6749 4.1.2: "a maximum authorization code lifetime of 10 minutes"
REFRESH_DAYS = 30  # inferred; Marketing Cloud does not publish a refresh token lifetime
CHALLENGE_METHODS = ("S256", "plain")


@dataclass(frozen=True)
class AuthorizeRequest:
    """What ``/v2/authorize`` was asked (its query parameters)."""

    client_id: str
    redirect_uri: str
    scope: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None


@dataclass(frozen=True)
class App:
    """The web or public app an authorize request names."""

    package_id: int
    mid: int
    name: str
    app_type: str


def check_request(conn: Connection, request: AuthorizeRequest) -> App:
    """The app, if the request may go on to the sign-in page; ``Invalid`` (shown to the user,
    never redirected to an unknown URI) otherwise."""
    pkg = conn.execute(select(packages).where(packages.c.client_id == request.client_id)).first()
    if pkg is None or pkg.app_type == "server":
        raise Invalid("The client_id is not that of a web or public app.")
    if request.redirect_uri not in pkg.redirect_uris.split("\n"):
        raise Invalid("The redirect_uri is not one of the app's redirect URIs.")
    if request.scope is not None:
        narrowed_scope(pkg.scope, request.scope)
    method = request.code_challenge_method or ("plain" if request.code_challenge else None)
    if method is not None and (method not in CHALLENGE_METHODS or not request.code_challenge):
        raise Invalid("code_challenge_method must be S256 or plain, with a code_challenge.")
    return App(pkg.id, pkg.mid, pkg.name, pkg.app_type)


def issue_code(conn: Connection, request: AuthorizeRequest, user: Principal) -> str:
    """A single-use code for ``user``, who signed in for the request's app."""
    app = check_request(conn, request)
    if user.kind != "user" or (app.mid != user.mid and app.mid not in user.allowed_mids):
        raise Forbidden("This user may not act for the app's account.")
    pkg_scope = conn.execute(
        select(packages.c.scope).where(packages.c.id == app.package_id)
    ).scalar_one()
    code = new_token()
    method = request.code_challenge_method or ("plain" if request.code_challenge else None)
    conn.execute(
        insert(authorization_codes).values(
            code_hash=hash_token(code),
            package_id=app.package_id,
            user_id=user.id,
            mid=app.mid,
            scope=narrowed_scope(pkg_scope, request.scope),
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            code_challenge_method=method,
            expires_at=utcnow() + timedelta(seconds=CODE_SECONDS),
        )
    )
    conn.execute(delete(authorization_codes).where(authorization_codes.c.expires_at < utcnow()))
    return code


def redeem_code(
    accounts: Accounts,
    client_id: str,
    client_secret: str | None,
    code: str,
    redirect_uri: str | None,
    code_verifier: str | None = None,
    account_id: int | None = None,
) -> IssuedToken:
    """``grant_type=authorization_code``: the code (once) for an access and a refresh token."""
    with accounts.engine.begin() as conn:
        pkg = _client(conn, client_id, client_secret)
        # Spent whatever happens next (its own transaction): a code is tried once.
        row = conn.execute(
            select(authorization_codes).where(authorization_codes.c.code_hash == hash_token(code))
        ).first()
        if row is not None:
            conn.execute(
                delete(authorization_codes).where(authorization_codes.c.code_hash == row.code_hash)
            )
    with accounts.engine.begin() as conn:
        if row is None or row.package_id != pkg.id or row.expires_at < utcnow():
            raise InvalidGrant("The authorization code is invalid, used or expired.")
        if redirect_uri != row.redirect_uri:
            raise InvalidGrant("The redirect_uri is not the one the code was issued for.")
        if row.code_challenge and not _verifier_matches(
            code_verifier, row.code_challenge, row.code_challenge_method
        ):
            raise InvalidGrant("The code_verifier does not match the code_challenge.")
        mid = accounts.acting_account(conn, pkg, row.mid, account_id)
        return _tokens(accounts, conn, pkg.id, mid, row.scope)


def refresh(
    accounts: Accounts,
    client_id: str,
    client_secret: str | None,
    refresh_token: str,
    scope: str | None = None,
    account_id: int | None = None,
) -> IssuedToken:
    """``grant_type=refresh_token``: a new access token and a new refresh token; the refresh
    token used is spent."""
    with accounts.engine.begin() as conn:
        pkg = _client(conn, client_id, client_secret)
        row = conn.execute(
            select(tokens).where(
                tokens.c.token_hash == hash_token(refresh_token), tokens.c.kind == "refresh"
            )
        ).first()
        if row is None or row.package_id != pkg.id or row.expires_at < utcnow():
            raise InvalidGrant("The refresh token is invalid, used or expired.")
        conn.execute(delete(tokens).where(tokens.c.token_hash == row.token_hash))
        mid = accounts.acting_account(conn, pkg, row.mid, account_id)
        return _tokens(accounts, conn, pkg.id, mid, narrowed_scope(row.scope, scope))


def _tokens(accounts: Accounts, conn: Connection, package_id: int, mid: int, scope: str) -> Any:
    access, _ = accounts.store_access(conn, package_id, mid, scope)
    refresh_token = new_token()
    expires = utcnow() + timedelta(days=REFRESH_DAYS)
    accounts.store_token(conn, refresh_token, "refresh", package_id, mid, scope, expires)
    return IssuedToken(access, accounts.token_ttl - 120, scope, mid, refresh_token=refresh_token)


def _client(conn: Connection, client_id: str, client_secret: str | None) -> Any:
    """The web or public app ``client_id`` names; a web app's secret must match (checked
    against a dummy hash when the client is unknown, as client credentials are)."""
    pkg = conn.execute(select(packages).where(packages.c.client_id == client_id)).first()
    if pkg is not None and pkg.app_type == "public":
        return pkg
    stored = pkg.secret_hash if pkg is not None else DUMMY_CLIENT_SECRET_HASH
    if not verify_client_secret(client_secret or "", stored) or pkg is None:
        raise LoginFailed("invalid_client")
    if pkg.app_type == "server":
        raise Forbidden("The client is a server-to-server app: use client_credentials.")
    return pkg


def _verifier_matches(verifier: str | None, challenge: str, method: str | None) -> bool:
    if not verifier:
        return False
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        verifier = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(verifier, challenge)
