"""Bad input gets a clear fault or error result in SOAP's own terms; nothing is stored."""

from __future__ import annotations

from sqlalchemy import func, select
from tests.support import PARTNER, create, envelope, retrieve, soap, text

from sendwell.store.tables import objects

SOAP_NS = {"soap": "http://schemas.xmlsoap.org/soap/envelope/"}


def stored(world) -> int:  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(objects)).scalar_one()


def post(world, raw: bytes, action: str = "Create"):  # type: ignore[no-untyped-def]
    return world.client.post(
        "/Service.asmx", content=raw, headers={"Content-Type": "text/xml", "SOAPAction": action}
    )


def fault_string(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/xml")
    assert "Traceback" not in response.text
    from lxml import etree

    root = etree.fromstring(response.content)
    return root.find("soap:Body/soap:Fault", SOAP_NS).findtext("faultstring")


def test_malformed_xml_is_a_client_fault(sqlite_world) -> None:
    before = stored(sqlite_world)
    message = fault_string(post(sqlite_world, b"<soap:Envelope><unclosed>"))
    assert message.startswith("Server was unable to read request.")
    assert fault_string(post(sqlite_world, b"")).startswith("Server was unable to read request.")
    assert "not a SOAP envelope" in fault_string(post(sqlite_world, b"<a/>"))
    assert stored(sqlite_world) == before


def test_xml_bombs_and_entities_are_refused(sqlite_world) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        + envelope(create("Email", "<Name>&lol3;</Name>"), user=sqlite_world.user).encode()
    )
    assert "Document type declarations are not allowed" in fault_string(post(sqlite_world, bomb))
    external = (
        b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + envelope(create("Email", "<Name>&xxe;</Name>"), user=sqlite_world.user).encode()
    )
    assert "Document type declarations" in fault_string(post(sqlite_world, external))
    assert stored(sqlite_world) == 0


def test_a_huge_document_is_refused_without_reading_it_all(sqlite_world) -> None:
    limit = sqlite_world.settings.max_request_bytes
    body = create("Email", "<Name>" + "x" * (limit + 10) + "</Name>")
    message = fault_string(post(sqlite_world, envelope(body, user=sqlite_world.user).encode()))
    assert "larger than the limit" in message
    assert stored(sqlite_world) == 0


def test_unknown_object_type_property_and_enum_are_faults(sqlite_world) -> None:
    u = sqlite_world.user
    cases = {
        create("Foo", "<Name>x</Name>"): "Foo",
        create("Email", "<Name>x</Name><Colour>red</Colour>"): "Colour",
        create(
            "SendClassification",
            "<Name>x</Name><SendClassificationType>Loud</SendClassificationType>",
        ): "not a valid value",
    }
    for body, expected in cases.items():
        status, fault = soap(sqlite_world.client, "Create", body, user=u)
        assert status == 500
        assert expected in fault.findtext("faultstring")
        assert fault.findtext("faultstring").startswith("Server was unable to read request.")
    assert stored(sqlite_world) == 0


def test_unknown_soap_action_is_the_asmx_client_fault(sqlite_world) -> None:
    status, fault = soap(
        sqlite_world.client, "Test", create("Email", "<Name>x</Name>"), user=sqlite_world.user
    )
    assert status == 500
    assert fault.findtext("faultcode") == "soap:Client"
    assert fault.findtext("faultstring") == (
        "Server did not recognize the value of HTTP Header SOAPAction: Test."
    )


def test_missing_references_are_error_results_not_faults(sqlite_world) -> None:
    u = sqlite_world.user
    body = create(
        "EmailSendDefinition",
        "<CustomerKey>k</CustomerKey><Name>n</Name><Email><ID>424242</ID></Email>"
        "<SendDefinitionList><List><ID>1</ID></List><DataSourceTypeID>List</DataSourceTypeID>"
        "</SendDefinitionList>",
    )
    status, response = soap(sqlite_world.client, "Create", body, user=u)
    assert status == 200
    assert text(response, "p:OverallStatus") == "Error"
    assert text(response, "p:Results/p:StatusCode") == "Error"
    assert text(response, "p:Results/p:ErrorCode") == "42004"
    assert "424242" in text(response, "p:Results/p:StatusMessage")
    assert text(response, "p:Results/p:Object/p:CustomerKey") == "k"
    status, response = soap(
        sqlite_world.client,
        "Perform",
        f'<PerformRequestMsg xmlns="{PARTNER}"><Action>start</Action><Definitions>'
        '<Definition xsi:type="EmailSendDefinition"><CustomerKey>nope</CustomerKey></Definition>'
        "</Definitions></PerformRequestMsg>",
        user=u,
    )
    assert text(response, "p:Results/p:Result/p:ErrorCode") == "42002"
    assert text(response, "p:OverallStatus") == "Error"
    assert stored(sqlite_world) == 0


def test_retrieve_of_an_unknown_property_says_which(sqlite_world) -> None:
    _, response = soap(
        sqlite_world.client, "Retrieve", retrieve("Send", ["ID", "Colour"]), user=sqlite_world.user
    )
    assert text(response, "p:OverallStatus") == (
        "Error: The Request Property(s) Colour do not match with the fields of Send retrieve"
    )


def test_body_before_header_and_soap12_are_accepted(sqlite_world) -> None:
    c, u = sqlite_world.client, sqlite_world.user
    normal = envelope(retrieve("Email", ["ID"]), user=u)
    head, body = normal.split("<soap:Body>")
    header = head[head.index("<soap:Header>") :]
    swapped = (
        head[: head.index("<soap:Header>")]
        + "<soap:Body>"
        + body.replace("</soap:Envelope>", header + "</soap:Envelope>")
    )
    response = post(sqlite_world, swapped.encode(), "Retrieve")
    assert response.status_code == 200 and "<OverallStatus>OK</OverallStatus>" in response.text
    soap12 = normal.replace(
        "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"
    )
    response = c.post(
        "/Service.asmx",
        content=soap12.encode(),
        headers={"Content-Type": 'application/soap+xml; charset=utf-8; action="Retrieve"'},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/soap+xml")
    assert "http://www.w3.org/2003/05/soap-envelope" in response.text
    lower = c.post("/service.asmx", content=normal.encode(), headers={"SOAPAction": '"Retrieve"'})
    assert lower.status_code == 200 and "<OverallStatus>OK</OverallStatus>" in lower.text


def test_soap12_faults_are_soap12_with_the_sender_status(sqlite_world) -> None:
    request = envelope(retrieve("Email", ["ID"]), user=("api_user", "wrong")).replace(
        "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"
    )
    response = sqlite_world.client.post(
        "/Service.asmx",
        content=request.encode(),
        headers={"Content-Type": 'application/soap+xml; charset=utf-8; action="Retrieve"'},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/soap+xml")
    from lxml import etree

    root = etree.fromstring(response.content)
    ns = {"s": "http://www.w3.org/2003/05/soap-envelope"}
    assert root.findtext("s:Body/s:Fault/s:Reason/s:Text", namespaces=ns) == "Login failed"
    assert root.findtext("s:Body/s:Fault/s:Code/s:Value", namespaces=ns) == "soap:Sender"
