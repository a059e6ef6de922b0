"""HTTP face of the SOAP partner API: ``/Service.asmx``, the WSDL and the fault schema."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from lxml import etree

from sendwell.api.asgi import BodyTooLarge
from sendwell.api.soap import configure_execute, operations, scheduling
from sendwell.api.soap.codec import DecodeError, decode, encode
from sendwell.api.soap.envelope import (
    SoapFault,
    SoapRequest,
    fault_envelope,
    parse_request,
    response_envelope,
)
from sendwell.api.soap.types import OPERATIONS
from sendwell.api.soap.wsdl import render_fault_xsd, render_wsdl
from sendwell.domain.errors import (
    ERR_GENERAL,
    AuthError,
    LoginThrottled,
    SendwellError,
    TokenExpired,
)
from sendwell.services.accounts import Principal

log = logging.getLogger("sendwell.soap")
router = APIRouter(tags=["SOAP partner API"])
UNEXPECTED = "An unexpected error occurred. It has been logged."
XML = {"content": {"text/xml": {"schema": {"type": "string"}}}}
EXAMPLE = """<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
 <soap:Header><fueloauth xmlns="http://exacttarget.com">ACCESS_TOKEN</fueloauth></soap:Header>
 <soap:Body><RetrieveRequestMsg xmlns="http://exacttarget.com/wsdl/partnerAPI"><RetrieveRequest>
  <ObjectType>Send</ObjectType><Properties>ID</Properties><Properties>Status</Properties>
  <Properties>SendDate</Properties>
 </RetrieveRequest></RetrieveRequestMsg></soap:Body></soap:Envelope>"""
SERVICE_DOC = {
    "parameters": [
        {
            "name": "SOAPAction",
            "in": "header",
            "description": "The operation (quotes and a namespace prefix are allowed).",
            "schema": {"type": "string", "enum": sorted(OPERATIONS)},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {"text/xml": {"schema": {"type": "string"}, "example": EXAMPLE}},
    },
}

Handler = Callable[[operations.Context, dict[str, Any]], dict[str, Any]]
HANDLERS: dict[str, Handler] = {
    "Create": lambda ctx, req: operations.write_objects(ctx, "Create", req),
    "Update": lambda ctx, req: operations.write_objects(ctx, "Update", req),
    "Delete": lambda ctx, req: operations.write_objects(ctx, "Delete", req),
    "Retrieve": operations.retrieve,
    "Perform": operations.perform,
    "Describe": operations.describe_objects,
    "VersionInfo": operations.version_info,
    "Schedule": scheduling.schedule,
    # Profile attributes, LogUnsubEvent, and extracts answered "not supported".
    "Configure": configure_execute.configure,
    "Execute": configure_execute.execute,
    "Extract": configure_execute.extract,
}


def base_url(request: Request) -> str:
    configured = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def _xml(body: bytes, version: str = "1.1", status: int = 200) -> Response:
    media = "application/soap+xml; charset=utf-8" if version == "1.2" else "text/xml; charset=utf-8"
    return Response(body, status_code=status, media_type=media)


@router.get("/etframework.wsdl", summary="The WSDL", response_class=Response, responses={200: XML})
@router.head("/etframework.wsdl", include_in_schema=False)
def wsdl(request: Request) -> Response:
    """The partner API's WSDL, generated from the type description Sendwell decodes and encodes
    with, its `soap:address` pointing at this server's `/Service.asmx`; build a client from it
    (zeep, suds/FuelSDK, .NET). As Marketing Cloud's `etframework.wsdl`. No auth."""
    return Response(
        render_wsdl(base_url(request)),
        media_type="text/xml; charset=utf-8",
        headers={"Last-Modified": request.app.state.started_http_date},
    )


@router.get(
    "/ETFrameworkFault.xsd",
    summary="The fault schema",
    response_class=Response,
    responses={200: XML},
)
def fault_schema() -> Response:
    """The XML schema of the partner API's fault detail, which the WSDL imports, as Marketing
    Cloud's `ETFrameworkFault.xsd`. No auth."""
    return Response(render_fault_xsd(), media_type="text/xml; charset=utf-8")


@router.get("/Service.asmx", summary="The WSDL (?wsdl)", response_class=Response)
def service_get(request: Request) -> Response:
    """With `?wsdl` the WSDL (as ASMX services answer), otherwise a one-line hint: SOAP requests
    are POSTed here. No auth."""
    if "wsdl" in {k.lower() for k in request.query_params}:
        return wsdl(request)
    return Response("POST SOAP envelopes here.", media_type="text/plain")


