"""OAuth token endpoints (``/v2/token``, legacy ``/v1/requestToken``), endpoint discovery, and
the Bearer-token dependency every REST route uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from sendwell.api import docs
from sendwell.api.rest.errors import DOCS, OAuthError, RestError
from sendwell.api.rest.json_body import MalformedJson, parse_json
from sendwell.domain.errors import (
    REST_INSUFFICIENT_PRIVILEGES,
    REST_NOT_FOUND,
    REST_TEMPORARILY_BLOCKED,
    AuthError,
    Forbidden,
    InsufficientPrivileges,
    InvalidGrant,
    LoginThrottled,
    ScopeError,
    TokenExpired,
    shown,
)
from sendwell.domain.permissions import Access, Area
from sendwell.services import oauth_apps
from sendwell.services.accounts import Principal
from sendwell.services.registry import OBJECT_AREAS

router = APIRouter(tags=["auth"])

INVALID_CLIENT = (
    "Client authentication failed. Make sure that the client ID and client secret are valid "
    "and that the package is installed and enabled."
)
GRANT_TYPES = (
    'Use "authorization_code" or "refresh_token" or "client_credentials" as the grant_type.'
)


def client_address(request: Request) -> str | None:
    """The address a request came from (uvicorn applies X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else None


def _throttled(exc: LoginThrottled, oauth: bool) -> JSONResponse:
    """429 with Retry-After. Marketing Cloud documents 429 bodies for its REST rate limits
    (``{message, errorcode: 50200, …}``, "Your requests are temporarily blocked.") but none for
    failed logins: /v2/token gets the OAuth fields its clients read, and both get MC's (inferred).
    """
    body: dict[str, Any] = {
        "message": exc.message,
        "errorcode": REST_TEMPORARILY_BLOCKED,
        "retryAfter": exc.retry_after,
        "documentation": DOCS,
    }
    if oauth:
        body = {
            "error": "too_many_attempts",
            "error_description": exc.message,
            "error_uri": "https://developer.salesforce.com/docs",
            **body,
        }
    headers = {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
    return JSONResponse(body, status_code=429, headers=headers)


def base_url(request: Request) -> str:
    configured = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()  # at most settings.max_token_request_bytes (api.body_limit)
    content_type = request.headers.get("content-type", "")
    try:
        if "application/x-www-form-urlencoded" in content_type:
            return {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        data = parse_json(raw)
    except UnicodeDecodeError:
        raise OAuthError(400, "invalid_request", "The request body is not UTF-8.") from None
    except MalformedJson as exc:
        raise OAuthError(400, "invalid_request", str(exc)) from None
    if not isinstance(data, dict):
        raise OAuthError(400, "invalid_request", "The request body must be a JSON object.")
    return {str(k).lower(): v for k, v in data.items()}


@router.post("/v2/token", summary="Get an OAuth 2.0 access token")
async def token_v2(request: Request) -> JSONResponse:
    """Issues an access token, with the SOAP and REST base URLs, as Marketing Cloud's
    `POST /v2/token` on the auth host does (JSON or form body). `grant_type`
    `client_credentials`: a server-to-server package's `client_id` and `client_secret`.
    `authorization_code`: a web or public app's `client_id` (and a web app's `client_secret`),
    the `code` from `/v2/authorize`, the same `redirect_uri` and, if the code was asked for with a
    PKCE challenge, the `code_verifier`; answered with a `refresh_token` too. `refresh_token`: a
    new access token and refresh token for a refresh token (spent). Optional `account_id` of a
    business unit and `scope` (a part of the package's). No auth: the client credentials are it."""
    body = await _body(request)
    grant = body.get("grant_type")
    if not isinstance(grant, str) or grant not in GRANTS:
        raise OAuthError(400, "unsupported_grant_type", GRANT_TYPES)
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise OAuthError(400, "invalid_request", "client_id is required.")
    options = {"account_id": _account(body), "scope": _text(body, "scope")}
    state = request.app.state
    try:
        issued = state.logins.client_grant(
            client_id,
            client_address(request),
            GRANTS[grant](state.accounts, client_id, body, options),
        )
    except LoginThrottled as exc:
        return _throttled(exc, oauth=True)
    except ScopeError as exc:
        raise OAuthError(400, "invalid_scope", exc.message) from None
    except InvalidGrant as exc:
        raise OAuthError(400, "invalid_grant", exc.message) from None
    except Forbidden as exc:
        raise OAuthError(401, "unauthorized_client", exc.message) from None
    except AuthError:
        raise OAuthError(401, "invalid_client", INVALID_CLIENT) from None
    base = base_url(request)
    reply = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.scope,
        "soap_instance_url": base + "/",
        "rest_instance_url": base + "/",
    }
    if issued.refresh_token:
        reply["refresh_token"] = issued.refresh_token
    return JSONResponse(reply, headers={"Cache-Control": "no-store"})


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) else None


def _required(body: dict[str, Any], *names: str) -> list[str]:
    values = [_text(body, n) for n in names]
    missing = [n for n, v in zip(names, values, strict=True) if not v]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise OAuthError(400, "invalid_request", f"{' and '.join(missing)} {verb} required.")
    return values  # type: ignore[return-value]


def _account(body: dict[str, Any]) -> int | None:
    account = body.get("account_id")
    try:
        return int(account) if account not in (None, "") else None
    except (TypeError, ValueError):
        raise OAuthError(400, "invalid_request", "account_id must be a number.") from None


Grant = Callable[[], Any]


def _client_credentials(
    accounts: Any, client_id: str, body: dict[str, Any], options: dict[str, Any]
) -> Grant:
    (secret,) = _required(body, "client_secret")
    return lambda: accounts.issue_token(client_id, secret, **options)


def _authorization_code(
    accounts: Any, client_id: str, body: dict[str, Any], options: dict[str, Any]
) -> Grant:
    (code,) = _required(body, "code")
    return lambda: oauth_apps.redeem_code(
        accounts,
        client_id,
        _text(body, "client_secret"),
        code,
        _text(body, "redirect_uri"),
        _text(body, "code_verifier"),
        options["account_id"],
    )


def _refresh_token(
    accounts: Any, client_id: str, body: dict[str, Any], options: dict[str, Any]
) -> Grant:
    (token,) = _required(body, "refresh_token")
    return lambda: oauth_apps.refresh(
        accounts, client_id, _text(body, "client_secret"), token, **options
    )


GRANTS = {
    "client_credentials": _client_credentials,
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
}


@router.post("/v1/requestToken", summary="Get a legacy access token")
async def token_v1(request: Request) -> JSONResponse:
    """Issues a legacy access token for `clientId` and `clientSecret`, as Marketing Cloud's
    legacy `POST /v1/requestToken` does (older FuelSDKs). No auth: the client credentials are
    it."""
    try:
        body = await _body(request)
    except OAuthError as exc:
        raise RestError(400, exc.description, 0) from None
    client_id, secret = body.get("clientid"), body.get("clientsecret")
    if not isinstance(client_id, str) or not isinstance(secret, str):
        raise RestError(401, "Unauthorized", 1)
    try:
        issued = request.app.state.logins.issue_token(
            client_id, secret, client_address(request), legacy=True
        )
    except LoginThrottled as exc:
        return _throttled(exc, oauth=False)
    except AuthError:
        raise RestError(401, "Unauthorized", 1) from None
    return JSONResponse(
        {
            "accessToken": issued.access_token,
            "expiresIn": issued.expires_in,
            "legacyToken": issued.legacy_token,
        },
        headers={"Cache-Control": "no-store"},
    )


async def current_principal(request: Request, _: Any = Depends(docs.BEARER)) -> Principal:
    """The caller of a REST route, from ``Authorization: Bearer`` or ``?access_token=``.

    A coroutine, so FastAPI runs it on the event loop rather than a thread: the token is
    nearly always resolved from memory (``Accounts.resolve_token``), and a thread hop per
    request costs more than that."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    token = token or request.query_params.get("access_token")
    challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    if not token:
        raise RestError(401, "Not Authorized", 0, challenge)
    try:
        return request.app.state.accounts.resolve_token(token)
    except TokenExpired:
        raise RestError(401, "Not Authorized: the token has expired", 0, challenge) from None
    except AuthError:
        raise RestError(401, "Not Authorized", 0, challenge) from None


# The answer to a token without the scope a route needs: (message, REST errorcode).
INSUFFICIENT = ("Insufficient privileges", REST_INSUFFICIENT_PRIVILEGES)


def require_scope(
    principal: Principal, area: Area, access: Access, refusal: tuple[str, int] = INSUFFICIENT
) -> Principal:
    """``principal``, if its token's scopes allow ``access`` to ``area``; else 403.

    The same rule SOAP applies per object (``services.registry.OBJECT_AREAS``), refused with
    403 ``Insufficient privileges`` / 20002 (send-api-rest.md 6.6), or the ``refusal`` a route
    family documents.
    """
    try:
        principal.require(area, access, f"{access.value} access to {area.name}")
    except InsufficientPrivileges:
        raise RestError(403, *refusal) from None
    return principal


def scoped(
    area: Area, access: Access, refusal: tuple[str, int] = INSUFFICIENT
) -> Callable[..., Principal]:
    """A route dependency: the caller, checked by ``require_scope``."""

    async def check(principal: Principal = Depends(current_principal)) -> Principal:
        return require_scope(principal, area, access, refusal)

    return check


def object_scoped(
    type_name: str, access: Access, refusal: tuple[str, int] = INSUFFICIENT
) -> Callable[..., Principal]:
    """``scoped`` by the area that guards a partner API object type over SOAP as well."""
    return scoped(OBJECT_AREAS[type_name], access, refusal)


ENDPOINT_TYPES = ("soap", "rest", "ftp")


def _endpoint(request: Request, kind: str) -> dict[str, str]:
    base = base_url(request)
    url = {"soap": base + "/Service.asmx", "rest": base + "/", "ftp": "ftp://localhost"}[kind]
    return {"type": kind, "url": url}


@router.get("/platform/v1/endpoints", summary="List the account's endpoints")
def endpoints(request: Request, _: Principal = Depends(current_principal)) -> dict[str, Any]:
    """The account's SOAP, REST and FTP base URLs, as Marketing Cloud's
    `GET /platform/v1/endpoints` gives them. Auth: Bearer token."""
    items = [_endpoint(request, k) for k in ENDPOINT_TYPES]
    return {"page": 1, "pageSize": len(items), "count": len(items), "items": items}


@router.get("/platform/v1/endpoints/{endpoint_type}", summary="Get one endpoint")
def endpoint(
    endpoint_type: str, request: Request, _: Principal = Depends(current_principal)
) -> dict[str, str]:
    """One base URL by type (`soap`, `rest` or `ftp`), as Marketing Cloud's
    `GET /platform/v1/endpoints/{type}`. Auth: Bearer token."""
    if endpoint_type.lower() not in ENDPOINT_TYPES:
        raise RestError(404, f"No endpoint exists for key {shown(endpoint_type)}.", REST_NOT_FOUND)
    return _endpoint(request, endpoint_type.lower())


@router.get("/platform/v1/tokenContext", summary="Who the token belongs to")
def token_context(principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """The account (enterprise, organization) and user a token was issued for, as Marketing
    Cloud's `GET /platform/v1/tokenContext`. Auth: Bearer token."""
    return {
        "enterprise": {"id": principal.mid},
        "organization": {"id": principal.mid},
        "user": {"id": principal.id},
    }
