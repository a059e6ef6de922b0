"""The WSDL Sendwell serves, generated from the type description in `types`.

`render_wsdl(base_url)` gives a WSDL 1.1 document/literal description of the partner API
operations Sendwell implements, with the schema embedded. The fault schema is imported from
`base_url + "/ETFrameworkFault.xsd"` (absolute, because suds and zeep fetch it eagerly and
FuelSDK reads its cached WSDL from a file:// URL), and `render_fault_xsd()` is that schema.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from sendwell.api.soap.types import (
    OPERATIONS,
    PARTNER_NS,
    PRIMITIVES,
    TYPES,
    ComplexType,
    EnumType,
    Field,
    PatternType,
    TypeDef,
)

FAULT_NS = "urn:fault.partner.exacttarget.com"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
FAULT_XSD_PATH = "/ETFrameworkFault.xsd"
SERVICE_PATH = "/Service.asmx"


def _wsdl(name: str) -> str:
    return f"{{{WSDL_NS}}}{name}"


def _xsd(name: str) -> str:
    return f"{{{XSD_NS}}}{name}"


def _soap(name: str) -> str:
    return f"{{{SOAP_BINDING_NS}}}{name}"


def _type_ref(type_name: str) -> str:
    return f"xsd:{type_name}" if type_name in PRIMITIVES else f"tns:{type_name}"


@lru_cache(maxsize=16)
def render_wsdl(base_url: str) -> bytes:
    """The WSDL for a server reachable at `base_url` (e.g. "https://mc.example.com")."""
    base_url = base_url.rstrip("/")
    root = etree.Element(
        _wsdl("definitions"),
        nsmap={"wsdl": WSDL_NS, "soap": SOAP_BINDING_NS, "xsd": XSD_NS, "tns": PARTNER_NS},
        targetNamespace=PARTNER_NS,
        name="PartnerAPI",
    )
    types_el = etree.SubElement(root, _wsdl("types"))
    types_el.append(_schema(base_url + FAULT_XSD_PATH))
    _messages(root)
    _port_type(root)
    _binding(root)
    service = etree.SubElement(root, _wsdl("service"), name="PartnerAPI")
    port = etree.SubElement(service, _wsdl("port"), name="Soap", binding="tns:SoapBinding")
    etree.SubElement(port, _soap("address"), location=base_url + SERVICE_PATH)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _schema(fault_location: str) -> etree._Element:
    schema = etree.Element(
        _xsd("schema"), targetNamespace=PARTNER_NS, elementFormDefault="qualified"
    )
    etree.SubElement(schema, _xsd("import"), namespace=FAULT_NS, schemaLocation=fault_location)
    for definition in TYPES.values():
        _declare(schema, definition)
    return schema


def _declare(schema: etree._Element, definition: TypeDef) -> None:
    if isinstance(definition, EnumType | PatternType):
        simple = etree.SubElement(schema, _xsd("simpleType"), name=definition.name)
        restriction = etree.SubElement(simple, _xsd("restriction"), base="xsd:string")
        if isinstance(definition, PatternType):
            etree.SubElement(restriction, _xsd("pattern"), value=definition.pattern)
        for value in getattr(definition, "values", ()):
            etree.SubElement(restriction, _xsd("enumeration"), value=value)
    elif definition.kind == "type":
        complex_el = etree.SubElement(schema, _xsd("complexType"), name=definition.name)
        if definition.abstract:
            complex_el.set("abstract", "true")
        _content(complex_el, definition)
    elif definition.kind == "element":
        element = etree.SubElement(schema, _xsd("element"), name=definition.name)
        _content(etree.SubElement(element, _xsd("complexType")), definition)
    # "inline" types are written inside the element of the field that uses them


def _content(complex_el: etree._Element, definition: ComplexType) -> None:
    """The sequence of a complex type, inside an extension of its base if it has one."""
    parent = complex_el
    if definition.base is not None:
        content = etree.SubElement(complex_el, _xsd("complexContent"))
        parent = etree.SubElement(content, _xsd("extension"), base=f"tns:{definition.base}")
    if definition.fields:
        sequence = etree.SubElement(parent, _xsd("sequence"))
        for field in definition.fields:
            _field(sequence, field)


def _field(sequence: etree._Element, field: Field) -> None:
    element = etree.SubElement(sequence, _xsd("element"), name=field.name)
    target = TYPES.get(field.type)
    if isinstance(target, ComplexType) and target.kind == "inline":
        _content(etree.SubElement(element, _xsd("complexType")), target)
    else:
        element.set("type", _type_ref(field.type))
    element.set("minOccurs", "1" if field.required else "0")
    element.set("maxOccurs", "unbounded" if field.many else "1")
    if field.nillable:
        element.set("nillable", "true")


def _messages(root: etree._Element) -> None:
    for op in OPERATIONS.values():
        for suffix, element in (("Request", op.request), ("Response", op.response)):
            message = etree.SubElement(root, _wsdl("message"), name=op.message_stem + suffix)
            etree.SubElement(message, _wsdl("part"), name="parameters", element=f"tns:{element}")


def _port_type(root: etree._Element) -> None:
    port_type = etree.SubElement(root, _wsdl("portType"), name="Soap")
    for op in OPERATIONS.values():
        operation = etree.SubElement(port_type, _wsdl("operation"), name=op.name)
        etree.SubElement(operation, _wsdl("input"), message=f"tns:{op.message_stem}Request")
        etree.SubElement(operation, _wsdl("output"), message=f"tns:{op.message_stem}Response")


def _binding(root: etree._Element) -> None:
    binding = etree.SubElement(root, _wsdl("binding"), name="SoapBinding", type="tns:Soap")
    etree.SubElement(binding, _soap("binding"), style="document", transport=HTTP_TRANSPORT)
    for op in OPERATIONS.values():
        operation = etree.SubElement(binding, _wsdl("operation"), name=op.name)
        etree.SubElement(operation, _soap("operation"), soapAction=op.name, style="document")
        for direction in ("input", "output"):
            body_parent = etree.SubElement(operation, _wsdl(direction))
            etree.SubElement(body_parent, _soap("body"), use="literal")


@lru_cache(maxsize=1)
def render_fault_xsd() -> bytes:
    """The schema of the `apifault` detail element carried by server faults."""
    root = etree.Element(
        _xsd("schema"),
        nsmap={"xsd": XSD_NS, "tns": FAULT_NS},
        targetNamespace=FAULT_NS,
        elementFormDefault="qualified",
    )
    etree.SubElement(root, _xsd("element"), name="apifault", type="tns:APIFault")
    fault = etree.SubElement(root, _xsd("complexType"), name="APIFault")
    sequence = etree.SubElement(fault, _xsd("sequence"))
    etree.SubElement(sequence, _xsd("element"), name="Code", type="xsd:int")
    etree.SubElement(sequence, _xsd("element"), name="Message", type="xsd:string")
    etree.SubElement(sequence, _xsd("element"), name="LogID", type="xsd:long", minOccurs="0")
    params = etree.SubElement(sequence, _xsd("element"), name="Params", minOccurs="0")
    param_seq = etree.SubElement(etree.SubElement(params, _xsd("complexType")), _xsd("sequence"))
    etree.SubElement(
        param_seq,
        _xsd("element"),
        name="Param",
        type="xsd:string",
        minOccurs="0",
        maxOccurs="unbounded",
    )
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
