"""Web and public app packages: the authorization code flow through ``/v2/authorize`` (a real
sign-in form), ``authorization_code`` and ``refresh_token`` grants at ``/v2/token``, PKCE, and
the server-to-server path as it was."""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape
from urllib.parse import parse_qs, urlparse

from tests.support import PARTNER, soap, text

CALLBACK = "https://app.example.test/callback"


def _app(world, kind: str = "web") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return world.accounts.create_package(
        world.mid,
        f"The {kind} app",
        f"{kind}-app",
        "web-secret",
        app_type=kind,
        redirect_uris=[CALLBACK],
    )


def _authorize(world, client_id: str, user=None, **extra: str):  # type: ignore[no-untyped-def]
    """The sign-in page, then the form posted back as a browser would: the reply."""
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, **extra}
    page = world.client.get("/v2/authorize", params=params)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    username, password = user or world.user
    form = {k: unescape(v) for k, v in fields.items()} | {
        "username": username,
        "password": password,
    }
    return world.client.post("/v2/authorize", data=form, follow_redirects=False)


def _code(reply) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert reply.status_code == 302, reply.text
    location = urlparse(reply.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def _token(world, **body: str):  # type: ignore[no-untyped-def]
    return world.client.post("/v2/token", json=body)


def test_web_app_code_for_tokens_then_refresh(world) -> None:
    client_id, secret = _app(world)
    answer = _code(_authorize(world, client_id, state="s&1"))
    assert answer["state"] == "s&1"
    reply = _token(
        world,
        grant_type="authorization_code",
        code=answer["code"],
        client_id=client_id,
        client_secret=secret,
        redirect_uri=CALLBACK,
    )
    assert reply.status_code == 200, reply.text
    first = reply.json()
    assert first["refresh_token"] and first["rest_instance_url"].endswith("/")
    # The token works over SOAP, for the package's account.
    _, got = soap(
        world.client,
        "Retrieve",
        f'<RetrieveRequestMsg xmlns="{PARTNER}"><RetrieveRequest><ObjectType>BusinessUnit'
        "</ObjectType><Properties>ID</Properties></RetrieveRequest></RetrieveRequestMsg>",
        token=first["access_token"],
    )
    assert text(got, "p:Results/p:ID") == str(world.mid)

    # A code is used once.
    again = _token(
        world,
        grant_type="authorization_code",
        code=answer["code"],
        client_id=client_id,
        client_secret=secret,
        redirect_uri=CALLBACK,
    )
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")

    refreshed = _token(
        world,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id=client_id,
        client_secret=secret,
    )
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    spent = _token(
        world,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id=client_id,
        client_secret=secret,
    )
    assert spent.json()["error"] == "invalid_grant"
    # A refresh token is not an access token.
    assert (
        world.client.get(
            "/platform/v1/tokenContext",
            headers={"Authorization": f"Bearer {second['refresh_token']}"},
        ).status_code
        == 401
    )


def test_a_web_app_needs_its_secret_and_its_redirect_uri(world) -> None:
    client_id, secret = _app(world)
    code = _code(_authorize(world, client_id))["code"]
    wrong = _token(
        world,
        grant_type="authorization_code",
        code=code,
        client_id=client_id,
        client_secret="nope",
        redirect_uri=CALLBACK,
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    code = _code(_authorize(world, client_id))["code"]
    elsewhere = _token(
        world,
        grant_type="authorization_code",
        code=code,
        client_id=client_id,
        client_secret=secret,
        redirect_uri="https://evil.test/cb",
    )
    assert elsewhere.json()["error"] == "invalid_grant"
    # client_credentials is for server-to-server packages only.
    cc = _token(world, grant_type="client_credentials", client_id=client_id, client_secret=secret)
    assert cc.json()["error"] == "unauthorized_client"


def test_public_app_with_pkce(world) -> None:
    client_id, _ = _app(world, "public")
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    assert challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B
    code = _code(
        _authorize(world, client_id, code_challenge=challenge, code_challenge_method="S256")
    )["code"]
    bad = _token(
        world,
        grant_type="authorization_code",
        code=code,
        client_id=client_id,
        redirect_uri=CALLBACK,
        code_verifier="x" * 43,
    )
    assert bad.json()["error"] == "invalid_grant"
    code = _code(
        _authorize(world, client_id, code_challenge=challenge, code_challenge_method="S256")
    )["code"]
    good = _token(
        world,
        grant_type="authorization_code",
        code=code,
        client_id=client_id,
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    )
    assert good.status_code == 200, good.text
    refreshed = _token(
        world,
        grant_type="refresh_token",
        refresh_token=good.json()["refresh_token"],
        client_id=client_id,
    )
    assert refreshed.status_code == 200


def test_the_sign_in_page_refuses_what_it_must(world) -> None:
    client_id, _ = _app(world)
    unknown = world.client.get(
        "/v2/authorize",
        params={"response_type": "code", "client_id": "nobody", "redirect_uri": CALLBACK},
    )
    assert unknown.status_code == 400 and "not that of a web or public app" in unknown.text
    # An unregistered redirect URI gets a page, never a redirect there.
    elsewhere = world.client.get(
        "/v2/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": "https://evil.test/cb",
        },
        follow_redirects=False,
    )
    assert elsewhere.status_code == 400 and "location" not in elsewhere.headers
    token_type = world.client.get(
        "/v2/authorize",
        params={"response_type": "token", "client_id": client_id, "redirect_uri": CALLBACK},
        follow_redirects=False,
    )
    assert _code(token_type)["error"] == "unsupported_response_type"
    wrong = _authorize(world, client_id, user=("api_user", "wrong"))
    assert wrong.status_code == 401 and "Login failed." in wrong.text
    # A user of another account may not authorize this account's app.
    other = _authorize(world, client_id, user=world.other_user)
    assert _code(other)["error"] == "access_denied"


def test_client_credentials_works_as_before_and_grants_are_listed(world) -> None:
    reply = _token(
        world,
        grant_type="client_credentials",
        client_id=world.client_id,
        client_secret=world.client_secret,
    )
    assert reply.status_code == 200 and "refresh_token" not in reply.json()
    assert "campaign_read" in reply.json()["scope"].split()
    unknown = _token(world, grant_type="password", client_id=world.client_id)
    assert unknown.json() == {
        "error": "unsupported_grant_type",
        "error_description": 'Use "authorization_code" or "refresh_token" or "client_credentials" as the grant_type.',
        "error_uri": "https://developer.salesforce.com/docs",
    }
    for odd in ({"x": 1}, ["client_credentials"], 7):  # found by the fuzz test: JSON, not text
        assert (
            _token(world, grant_type=odd, client_id="c").json()["error"] == "unsupported_grant_type"
        )
    missing = _token(world, grant_type="authorization_code", client_id="web-app")
    assert (missing.status_code, missing.json()["error_description"]) == (400, "code is required.")
