"""Signing in to the pages with a TestClient, as a browser would (cookies, CSRF fields)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str, next: str = "/ui/sends") -> int:
    """Post the sign-in form; the status of the answer (303 when signed in)."""
    form = client.get("/ui/login")
    reply = client.post(
        "/ui/login",
        data={"username": username, "password": password, "csrf": csrf_of(form.text), "next": next},
        follow_redirects=False,
    )
    return reply.status_code