@router.post(
    "/Service.asmx",
    summary="SOAP partner API: Create, Retrieve, Update, Delete, Perform, Schedule, Describe",
    response_class=Response,
    openapi_extra=SERVICE_DOC,
    responses={
        200: {"description": "The operation's response envelope", **XML},
        500: {"description": "A SOAP Fault: malformed envelope or failed login", **XML},
    },
)
async def service(request: Request) -> Response:
    """Marketing Cloud's SOAP web service (`https://SUBDOMAIN.soap.marketingcloudapis.com/
    Service.asmx`): a SOAP 1.1 or 1.2 envelope whose `SOAPAction` names the operation. `Perform`
    `start` on an `EmailSendDefinition` starts a send and answers its JobID (`Schedule` does so
    at a time, once or recurring); `Retrieve` of `Send` follows it. Per-object problems are
    results with `StatusCode` `Error`; a malformed envelope or a failed login is a SOAP Fault.
    Auth: a WS-Security `UsernameToken` (an API user) or a `fueloauth` header with an access
    token from `/v2/token`."""
    state = request.app.state
    actor = base_url(request) + "/Service.asmx"
    version = "1.1"
    try:
        raw = await request.body()  # at most settings.max_request_bytes (api.asgi.BodyLimit)
        soap = parse_request(
            raw, request.headers.get("soapaction"), request.headers.get("content-type")
        )
        version = soap.version
        principal = await authenticate(state, soap, client_address(request))
        # The operation's database work runs on the thread pool, as REST routes do, so one
        # slow Retrieve does not hold up every other request on the event loop.
        payload = await run_in_threadpool(dispatch, state, soap, principal)
        return _xml(response_envelope(version, soap.operation, payload, soap.message_id), version)
    except SoapFault as fault:
        return _fault(version, fault, actor)
    except DecodeError as exc:
        message = (
            "Server was unable to read request. ---> There is an error in the XML document. ---> "
            + str(exc)
        )
        return _fault(version, SoapFault("Client", message), actor)
    except BodyTooLarge:
        raise  # BodyLimit answers it, with the fault of fault_response
    except Exception:
        log.exception("unexpected error in SOAP request")
        return _fault(version, SoapFault("Server", UNEXPECTED, ERR_GENERAL), actor)


def _fault(version: str, fault: SoapFault, actor: str) -> Response:
    """SOAP 1.1 sends every fault with HTTP 500 (as ASMX does); SOAP 1.2 sends Sender faults
    with 400 and Receiver faults with 500, per its HTTP binding."""
    status = 400 if version == "1.2" and fault.kind != "Server" else 500
    return _xml(fault_envelope(version, fault, actor), version, status)


def fault_response(request: Request, status: int, message: str) -> Response:
    """A fault for a request refused before (or outside) its operation: a Client fault for a
    4xx ``status`` (a body over the limit), else a Server fault for an unexpected error."""
    version = "1.2" if "soap+xml" in request.headers.get("content-type", "").lower() else "1.1"
    if status < 500:
        fault = SoapFault("Client", message)
    else:
        fault = SoapFault("Server", UNEXPECTED, ERR_GENERAL)
    return _fault(version, fault, base_url(request) + "/Service.asmx")


def client_address(request: Request) -> str | None:
    """The address a request came from (uvicorn applies X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else None


async def authenticate(state: Any, soap: SoapRequest, address: str | None) -> Principal:
    """The caller, from a token header or a WS-Security UsernameToken."""
    creds = soap.credentials
    try:
        if creds.token:
            return state.accounts.resolve_token(creds.token)
        if creds.username and creds.username != "*":
            return await state.logins.user(creds.username, creds.password or "", address)
    except TokenExpired:
        raise SoapFault("Client", "Token Expired") from None
    except LoginThrottled as exc:
        # Still a Security fault that starts "Login failed", as clients test for; the rest says
        # why and when to retry (Marketing Cloud's wording for a locked-out user is unknown).
        raise SoapFault("Security", exc.message) from None
    except AuthError:
        raise SoapFault("Security", "Login failed") from None
    raise SoapFault("Security", "Login failed")


def dispatch(state: Any, soap: SoapRequest, principal: Principal) -> etree._Element:
    """Decode the body, run the operation, encode its response."""
    operation = OPERATIONS.get(soap.operation)
    handler = HANDLERS.get(soap.operation)
    if operation is None or handler is None:
        raise SoapFault("Client", f"The operation {soap.operation} is not supported.", ERR_GENERAL)
    if etree.QName(soap.body).localname.lower() != operation.request.lower():
        raise SoapFault(
            "Client",
            f"The body element {etree.QName(soap.body).localname} does not match the "
            f"SOAPAction {soap.operation}.",
        )
    if soap.operation == "Retrieve":
        _wrap_bare_retrieve(soap.body)
    # Marketing Cloud's system time, for every date in the request and the reply.
    offset = state.settings.system_utc_offset_minutes
    request = decode(soap.body, operation.request, system_offset_minutes=offset)
    ctx = operations.Context(state.engine, principal, state.wake_workers, offset)
    try:
        response = handler(ctx, request)
    except SendwellError as exc:
        raise SoapFault("Client", exc.message, exc.code) from None
    return encode(response, operation.response, operation.response, system_offset_minutes=offset)


def _wrap_bare_retrieve(body: etree._Element) -> None:
    """FuelSDK-Ruby pages with ``RetrieveRequestMsg/ContinueRequest``, no RetrieveRequest."""
    children = [c for c in body if isinstance(c.tag, str)]
    if children and all(etree.QName(c).localname != "RetrieveRequest" for c in children):
        wrapper = etree.SubElement(body, f"{{{etree.QName(body).namespace}}}RetrieveRequest")
        for child in children:
            wrapper.append(child)
