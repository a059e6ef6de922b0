"""The seed's SOAP request, posted unchanged but for the credentials, answered in the seed
response's shape and element order; the send it starts really delivers."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from tests.support import SmtpServer, shared_file, wait_for

from sendwell.app import create_app
from sendwell.config import Settings
from sendwell.services.demo import ensure_demo

SEED = "seeds/000_2b020f25d02812f1.txt"  # in the shared folder (tests/support.py)
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def seed_parts() -> tuple[str, str]:
    text = shared_file(SEED).read_text()
    request = text.split("###SOAP Request")[1].split("```")[1].strip()
    response = text.split("###SOAP Response")[1].split("```")[1].strip()
    # The seed's response has a broken comment ("<!-- JobId ->"); drop that line.
    response = "\n".join(line for line in response.splitlines() if "<!--" not in line)
    return request, response


def shape(element: etree._Element, depth: int = 0) -> list[tuple[int, str]]:
    """Element names in document order with their depth: the structure a strict client reads."""
    out = [(depth, etree.QName(element).localname)]
    for child in element:
        if isinstance(child.tag, str):
            out += shape(child, depth + 1)
    return out


@pytest.fixture
def seeded(tmp_path):  # type: ignore[no-untyped-def]
    with SmtpServer() as server:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path}/seed.db",
            transport=server.url,
            demo_username="seed_user",
            demo_password="seed-password",
        )
        app = create_app(settings)
        ensure_demo(app.state.engine, settings)
        with TestClient(app) as client:
            yield client, server.recorder


def test_seed_request_gets_the_seed_response_shape_and_really_sends(seeded) -> None:
    client, smtp = seeded
    request, expected = seed_parts()
    request = request.replace(">username<", ">seed_user<").replace(">password<", ">seed-password<")
    response = client.post(
        "/Service.asmx",
        content=request.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "Perform"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert "<soap:Envelope" in response.text and "<soap:Body>" in response.text
    got = etree.fromstring(response.content)
    want = etree.fromstring(expected.encode())
    assert shape(got) == shape(want)  # every element, in order, header and body

    ns = {
        "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
        "p": "http://exacttarget.com/wsdl/partnerAPI",
    }
    header = got[0]
    assert header.findtext("wsa:Action", namespaces=ns) == "PerformResponse"
    assert header.findtext("wsa:RelatesTo", namespaces=ns) == (
        "urn:uuid:30ffce73-2bdc-422a-b3da-1e71e3f15270"
    )
    message_id = header.findtext("wsa:MessageID", namespaces=ns)
    assert message_id.startswith("urn:uuid:") and message_id != header.findtext(
        "wsa:RelatesTo", namespaces=ns
    )
    uuid.UUID(message_id[len("urn:uuid:") :])
    result = got.find(".//p:Results/p:Result", ns)
    assert result.findtext("p:StatusCode", namespaces=ns) == "OK"
    assert result.findtext("p:StatusMessage", namespaces=ns) == "EmailSendDefinition performed"
    obj = result.find("p:Object", ns)
    assert obj.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "EmailSendDefinition"
    assert obj.findtext("p:CustomerKey", namespaces=ns) == "Definition_Key"
    assert GUID.match(obj.findtext("p:ObjectID", namespaces=ns))
    assert obj.findtext("p:SenderProfile/p:FromName", namespaces=ns) == "FromName"
    task = result.find("p:Task", ns)
    assert task.findtext("p:StatusCode", namespaces=ns) == "OK"
    job_id = task.findtext("p:ID", namespaces=ns)
    assert job_id.isdigit()
    assert GUID.match(task.findtext("p:InteractionObjectID", namespaces=ns))
    body = got.find(".//p:PerformResponseMsg", ns)
    assert body.findtext("p:OverallStatus", namespaces=ns) == "OK"
    assert body.findtext("p:OverallStatusMessage", namespaces=ns) == ""
    assert GUID.match(body.findtext("p:RequestID", namespaces=ns))

    # The send runs in the background: 1,000 demo subscribers minus 10 on the exclusion list,
    # from the dynamic sender in the request.
    wait_for(lambda: len(smtp.messages) == 990, timeout=60)
    message = smtp.messages[0].message
    assert str(message["From"]) == "FromName <johndoe@example.com>"
    assert message["X-Job-ID"] == job_id
    assert len(set(smtp.recipients())) == 990
    assert "subscriber00001@example.test" not in smtp.recipients()
