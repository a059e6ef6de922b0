"""The API documentation: the /docs and /redoc pages, the schema's overview, tags and security
scheme, and the request models that routes parse themselves.

``/docs`` (Swagger UI) and ``/redoc`` load their scripts and styles from Sendwell itself: the
Swagger UI 5 and ReDoc 2 files that the ``fastapi-offline`` package ships, mounted at
``STATIC_URL``, so they work without internet (FastAPI's own pages load them from a CDN, and
ReDoc its fonts from another). Every operation has a summary and a description (the route's
docstring): what it does, which Marketing Cloud route it mirrors, and the auth it needs. The
SOAP endpoint, the WSDL and the tracking links are documented operations too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

STATIC_URL = "/docs/static"
ASSETS = Path(fastapi_offline.__file__).with_name("static")
# The pages may load from this server only. ReDoc's footer credit is an image on its vendor's
# CDN; the policy keeps the browser from asking for it (the credit then shows without it).
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
)
# Declares the Bearer scheme of the routes that depend on it (the Authorize button, a lock on
# each); it reads nothing itself (auto_error off): ``auth.current_principal`` checks the token.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="Bearer token",
    description="An access token from POST /v2/token (or /v1/requestToken).",
)

DESCRIPTION = """\
Sendwell is a self-hosted email send engine that speaks Salesforce Marketing Cloud's send APIs:
point an integration written for Marketing Cloud at Sendwell's base URL and it runs unchanged.

### SOAP partner API
* Endpoint: [`/Service.asmx`](/Service.asmx): POST a SOAP 1.1 or 1.2 envelope with
  `SOAPAction` set to the operation (`Create`, `Retrieve`, `Update`, `Delete`, `Perform`,
  `Describe`, `VersionInfo`); see *SOAP partner API* below.
* WSDL: [`/etframework.wsdl`](/etframework.wsdl) (also `/Service.asmx?wsdl`), with the fault
  schema [`/ETFrameworkFault.xsd`](/ETFrameworkFault.xsd). Build your client from it
  (zeep, suds/FuelSDK, .NET).
* Auth: a WS-Security `UsernameToken` (an API user), or a `fueloauth` header
  (`<fueloauth xmlns="http://exacttarget.com">TOKEN</fueloauth>`) holding an access token
  from `/v2/token`.
* Dates are Marketing Cloud system time (UTC−6, no daylight saving) without an offset; dates
  you send are UTC with `Z`, at their offset with one, and system time with neither.

### REST
* Get a token with `POST /v2/token` (an installed package's client id and secret) and send
  it as `Authorization: Bearer TOKEN` (the *Authorize* button here) to the other routes.
* The Send API is under `/data/v1/integration/send/salesforce/email`; the look-ups it needs
  are under `/asset/v1/content/assets` and `/sendwell/v1/sendclassifications`.
* Content Builder's emails and content blocks are under `/asset/v1/content/assets`: an email
  asset is the partner API Email of the same ID (`legacyData.legacyId`).
* Routes marked *(Sendwell)* are Sendwell's own, outside every Marketing Cloud prefix.

### Tracking and unsubscribe
Links written into sent messages, opened by recipients: `/t/c/…` (click redirect),
`/t/o/….gif` (open pixel), `/t/u/…` (unsubscribe page and RFC 8058 one-click POST) and
`/t/p/…` (profile center). They need no auth: a signed token in the path names the recipient.

This page and [ReDoc](/redoc) load nothing from the internet; the schema is
[`/openapi.json`](/openapi.json).
"""

TAGS: list[dict[str, Any]] = [
    {
        "name": "SOAP partner API",
        "description": "Marketing Cloud's SOAP web service (`/Service.asmx`) and its WSDL.",
    },
    {"name": "auth", "description": "OAuth tokens and endpoint discovery, as Marketing Cloud."},
    {
        "name": "Send API",
        "description": "Marketing Cloud's REST Send API for Salesforce integrated sends.",
    },
    {
        "name": "Transactional Messaging API",
        "description": "One message to one person, now: definitions, sends, status by "
        "messageKey (Marketing Cloud's /messaging/v1/email).",
    },
    {
        "name": "triggered sends (REST)",
        "description": "Marketing Cloud's legacy messageDefinitionSends over a "
        "TriggeredSendDefinition.",
    },
    {"name": "look-ups", "description": "What a Send API definition refers to: classifications."},
    {
        "name": "Content Builder assets",
        "description": "Emails (the partner API's Emails too) and content blocks.",
    },
    {"name": "campaigns", "description": "Campaigns and the assets associated with them."},
    {
        "name": "data extension rows",
        "description": "Marketing Cloud's REST row routes: upserts, async writes, rowset reads.",
    },
    {"name": "preview", "description": "Render an email for one subscriber (Sendwell)."},
    {"name": "send jobs (Sendwell)", "description": "Follow and control running send jobs."},
    {"name": "captured mail", "description": "Messages the `capture://` transport kept."},
    {"name": "tracking", "description": "Links in sent messages: clicks, opens, unsubscribe."},
]

# Request models of routes that parse their JSON themselves, added to the schema's components.
SCHEMAS: dict[str, type[BaseModel]] = {}


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI request body for a route that parses its JSON itself."""
    SCHEMAS[model.__name__] = model
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }


def install_pages(app: FastAPI, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Serve Swagger UI at ``docs_url`` and ReDoc at ``redoc_url`` with their files from here."""
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"):
        if not (ASSETS / name).is_file():  # a repackaged fastapi-offline: fail at start
            raise RuntimeError(f"the API docs need {ASSETS / name} (pip install fastapi-offline)")
    app.mount(STATIC_URL, StaticFiles(directory=ASSETS), name="docs-static")
    redirect_url = app.swagger_ui_oauth2_redirect_url or f"{docs_url}/oauth2-redirect"

    def asset(request: Request, name: str) -> str:
        return f"{request.scope.get('root_path', '')}{STATIC_URL}/{name}"

    def openapi_url(request: Request) -> str:
        return f"{request.scope.get('root_path', '')}{app.openapi_url}"

    @app.get(docs_url, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url(request),
            title=f"{app.title} API",
            swagger_js_url=asset(request, "swagger-ui-bundle.js"),
            swagger_css_url=asset(request, "swagger-ui.css"),
            swagger_favicon_url=asset(request, "favicon.png"),
            oauth2_redirect_url=redirect_url,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        page.headers["Content-Security-Policy"] = PAGE_POLICY
        return page

    @app.get(redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(redoc_url, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=openapi_url(request),
            title=f"{app.title} API",
            redoc_js_url=asset(request, "redoc.standalone.js"),
            redoc_favicon_url=asset(request, "favicon.png"),
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = PAGE_POLICY
        return page


def install_openapi(app: FastAPI) -> None:
    """Add the request models that routes parse themselves to the schema's components."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        models = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, model in SCHEMAS.items():
            generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
            models.update(generated.pop("$defs", {}))
            models[name] = generated
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
