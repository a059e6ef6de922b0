"""Rendering the pages: one Jinja2 environment, the headers every page carries, the assets.

Pages load nothing from elsewhere (every script and style is served from ``/ui/static``) and
say so in their Content-Security-Policy: no inline script can run, no remote resource loads.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from sendwell.services.people import Person
from sendwell.web import charts

STATIC = Path(__file__).with_name("static")
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'self'; "
    "base-uri 'none'; object-src 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def _number(value: float | int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True),
)
templates.filters.update(when=_when, number=_number, percent=_percent)
templates.globals.update(bar_chart=charts.bar_chart)


def common(request: Request, person: Person, data: dict[str, Any]) -> dict[str, Any]:
    """What every signed-in page shows: the person, the unit switcher, the CSRF token, and a
    warning while faults are injected into the unit's calls."""
    active = [f for f in request.app.state.faults.current() if f.mid == person.mid]
    return {"person": person, "csrf": data["c"], "active_faults": active}


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The template ``name`` rendered with the page headers."""
    html = templates.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def fragment(name: str, **context: Any) -> str:
    """A template rendered alone (rows the live inbox inserts)."""
    return templates.get_template(name).render(**context)
