"""Shared test helpers: a recording SMTP server, SOAP envelopes, account set-up."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR_VARIABLE = "SENDWELL_TEST_SHARED_DIR"
PARTNER = "http://exacttarget.com/wsdl/partnerAPI"
NS = {"p": PARTNER, "soap": "http://schemas.xmlsoap.org/soap/envelope/"}


def shared_dir() -> Path:
    """The project's shared folder (reference WSDL, seeds): ``$SENDWELL_TEST_SHARED_DIR``, or
    ``shared`` beside the repository (``../shared``), where the project keeps it."""
    configured = os.environ.get(SHARED_DIR_VARIABLE)
    return Path(configured).expanduser() if configured else ROOT.parent / "shared"


def shared_file(relative: str) -> Path:
    """A file of the shared folder; skips, saying exactly what to provide, when it is missing."""
    path = shared_dir() / relative
    if not path.is_file():
        pytest.skip(
            f"needs {relative} from the project's shared folder, not found at {path}: set "
            f"{SHARED_DIR_VARIABLE} to the folder that holds api/reference/etframework.wsdl "
            "and seeds/ (default: ../shared beside the repository)"
        )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Delivered:
    mail_from: str
    rcpt_to: list[str]
    message: EmailMessage


@dataclass
class SmtpRecorder:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts."""

    messages: list[Delivered] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        self.messages.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 2.0.0 OK"

    def recipients(self) -> list[str]:
        return [r for m in self.messages for r in m.rcpt_to]


class SmtpServer:
    def __init__(self) -> None:
        self.recorder = SmtpRecorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=off"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def envelope(
    body: str,
    *,
    user: tuple[str, str] | None = None,
    token: str | None = None,
    header_extra: str = "",
) -> str:
    """A SOAP 1.1 request envelope around ``body`` with WS-Security or fueloauth auth."""
    auth = ""
    if user:
        auth = (
            '<wsse:Security soap:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/'
            '2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><wsse:UsernameToken>'
            f"<wsse:Username>{user[0]}</wsse:Username><wsse:Password>{user[1]}</wsse:Password>"
            "</wsse:UsernameToken></wsse:Security>"
        )
    if token:
        auth = f'<fueloauth xmlns="http://exacttarget.com">{token}</fueloauth>'
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<soap:Header>{auth}{header_extra}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
    )


def soap(client, action: str, body: str, **auth) -> tuple[int, etree._Element]:  # type: ignore[no-untyped-def]
    """POST a SOAP request; returns (HTTP status, the Body's first child)."""
    response = client.post(
        "/Service.asmx",
        content=envelope(body, **auth).encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action},
    )
    root = etree.fromstring(response.content)
    body_el = root.find("soap:Body", NS)
    return response.status_code, body_el[0]


def text(element: etree._Element, path: str) -> str | None:
    found = element.find(path, NS)
    return None if found is None else (found.text or "")


def texts(element: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in element.findall(path, NS)]


def wait_for(check: Callable[[], object], timeout: float = 30.0, interval: float = 0.1) -> object:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value is not None and value is not False:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def create(obj_type: str, props: str) -> str:
    return (
        f'<CreateRequest xmlns="{PARTNER}"><Objects xsi:type="{obj_type}">{props}</Objects>'
        "</CreateRequest>"
    )


def retrieve(obj_type: str, properties: list[str], filter_xml: str = "", extra: str = "") -> str:
    props = "".join(f"<Properties>{p}</Properties>" for p in properties)
    return (
        f'<RetrieveRequestMsg xmlns="{PARTNER}"><RetrieveRequest>{extra}<ObjectType>{obj_type}'
        f"</ObjectType>{props}{filter_xml}</RetrieveRequest></RetrieveRequestMsg>"
    )


def simple_filter(prop: str, op: str, *values: str) -> str:
    vals = "".join(f"<Value>{v}</Value>" for v in values)
    return (
        f'<Filter xsi:type="SimpleFilterPart"><Property>{prop}</Property>'
        f"<SimpleOperator>{op}</SimpleOperator>{vals}</Filter>"
    )


def perform_start(customer_key: str, extra: str = "", options: str = "") -> str:
    return (
        f'<PerformRequestMsg xmlns="{PARTNER}">{options}<Action>start</Action><Definitions>'
        f'<Definition xsi:type="EmailSendDefinition"><CustomerKey>{customer_key}</CustomerKey>'
        f"{extra}</Definition></Definitions></PerformRequestMsg>"
    )
