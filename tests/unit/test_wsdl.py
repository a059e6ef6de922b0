"""The generated WSDL: its shape, and that zeep and suds load it and interoperate with the codec.

Both clients read the WSDL and the fault schema from a temporary folder through file:// URLs, so
the test needs no network and no server.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from lxml import etree

from sendwell.api.soap.codec import decode, encode_into
from sendwell.api.soap.types import PARTNER_NS
from sendwell.api.soap.wsdl import FAULT_NS, render_fault_xsd, render_wsdl

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD = "http://www.w3.org/2001/XMLSchema"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
OPERATIONS = [
    "Create",
    "Retrieve",
    "Update",
    "Delete",
    "Describe",
    "Perform",
    "VersionInfo",
    "Schedule",
]
OPERATIONS += ["Configure", "Execute", "Extract"]  # profile attributes, LogUnsubEvent, extracts


@pytest.fixture(scope="module")
def wsdl_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("wsdl")
    (folder / "etframework.wsdl").write_bytes(render_wsdl(folder.as_uri()))
    (folder / "ETFrameworkFault.xsd").write_bytes(render_fault_xsd())
    return (folder / "etframework.wsdl").as_uri()


def body_child(envelope: etree._Element) -> etree._Element:
    return envelope.find(f"{{{SOAP_ENV}}}Body")[0]


# ---- Shape ----------------------------------------------------------------------------------


def test_wsdl_points_at_the_server_and_imports_the_fault_schema_absolutely() -> None:
    doc = etree.fromstring(render_wsdl("http://127.0.0.1:1/"))
    address = doc.find(f"{{{WSDL}}}service/{{{WSDL}}}port/{{{SOAP}}}address")
    assert address.get("location") == "http://127.0.0.1:1/Service.asmx"
    schema = doc.find(f"{{{WSDL}}}types/{{{XSD}}}schema")
    assert schema.get("targetNamespace") == PARTNER_NS
    assert schema.get("elementFormDefault") == "qualified"
    fault_import = schema.find(f"{{{XSD}}}import")
    assert fault_import.get("namespace") == FAULT_NS
    assert fault_import.get("schemaLocation") == "http://127.0.0.1:1/ETFrameworkFault.xsd"


def test_wsdl_binds_each_operation_document_literal_with_its_name_as_soap_action() -> None:
    doc = etree.fromstring(render_wsdl("http://127.0.0.1:1"))
    service = doc.find(f"{{{WSDL}}}service")
    assert service.get("name") == "PartnerAPI"
    assert service.find(f"{{{WSDL}}}port").get("name") == "Soap"
    binding = doc.find(f"{{{WSDL}}}binding")
    assert binding.get("name") == "SoapBinding"
    assert binding.find(f"{{{SOAP}}}binding").get("style") == "document"
    actions = {
        op.get("name"): op.find(f"{{{SOAP}}}operation").get("soapAction")
        for op in binding.iterfind(f"{{{WSDL}}}operation")
    }
    assert actions == {name: name for name in OPERATIONS}
    parts = {m.get("name"): m.find(f"{{{WSDL}}}part") for m in doc.iterfind(f"{{{WSDL}}}message")}
    assert {p.get("name") for p in parts.values()} == {"parameters"}
    assert parts["definitionRequest"].get("element") == "tns:DefinitionRequestMsg"


def test_wsdl_schema_renders_inheritance_occurrence_and_enums() -> None:
    schema = etree.fromstring(render_wsdl("http://127.0.0.1:1")).find(f".//{{{XSD}}}schema")
    esd = schema.find(f"{{{XSD}}}complexType[@name='EmailSendDefinition']")
    extension = esd.find(f"{{{XSD}}}complexContent/{{{XSD}}}extension")
    assert extension.get("base") == "tns:SendDefinition"
    first, *_ = extension.find(f"{{{XSD}}}sequence")
    assert (first.get("name"), first.get("minOccurs"), first.get("maxOccurs")) == (
        "SendDefinitionList",
        "0",
        "unbounded",
    )
    tracking = extension.find(f"{{{XSD}}}sequence/{{{XSD}}}element[@name='TrackingUsers']")
    inner = tracking.find(f"{{{XSD}}}complexType/{{{XSD}}}sequence/{{{XSD}}}element")
    assert (inner.get("name"), inner.get("type")) == ("TrackingUser", "tns:TrackingUser")
    partner_key = schema.find(f".//{{{XSD}}}complexType[@name='APIObject']//*[@name='PartnerKey']")
    assert partner_key.get("nillable") == "true"
    enum = schema.find(f"{{{XSD}}}simpleType[@name='SendClassificationTypeEnum']")
    assert [e.get("value") for e in enum.iter(f"{{{XSD}}}enumeration")] == [
        "Operational",
        "Marketing",
    ]


def test_render_is_cached_per_base_url() -> None:
    assert render_wsdl("http://a") is render_wsdl("http://a")
    assert render_wsdl("http://a") != render_wsdl("http://b")


def test_fault_schema_declares_apifault() -> None:
    schema = etree.fromstring(render_fault_xsd())
    assert schema.get("targetNamespace") == FAULT_NS
    assert schema.find(f"{{{XSD}}}element").attrib == {"name": "apifault", "type": "tns:APIFault"}
    fields = schema.findall(f"{{{XSD}}}complexType/{{{XSD}}}sequence/{{{XSD}}}element")
    assert [f.get("name") for f in fields] == ["Code", "Message", "LogID", "Params"]


# ---- zeep -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zeep_client(wsdl_url: str):
    zeep = pytest.importorskip("zeep")
    return zeep.Client(wsdl_url)


def test_zeep_create_request_decodes(zeep_client) -> None:
    esd = zeep_client.get_type("ns0:EmailSendDefinition")
    definition = esd(
        CustomerKey="API-Test-1",
        Name="API Test 1",
        Email={"ID": 4321},
        SendClassification={"CustomerKey": "Default Commercial"},
        SendDefinitionList=[{"List": {"ID": 1234}, "DataSourceTypeID": "List"}],
        TrackingUsers={"TrackingUser": [{"IsActive": True, "EmployeeID": 3}]},
    )
    envelope = zeep_client.create_message(
        zeep_client.service, "Create", Options={}, Objects=[definition]
    )
    assert decode(body_child(envelope), "CreateRequest") == {
        "__type__": "CreateRequest",
        "Objects": [
            {
                "__type__": "EmailSendDefinition",
                "CustomerKey": "API-Test-1",
                "Name": "API Test 1",
                "SendClassification": {
                    "__type__": "SendClassification",
                    "CustomerKey": "Default Commercial",
                },
                "SendDefinitionList": [
                    {
                        "__type__": "SendDefinitionList",
                        "List": {"__type__": "List", "ID": 1234},
                        "DataSourceTypeID": "List",
                    }
                ],
                "Email": {"__type__": "Email", "ID": 4321},
                "TrackingUsers": {
                    "TrackingUser": [
                        {"__type__": "TrackingUser", "IsActive": True, "EmployeeID": 3}
                    ]
                },
            }
        ],
    }


def test_zeep_retrieve_and_perform_requests_decode(zeep_client) -> None:
    simple = zeep_client.get_type("ns0:SimpleFilterPart")
    retrieve = zeep_client.create_message(
        zeep_client.service,
        "Retrieve",
        RetrieveRequest={
            "ObjectType": "Send",
            "Properties": ["ID", "Status"],
            "Filter": simple(Property="ID", SimpleOperator="equals", Value=["12052743"]),
        },
    )
    request = decode(body_child(retrieve), "RetrieveRequestMsg")["RetrieveRequest"]
    assert request["Filter"] == {
        "__type__": "SimpleFilterPart",
        "Property": "ID",
        "SimpleOperator": "equals",
        "Value": ["12052743"],
    }
    esd = zeep_client.get_type("ns0:EmailSendDefinition")
    perform = zeep_client.create_message(
        zeep_client.service,
        "Perform",
        Options={},
        Action="start",
        Definitions={"Definition": [esd(CustomerKey="API-Test-1")]},
    )
    assert decode(body_child(perform), "PerformRequestMsg") == {
        "__type__": "PerformRequestMsg",
        "Action": "start",
        "Definitions": {
            "Definition": [{"__type__": "EmailSendDefinition", "CustomerKey": "API-Test-1"}]
        },
    }


def test_zeep_parses_encoded_responses_strictly(zeep_client) -> None:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    reply = {
        "OverallStatus": "OK",
        "RequestID": "r-1",
        "Results": [
            {
                "__type__": "Send",
                "ID": 12052743,
                "Email": {"ID": 4321},
                "SendDate": datetime(2024, 11, 24, 10, 0),
                "NumberSent": 2,
                "SentDate": None,
                "Status": "Complete",
            },
            {"__type__": "SentEvent", "SendID": 12052743, "EventType": "Sent"},
        ],
    }
    element = encode_into(body, "RetrieveResponseMsg", reply, "RetrieveResponseMsg")
    parsed = zeep_client.get_element("ns0:RetrieveResponseMsg").parse(
        element, zeep_client.wsdl.types
    )
    send, event = parsed.Results
    assert (send.ID, send.Email.ID, send.NumberSent, send.SentDate) == (12052743, 4321, 2, None)
    # 10:00 UTC stored; Marketing Cloud shows its system time (UTC-6) without an offset.
    assert send.SendDate == datetime(2024, 11, 24, 4, 0)
    assert type(event).__name__ == "SentEvent" and event.EventType == "Sent"


# ---- suds (what FuelSDK uses) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def suds_client(wsdl_url: str):
    client_module = pytest.importorskip("suds.client")
    return client_module.Client(wsdl_url, cache=None, nosend=True)


def test_suds_builds_objects_and_create_requests_decode(suds_client) -> None:
    definition = suds_client.factory.create("EmailSendDefinition")
    definition.CustomerKey = "API-Test-1"
    definition.Email = {"ID": 4321}
    audience = suds_client.factory.create("SendDefinitionList")
    audience.List = {"ID": 1234}
    audience.DataSourceTypeID = "List"
    definition.SendDefinitionList = [audience]
    context = suds_client.service.Create(None, [definition])
    decoded = decode(body_child(etree.fromstring(context.envelope)), "CreateRequest")
    assert decoded["Objects"] == [
        {
            "__type__": "EmailSendDefinition",
            "CustomerKey": "API-Test-1",
            "SendDefinitionList": [
                {
                    "__type__": "SendDefinitionList",
                    "List": {"__type__": "List", "ID": 1234},
                    "DataSourceTypeID": "List",
                }
            ],
            "Email": {"__type__": "Email", "ID": 4321},
        }
    ]


def test_suds_factory_create_stays_fast(suds_client) -> None:
    """FuelSDK calls factory.create for every post/patch/delete; suds builds the whole graph."""
    started = time.perf_counter()
    for name in ("EmailSendDefinition", "Send", "SendDefinitionList", "BusinessUnit"):
        suds_client.factory.create(name)
    assert time.perf_counter() - started < 1.0


def test_suds_describe_request_decodes(suds_client) -> None:
    requests = suds_client.factory.create("ArrayOfObjectDefinitionRequest")
    requests.ObjectDefinitionRequest = [{"ObjectType": "Send"}]
    context = suds_client.service.Describe(requests)
    decoded = decode(body_child(etree.fromstring(context.envelope)), "DefinitionRequestMsg")
    assert decoded["DescribeRequests"]["ObjectDefinitionRequest"] == [
        {"__type__": "ObjectDefinitionRequest", "ObjectType": "Send"}
    ]
