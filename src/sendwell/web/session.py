"""The pages' session: a signed cookie, a CSRF token, the signed-in person.

The cookie holds the user's id, the unit it acts for, a CSRF token and when it was issued,
signed with HMAC-SHA256 under a key derived from the installation's secret
(``config.resolve_secret_key``), so a changed cookie is no session and every process of the
installation reads the same sessions. It is ``HttpOnly`` and ``SameSite=Lax``; every form and
``fetch`` that changes something carries the CSRF token, checked against the cookie's. Which
units the person may act for is read from the database at each request, so a grant taken
away takes effect at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from fastapi import Request

from sendwell.config import resolve_secret_key
from sendwell.services.people import Person, person

COOKIE = "sendwell_session"
LOGIN_CSRF_COOKIE = "sendwell_login_csrf"
LIFETIME_SECONDS = 8 * 3600


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in page."""


class CsrfRejected(Exception):
    """A form or request that changes something without the session's CSRF token."""


def _key(request: Request) -> bytes:
    secret = resolve_secret_key(request.app.state.settings)
    return hashlib.sha256(b"sendwell-session\0" + secret.encode()).digest()


def sign(request: Request, data: dict[str, Any]) -> str:
    """The cookie value for ``data``."""
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    mac = hmac.new(_key(request), payload, hashlib.sha256).hexdigest()
    return payload.decode("ascii") + "." + mac


def read(request: Request) -> dict[str, Any] | None:
    """The session's data, if its cookie is there, untouched and not expired."""
    value = request.cookies.get(COOKIE, "")
    payload, _, mac = value.rpartition(".")
    if not payload or len(value) > 4096:
        return None
    good = hmac.new(_key(request), payload.encode("ascii", "replace"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good, mac):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        return None
    if not isinstance(data, dict) or time.time() - float(data.get("t", 0)) > LIFETIME_SECONDS:
        return None
    return data


def new_session(user_id: int, mid: int) -> dict[str, Any]:
    """Session data for a person who just signed in."""
    return {"u": user_id, "m": mid, "c": secrets.token_urlsafe(24), "t": int(time.time())}


def current(request: Request) -> tuple[Person, dict[str, Any]]:
    """The signed-in person and the session; ``SignInRequired`` when there is none."""
    data = read(request)
    if data is None:
        raise SignInRequired()
    found = person(request.app.state.engine, int(data.get("u", 0)), data.get("m"))
    if found is None:
        raise SignInRequired()
    return found, data


def check_csrf(data: dict[str, Any], given: str | None) -> None:
    """``CsrfRejected`` unless ``given`` is the session's token."""
    if not given or not hmac.compare_digest(str(data.get("c", "")), given):
        raise CsrfRejected()


def cookie_options(request: Request) -> dict[str, Any]:
    """How the session cookie is set: never readable by scripts, sent on same-site requests."""
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": request.url.scheme == "https",
        "path": "/",
        "max_age": LIFETIME_SECONDS,
    }
