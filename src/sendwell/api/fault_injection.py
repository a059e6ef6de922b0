"""Injected faults, answered before a route runs, as Marketing Cloud presents each failure.

``InjectFaults`` sits in front of every route. While no fault is in force (the usual case, and
always while ``SENDWELL_FAULT_INJECTION`` is off) it passes each request on after one look at
``FaultBook``'s cached list. Otherwise it reads the request's account (the WS-Security user or
token of a SOAP envelope, a REST Bearer token, a token request's client id; no password is
checked), asks the book for a fault that hits this call, and answers it:

- SOAP: a Server fault (``soap_fault``, ``server_error``), per-object results with
  ``StatusCode`` Error and the chosen ``ErrorCode`` (``object_error``: Create, Update, Delete;
  ``OverallStatus`` ``Error: …`` for Retrieve), the ``Token Expired`` fault a lapsed token gets,
  or HTTP 429 with ``Retry-After``;
- REST: 401 ``Not Authorized`` with ``WWW-Authenticate: Bearer error="invalid_token"`` (a lapsed
  token, so SDKs fetch a new one), 429 with Retry-After and errorcode 50200 (Marketing Cloud's
  "Your requests are temporarily blocked."), 500;
- token requests: 429 or 500 with OAuth's error fields;
- ``delay``: the usual answer, late.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any
from urllib.parse import parse_qs

from fastapi.responses import JSONResponse
from lxml import etree
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sendwell.api.rest.errors import DOCS
from sendwell.api.soap.codec import encode
from sendwell.api.soap.envelope import SoapFault, fault_envelope, parse_request, response_envelope
from sendwell.api.soap.types import OPERATIONS
from sendwell.domain.errors import ERR_GENERAL, REST_TEMPORARILY_BLOCKED, AuthError
from sendwell.domain.faults import FaultKind, FaultTarget
from sendwell.services.accounts import Accounts
from sendwell.services.faults import Fault, FaultBook, account_of

TOKEN_PATHS = {"/v2/token", "/v1/requesttoken"}
# Not API calls of an integration: the pages, tracking links, docs, operations, the fault API.
UNTOUCHED = ("/ui", "/t/", "/docs", "/redoc", "/openapi.json", "/metrics", "/healthz")
UNTOUCHED_TOO = ("/readyz", "/sendwell/v1/faults", "/etframework.wsdl", "/etframeworkfault.xsd")
INJECTED = "An error has occurred (injected by Sendwell's fault injection)."
UNEXPECTED = "An unexpected error occurred. It has been logged."


def target_of(method: str, path: str) -> FaultTarget | None:
    """Which kind of call a request is, for fault injection; None for what faults never hit."""
    lower = path.lower()
    if lower == "/service.asmx":
        return FaultTarget.SOAP if method == "POST" else None
    if lower in TOKEN_PATHS:
        return FaultTarget.TOKEN
    if lower == "/" or lower.startswith(UNTOUCHED + UNTOUCHED_TOO):
        return None
    return FaultTarget.REST


class InjectFaults:
    """Answer the calls an injected fault hits; pass every other call on untouched."""

    def __init__(self, app: ASGIApp, book: FaultBook, accounts: Accounts) -> None:
        self.app = app
        self.book = book
        self.accounts = accounts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = (
            target_of(scope.get("method", ""), scope["path"]) if scope["type"] == "http" else None
        )
        if target is None or not self.book.enabled:
            await self.app(scope, receive, send)
            return
        if not await asyncio.to_thread(self.book.candidates, target):
            await self.app(scope, receive, send)
            return
        body, replay = await _buffered(receive)
        request = Request(scope)
        fault = await asyncio.to_thread(self._strike, target, request, body)
        if fault is None:
            await self.app(scope, replay, send)
            return
        if fault.kind == FaultKind.DELAY:
            await asyncio.sleep((fault.delay_ms or 0) / 1000)
            await self.app(scope, replay, send)
            return
        response = _answer(target, fault, request, body)
        await response(scope, replay, send)

    def _strike(self, target: FaultTarget, request: Request, body: bytes) -> Fault | None:
        mid, operation = self._account(target, request, body)
        if mid is None:
            return None
        return self.book.strike(mid, target, operation)

    def _account(
        self, target: FaultTarget, request: Request, body: bytes
    ) -> tuple[int | None, str]:
        """The account a call acts for and its operation (SOAP) or path."""
        path = request.url.path
        if target == FaultTarget.SOAP:
            try:
                soap = parse_request(
                    body, request.headers.get("soapaction"), request.headers.get("content-type")
                )
            except Exception:  # a malformed envelope: the route says so, no fault aims at it
                return None, ""
            creds = soap.credentials
            if creds.token:
                return self._token_mid(creds.token), soap.operation
            return account_of(self.book.engine, username=creds.username), soap.operation
        if target == FaultTarget.TOKEN:
            fields = _token_fields(body)
            account = fields.get("account_id")
            if isinstance(account, int | str) and str(account).isdigit():
                return int(account), path
            client = fields.get("client_id") or fields.get("clientid")
            return account_of(self.book.engine, client_id=str(client or "")), path
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        token = token or request.query_params.get("access_token")
        return (self._token_mid(token) if token else None), path

    def _token_mid(self, token: str) -> int | None:
        try:
            return self.accounts.resolve_token(token).mid
        except AuthError:
            return None


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body (BodyLimit, outside, bounds it), and a receive that gives it
    again to the route."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _token_fields(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
        return {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}
    except ValueError:
        form = parse_qs(body.decode("utf-8", "replace"))
        return {k.lower(): v[0] for k, v in form.items()}


def _answer(target: FaultTarget, fault: Fault, request: Request, body: bytes) -> Response:
    if target == FaultTarget.SOAP:
        return _soap_answer(fault, request, body)
    retry = {"Retry-After": str(fault.retry_after or 0)}
    if target == FaultTarget.TOKEN:
        if fault.kind == FaultKind.RATE_LIMIT:
            blocked = fault.message or "Your requests are temporarily blocked."
            body_json = {
                "error": "too_many_requests",
                "error_description": blocked,
                "message": blocked,
                "errorcode": REST_TEMPORARILY_BLOCKED,
                "documentation": DOCS,
            }
            return JSONResponse(body_json, 429, headers=retry)
        return JSONResponse(
            {"error": "server_error", "error_description": fault.message or INJECTED}, 500
        )
    if fault.kind == FaultKind.TOKEN_EXPIRED:
        return JSONResponse(
            {"message": "Not Authorized", "errorcode": 0, "documentation": DOCS},
            401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if fault.kind == FaultKind.RATE_LIMIT:
        message = fault.message or "Your requests are temporarily blocked."
        return JSONResponse(
            {"message": message, "errorcode": REST_TEMPORARILY_BLOCKED, "documentation": DOCS},
            429,
            headers=retry,
        )
    return JSONResponse(
        {"message": fault.message or INJECTED, "errorcode": 0, "documentation": DOCS}, 500
    )


def _soap_answer(fault: Fault, request: Request, body: bytes) -> Response:
    actor = str(request.base_url).rstrip("/") + "/Service.asmx"
    soap = parse_request(
        body, request.headers.get("soapaction"), request.headers.get("content-type")
    )
    version = soap.version
    media = "application/soap+xml; charset=utf-8" if version == "1.2" else "text/xml; charset=utf-8"
    if fault.kind == FaultKind.OBJECT_ERROR:
        payload = _object_errors(soap.operation, soap.body, fault)
        if payload is not None:
            return Response(
                response_envelope(version, soap.operation, payload, soap.message_id),
                media_type=media,
            )
    if fault.kind == FaultKind.TOKEN_EXPIRED:
        answer = SoapFault("Client", "Token Expired")
    elif fault.kind == FaultKind.SERVER_ERROR:
        answer = SoapFault("Server", fault.message or UNEXPECTED, ERR_GENERAL)
    elif fault.kind == FaultKind.RATE_LIMIT:
        answer = SoapFault("Client", fault.message or "Too many requests; retry later.")
    else:
        answer = SoapFault("Server", fault.message or INJECTED, fault.code)
    status = 429 if fault.kind == FaultKind.RATE_LIMIT else 500
    headers = {"Retry-After": str(fault.retry_after or 0)} if status == 429 else None
    return Response(fault_envelope(version, answer, actor), status, headers, media)


def _object_errors(operation: str, body: etree._Element, fault: Fault) -> etree._Element | None:
    """The operation's response with every object refused (None: the operation has no
    per-object results; the caller answers a fault instead)."""
    described = OPERATIONS.get(operation)
    if described is None:
        return None
    message = fault.message or INJECTED
    if operation == "Retrieve":
        payload: dict[str, Any] = {
            "OverallStatus": f"Error: {message}",
            "RequestID": str(uuid.uuid4()),
        }
    elif operation in ("Create", "Update", "Delete"):
        count = sum(1 for child in body if etree.QName(child).localname == "Objects")
        results = []
        for ordinal in range(max(count, 1)):
            result: dict[str, Any] = {
                "StatusCode": "Error",
                "StatusMessage": message,
                "OrdinalID": ordinal,
                "ErrorCode": fault.code or ERR_GENERAL,
            }
            if operation == "Create":
                result["NewID"] = 0
            results.append(result)
        payload = {"Results": results, "RequestID": str(uuid.uuid4()), "OverallStatus": "Error"}
    else:
        return None
    return encode(payload, described.response, described.response)
