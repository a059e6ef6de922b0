"""SOAP envelopes in and out: hardened parsing, operation dispatch, auth headers, faults.

Requests are read namespace-aware but tolerant (Body before Header, any prefixes, SOAP 1.1 or
1.2); responses are written the way Marketing Cloud writes them: literal ``soap:`` prefix,
WS-Addressing headers, a WS-Security timestamp, the body element in the partner namespace.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from lxml import etree

from sendwell.api.soap.types import OPERATIONS, operation_for_request
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import bounded

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
PARTNER = "http://exacttarget.com/wsdl/partnerAPI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
FAULT_NS = "urn:fault.partner.exacttarget.com"

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


class SoapFault(Exception):
    """A fault to send back: ``kind`` is Client, Server or Security."""

    def __init__(self, kind: str, message: str, code: int | None = None) -> None:
        message = bounded(message)  # a fault never echoes a huge value whole
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code


@dataclass
class Credentials:
    """What the request's header carries to authenticate."""

    token: str | None = None  # fueloauth or oAuth/oAuthToken
    username: str | None = None
    password: str | None = None


@dataclass
class SoapRequest:
    version: str  # "1.1" | "1.2"
    operation: str
    body: etree._Element  # the operation element (CreateRequest, …)
    credentials: Credentials
    message_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def parse_request(raw: bytes, soap_action: str | None, content_type: str | None) -> SoapRequest:
    """Parse and check a request envelope; raise SoapFault on anything malformed."""
    if b"<!DOCTYPE" in raw[:4096].upper() or b"<!ENTITY" in raw.upper():
        raise SoapFault("Client", "Document type declarations are not allowed.")
    try:
        root = etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("Client", f"Server was unable to read request. ---> {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise SoapFault("Client", "Document type declarations are not allowed.")
    if local(root.tag) != "Envelope" or etree.QName(root).namespace not in (SOAP11, SOAP12):
        raise SoapFault("Client", "The request is not a SOAP envelope.")
    version = "1.2" if etree.QName(root).namespace == SOAP12 else "1.1"
    header = body = None
    for child in root:
        name = local(child.tag)
        if name == "Header":
            header = child
        elif name == "Body":
            body = child
    if body is None:
        raise SoapFault("Client", "The SOAP envelope has no Body.")
    payload = next((c for c in body if isinstance(c.tag, str)), None)
    if payload is None:
        raise SoapFault("Client", "The SOAP Body is empty.")
    credentials, message_id, wsa_action = _read_header(header)
    operation = _operation(soap_action, content_type, wsa_action, local(payload.tag))
    return SoapRequest(version, operation, payload, credentials, message_id)


def _read_header(header: etree._Element | None) -> tuple[Credentials, str | None, str | None]:
    creds = Credentials()
    message_id = action = None
    if header is None:
        return creds, None, None
    for element in header.iter():
        if not isinstance(element.tag, str):
            continue
        name = local(element.tag)
        text = (element.text or "").strip()
        if name == "fueloauth" or name == "oAuthToken":
            creds.token = text or creds.token
        elif name == "Username" and element.getparent() is not None:
            creds.username = element.text or ""
        elif name == "Password":
            creds.password = element.text or ""
        elif name == "MessageID":
            message_id = text
        elif name == "Action" and etree.QName(element).namespace in (
            WSA,
            "http://www.w3.org/2005/08/addressing",
        ):
            action = text
    return creds, message_id, action


def _operation(
    soap_action: str | None, content_type: str | None, wsa: str | None, body: str
) -> str:
    candidates = []
    if soap_action:
        candidates.append(soap_action.strip().strip('"'))
    if content_type and "action=" in content_type:
        candidates.append(content_type.split("action=", 1)[1].split(";")[0].strip().strip('"'))
    if wsa:
        candidates.append(wsa)
    for candidate in candidates:
        name = candidate.rsplit("/", 1)[-1]
        if name:
            if name not in OPERATIONS:
                raise SoapFault(
                    "Client",
                    f"Server did not recognize the value of HTTP Header SOAPAction: {name}.",
                )
            return name
    operation = operation_for_request(body)  # no usable SOAPAction: the body element says
    if operation is not None:
        return operation.name
    raise SoapFault("Client", f"Server did not recognize the request element {body}.")


def _envelope(version: str) -> tuple[etree._Element, etree._Element, etree._Element]:
    nsmap = {
        "soap": SOAP12 if version == "1.2" else SOAP11,
        "xsi": XSI,
        "xsd": XSD,
        "wsa": WSA,
        "wsse": WSSE,
        "wsu": WSU,
    }
    soap = nsmap["soap"]
    env = etree.Element(f"{{{soap}}}Envelope", nsmap=nsmap)
    header = etree.SubElement(env, f"{{{soap}}}Header")
    body = etree.SubElement(env, f"{{{soap}}}Body")
    return env, header, body


def response_envelope(
    version: str, operation: str, payload: etree._Element, relates_to: str | None
) -> bytes:
    """Wrap a response element the way Marketing Cloud does."""
    env, header, body = _envelope(version)
    etree.SubElement(header, f"{{{WSA}}}Action").text = operation + "Response"
    etree.SubElement(header, f"{{{WSA}}}MessageID").text = f"urn:uuid:{uuid.uuid4()}"
    if relates_to:
        etree.SubElement(header, f"{{{WSA}}}RelatesTo").text = relates_to
    etree.SubElement(header, f"{{{WSA}}}To").text = f"{WSA}/role/anonymous"
    security = etree.SubElement(header, f"{{{WSSE}}}Security")
    stamp = etree.SubElement(security, f"{{{WSU}}}Timestamp")
    stamp.set(f"{{{WSU}}}Id", f"Timestamp-{uuid.uuid4()}")
    now = utcnow().replace(microsecond=0)
    etree.SubElement(stamp, f"{{{WSU}}}Created").text = now.isoformat() + "Z"
    etree.SubElement(stamp, f"{{{WSU}}}Expires").text = (
        now + timedelta(minutes=5)
    ).isoformat() + "Z"
    body.append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def fault_envelope(version: str, fault: SoapFault, actor: str) -> bytes:
    """A SOAP Fault (1.1 or 1.2) in the shapes Marketing Cloud uses."""
    env, header, body = _envelope(version)
    env.remove(header)
    soap = env.nsmap["soap"]
    element = etree.SubElement(body, f"{{{soap}}}Fault")
    if version == "1.2":
        code = etree.SubElement(element, f"{{{soap}}}Code")
        value = "soap:Sender" if fault.kind in ("Client", "Security") else "soap:Receiver"
        etree.SubElement(code, f"{{{soap}}}Value").text = value
        if fault.kind == "Security":
            sub = etree.SubElement(code, f"{{{soap}}}Subcode")
            etree.SubElement(sub, f"{{{soap}}}Value", nsmap={"q0": WSSE}).text = "q0:Security"
        reason = etree.SubElement(element, f"{{{soap}}}Reason")
        text = etree.SubElement(reason, f"{{{soap}}}Text")
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        text.text = fault.message
    else:
        if fault.kind == "Security":
            code = etree.SubElement(element, "faultcode", nsmap={"q0": WSSE})
            code.text = "q0:Security"
        else:
            etree.SubElement(element, "faultcode").text = f"soap:{fault.kind}"
        etree.SubElement(element, "faultstring").text = fault.message
        etree.SubElement(element, "faultactor").text = actor
    if fault.kind != "Security":
        detail = etree.SubElement(element, f"{{{soap}}}Detail" if version == "1.2" else "detail")
        if fault.code is not None:
            api = etree.SubElement(detail, f"{{{FAULT_NS}}}apifault", nsmap={None: FAULT_NS})
            etree.SubElement(api, f"{{{FAULT_NS}}}Code").text = str(fault.code)
            etree.SubElement(api, f"{{{FAULT_NS}}}Message").text = fault.message
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")
