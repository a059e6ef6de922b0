"""``/v2/authorize``: where a web or public app sends its user to sign in (authorization code).

``GET`` checks the app's ``client_id`` and ``redirect_uri`` and shows a sign-in form; ``POST``
checks the API user's password (throttled like every sign-in) and sends the browser back to
the redirect URI with ``code`` and the app's ``state``, as Marketing Cloud's authorize endpoint
does. A request naming an unknown app or an unregistered redirect URI is answered here with a
page that says so; it is never redirected (RFC 6749 4.1.2.1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sendwell.domain.errors import AuthError, Invalid, LoginThrottled, SendwellError
from sendwell.services import oauth_apps

router = APIRouter(tags=["auth"])
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True),
)
PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


def _request(params: dict[str, str]) -> oauth_apps.AuthorizeRequest:
    return oauth_apps.AuthorizeRequest(
        client_id=params.get("client_id", ""),
        redirect_uri=params.get("redirect_uri", ""),
        scope=params.get("scope"),
        code_challenge=params.get("code_challenge") or None,
        code_challenge_method=params.get("code_challenge_method") or None,
    )


def _page(status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("app_name", "the app")
    html = _templates.get_template("authorize.html").render(**context)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _back(params: dict[str, str], **answer: str) -> RedirectResponse:
    if params.get("state") is not None:
        answer["state"] = params["state"]
    target = params["redirect_uri"]
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(target + joiner + urlencode(answer), status_code=302, headers=_HEADERS)


def _checked(request: Request, params: dict[str, str]) -> Response | oauth_apps.App:
    """The app, or the answer to a request that cannot go on."""
    try:
        with request.app.state.engine.connect() as conn:
            app = oauth_apps.check_request(conn, _request(params))
    except SendwellError as exc:
        return _page(400, problem=exc.message)
    if params.get("response_type") != "code":
        return _back(
            params, error="unsupported_response_type", error_description='Use response_type "code".'
        )
    return app


@router.get("/v2/authorize", summary="Sign in to authorize an app", response_class=HTMLResponse)
def authorize_page(request: Request) -> Response:
    """The sign-in page of the authorization code flow: `response_type=code`, `client_id` and
    `redirect_uri` of a web or public app, optional `scope`, `state`, `code_challenge` and
    `code_challenge_method` (PKCE). Mirrors Marketing Cloud's `GET /v2/authorize` on the auth
    host. No auth: the user signs in here."""
    params = {k: v for k, v in request.query_params.items() if k in PARAMETERS}
    app = _checked(request, params)
    if not isinstance(app, oauth_apps.App):
        return app
    return _page(app_name=app.name, mid=app.mid, fields=params)


@router.post("/v2/authorize", summary="Sign in and authorize an app", response_class=HTMLResponse)
async def authorize(request: Request) -> Response:
    """Checks the API user's `username` and `password` (form fields, with the parameters of the
    page) and redirects to the app's `redirect_uri` with a single-use `code` and its `state`.
    A wrong password shows the form again (401). Mirrors Marketing Cloud's sign-in behind
    `/v2/authorize`. No auth: the user signs in here."""
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    params = {k: v for k, v in form.items() if k in PARAMETERS}
    app = _checked(request, params)
    if not isinstance(app, oauth_apps.App):
        return app
    state = request.app.state
    address = request.client.host if request.client else None
    try:
        user = await state.logins.user(form.get("username", ""), form.get("password", ""), address)
        with state.engine.begin() as conn:
            code = oauth_apps.issue_code(conn, _request(params), user)
    except LoginThrottled as exc:
        return _page(429, app_name=app.name, mid=app.mid, fields=params, failed=exc.message)
    except (AuthError, Invalid) as exc:
        failed = "Login failed." if isinstance(exc, AuthError) else exc.message
        return _page(401, app_name=app.name, mid=app.mid, fields=params, failed=failed)
    except SendwellError as exc:  # the user may not act for the app's account
        return _back(params, error="access_denied", error_description=exc.message)
    return _back(params, code=code)
