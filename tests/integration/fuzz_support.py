"""Hypothesis strategies for the protocol fuzz: SOAP envelopes built from the partner API's type
description (real object types, fields, enums and filters, with hostile values), and REST
requests over every JSON route (paths, queries, bodies, tokens)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st
from lxml import etree

from sendwell.api.soap.types import (
    ComplexType,
    EnumType,
    complex_type,
    fields_of,
    lookup_type,
    subtypes_of,
)
from sendwell.services.registry import KINDS

PARTNER = "http://exacttarget.com/wsdl/partnerAPI"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"

OBJECT_TYPES = [*KINDS, "DataExtensionObject[DemoSubscribers]", "Nope", "APIObject", "Account"]
object_types = st.one_of(st.sampled_from(list(KINDS)), st.sampled_from(OBJECT_TYPES))
KEYS = ["Definition_Key", "DemoSubscribers", "Default Commercial", "demo_email", "nope"]

# Text XML can carry (no control characters, no lone surrogates), with the odd huge value.
xml_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), max_size=40),
    st.sampled_from(["", " ", "NaN", "Infinity", "-0", "1e400", "%%FirstName%%", "%%[", "<p>"]),
    st.builds(
        lambda n, c: c * n, st.sampled_from([37, 129, 255, 5_000, 300_000]), st.sampled_from("k9")
    ),
)
numbers = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["99999999999999999999", str(2**31), str(2**63), "-1", "0", "1.5", "1e3"]),
)
valid_dates = st.datetimes().map(lambda d: d.isoformat())
dates = st.one_of(
    valid_dates,
    st.sampled_from(["2026-13-45", "yesterday", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59"]),
)
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,15}", fullmatch=True)
_OPERATORS = lookup_type("SimpleOperators")
assert isinstance(_OPERATORS, EnumType)
OPERATORS = list(_OPERATORS.values)
COMPARISONS = ["equals", "notEquals", "greaterThan", "lessThan", "between", "IN"]


def scalar_for(type_name: str) -> st.SearchStrategy[str]:
    """Mostly values of the field's type (so requests get past the codec), sometimes not."""
    definition = lookup_type(type_name)
    if isinstance(definition, EnumType):
        valid: st.SearchStrategy[str] = st.sampled_from(definition.values)
    elif type_name in ("int", "long", "short", "byte"):
        valid = st.integers(-5, 2**31 - 1).map(str)
    elif type_name in ("double", "decimal"):
        valid = st.floats(allow_nan=False, allow_infinity=False).map(str)
    elif type_name == "dateTime":
        valid = valid_dates
    elif type_name == "boolean":
        valid = st.sampled_from(["true", "false", "1", "0"])
    else:
        return xml_text
    return st.one_of(valid, valid, valid, xml_text)


@st.composite
def object_element(draw: st.DrawFn, tag: str, type_name: str, depth: int = 0) -> etree._Element:
    """An element of a partner API object with some of its fields (and sometimes a stranger)."""
    element = etree.Element(f"{{{PARTNER}}}{tag}", nsmap={None: PARTNER, "xsi": XSI})
    element.set(f"{{{XSI}}}type", type_name)
    fields = (
        [f for f in fields_of(type_name)] if isinstance(lookup_type(type_name), ComplexType) else []
    )
    for field in draw(st.lists(st.sampled_from(fields), max_size=6)) if fields else []:
        child_type = lookup_type(field.type)
        if isinstance(child_type, ComplexType):
            if depth < 2:
                concrete = field.type if not child_type.abstract else draw(_concrete(field.type))
                element.append(draw(object_element(field.name, concrete, depth + 1)))
            continue
        etree.SubElement(element, f"{{{PARTNER}}}{field.name}").text = draw(scalar_for(field.type))
    if draw(st.integers(0, 19)) == 0:
        etree.SubElement(element, f"{{{PARTNER}}}{draw(names).replace('.', '_')}").text = "x"
    return element


def _concrete(abstract: str) -> st.SearchStrategy[str]:
    """A type to send for an abstract field: any object type for APIObject (strangers too),
    a concrete subtype for the others (a Recurrence is a DailyRecurrence, ...)."""
    if abstract == "APIObject":
        return st.sampled_from(OBJECT_TYPES)
    found = [t for t in subtypes_of(abstract) if not complex_type(t).abstract]
    return st.sampled_from(found or OBJECT_TYPES)


@st.composite
def filter_part(draw: st.DrawFn, props: list[str], depth: int = 0) -> etree._Element:
    """A Simple or Complex filter over mostly the object's own properties."""
    element = etree.Element(f"{{{PARTNER}}}Filter", nsmap={None: PARTNER, "xsi": XSI})
    if depth < 3 and draw(st.integers(0, 3)) == 0:
        element.set(f"{{{XSI}}}type", "ComplexFilterPart")
        for side in ("LeftOperand", "RightOperand"):
            operand = draw(filter_part(props, depth + 1))
            operand.tag = f"{{{PARTNER}}}{side}"
            element.append(operand)
        op = draw(st.sampled_from(["AND", "OR"] * 5 + ["XOR"]))
        etree.SubElement(element, f"{{{PARTNER}}}LogicalOperator").text = op
        return element
    element.set(f"{{{XSI}}}type", "SimpleFilterPart")
    prop = draw(st.one_of(st.sampled_from(props), st.sampled_from(props), names))
    etree.SubElement(element, f"{{{PARTNER}}}Property").text = prop
    etree.SubElement(element, f"{{{PARTNER}}}SimpleOperator").text = draw(
        st.one_of(st.sampled_from(COMPARISONS), st.sampled_from(OPERATORS))
    )
    for value in draw(st.lists(st.one_of(numbers, dates, xml_text), min_size=1, max_size=3)):
        etree.SubElement(element, f"{{{PARTNER}}}Value").text = value
    if draw(st.integers(0, 3)) == 0:
        etree.SubElement(element, f"{{{PARTNER}}}DateValue").text = draw(valid_dates)
    return element


def scalar_fields(type_name: str) -> list[str]:
    """The properties Retrieve can ask for: the object's non-repeated simple fields."""
    if type_name not in KINDS:
        return ["ID", "Name", "CustomerKey"]
    out = [f.name for f in fields_of(type_name) if not f.many]
    return [n for n in out if not isinstance(lookup_type(_type_of(type_name, n)), ComplexType)]


def _type_of(type_name: str, name: str) -> str:
    return next(f.type for f in fields_of(type_name) if f.name == name)


def _wrap(tag: str) -> etree._Element:
    return etree.Element(f"{{{PARTNER}}}{tag}", nsmap={None: PARTNER, "xsi": XSI})


@st.composite
def soap_body(draw: st.DrawFn) -> tuple[str, str]:
    """(operation, request element as XML) for Create/Update/Delete/Retrieve/Perform/Describe
    and Schedule."""
    operation = draw(
        st.sampled_from(
            ["Create", "Update", "Delete", "Retrieve", "Perform", "Describe", "Schedule"]
        )
    )
    if operation in ("Create", "Update", "Delete"):
        request = _wrap(f"{operation}Request")
        for _ in range(draw(st.integers(1, 3))):
            request.append(draw(object_element("Objects", draw(object_types))))
    elif operation == "Retrieve":
        request = _wrap("RetrieveRequestMsg")
        inner = etree.SubElement(request, f"{{{PARTNER}}}RetrieveRequest")
        object_type = draw(object_types)
        etree.SubElement(inner, f"{{{PARTNER}}}ObjectType").text = object_type
        known = scalar_fields(object_type)
        wanted = st.lists(st.sampled_from(known), min_size=1, max_size=4)
        for prop in draw(
            st.one_of(wanted, wanted, wanted, st.lists(names, min_size=1, max_size=3))
        ):
            etree.SubElement(inner, f"{{{PARTNER}}}Properties").text = prop
        if draw(st.integers(0, 3)) > 0:
            inner.append(draw(filter_part(known)))
        if draw(st.integers(0, 5)) == 0:
            etree.SubElement(inner, f"{{{PARTNER}}}ContinueRequest").text = draw(xml_text)
    elif operation == "Perform":
        request = _wrap("PerformRequestMsg")
        action = draw(st.sampled_from(["start", "pause", "restart", "stop", "test", "Start", "x"]))
        etree.SubElement(request, f"{{{PARTNER}}}Action").text = action
        definitions = etree.SubElement(request, f"{{{PARTNER}}}Definitions")
        for _ in range(draw(st.integers(0, 2))):
            definition = draw(object_element("Definition", draw(st.sampled_from(OBJECT_TYPES))))
            key = etree.SubElement(definition, f"{{{PARTNER}}}CustomerKey")
            key.text = draw(st.one_of(st.sampled_from(KEYS), xml_text))
            definitions.append(definition)
    elif operation == "Schedule":
        request = _wrap("ScheduleRequestMsg")
        action = draw(st.sampled_from(["start", "Start", "stop", "x"]))
        etree.SubElement(request, f"{{{PARTNER}}}Action").text = action
        schedule = draw(object_element("Schedule", "ScheduleDefinition"))
        del schedule.attrib[f"{{{XSI}}}type"]  # declared ScheduleDefinition; no xsi:type needed
        request.append(schedule)
        interactions = etree.SubElement(request, f"{{{PARTNER}}}Interactions")
        for _ in range(draw(st.integers(0, 2))):
            interaction = draw(object_element("Interaction", draw(object_types)))
            key = etree.SubElement(interaction, f"{{{PARTNER}}}CustomerKey")
            key.text = draw(st.one_of(st.sampled_from(KEYS), xml_text))
            interactions.append(interaction)
    else:
        request = _wrap("DefinitionRequestMsg")
        requests = etree.SubElement(request, f"{{{PARTNER}}}DescribeRequests")
        for _ in range(draw(st.integers(0, 2))):
            item = etree.SubElement(requests, f"{{{PARTNER}}}ObjectDefinitionRequest")
            etree.SubElement(item, f"{{{PARTNER}}}ObjectType").text = draw(
                st.one_of(st.sampled_from(OBJECT_TYPES), xml_text)
            )
    return operation, etree.tostring(request, encoding="unicode")


def envelope_bytes(body: str, user: tuple[str, str], soap12: bool) -> bytes:
    ns = SOAP12 if soap12 else SOAP11
    env = etree.Element(f"{{{ns}}}Envelope", nsmap={"soap": ns, "xsi": XSI})
    header = etree.SubElement(env, f"{{{ns}}}Header")
    token = etree.SubElement(
        etree.SubElement(header, f"{{{WSSE}}}Security", nsmap={"wsse": WSSE}),
        f"{{{WSSE}}}UsernameToken",
    )
    etree.SubElement(token, f"{{{WSSE}}}Username").text = user[0]
    etree.SubElement(token, f"{{{WSSE}}}Password").text = user[1]
    etree.SubElement(env, f"{{{ns}}}Body").append(etree.fromstring(body))
    return etree.tostring(env)


# ---- REST -------------------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**80), 2**80),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=30),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
ids = st.one_of(
    st.integers(-5, 5),
    st.integers(2**31 - 2, 2**31 + 2),
    st.sampled_from(["99999999999999999999", "9" * 400, "abc", "1.5", "%00", "٣", "-0"]),
    st.text(min_size=1, max_size=20),
).map(lambda v: quote(str(v), safe=""))

BASE = "/data/v1/integration/send/{kind}/{channel}"
ROUTES = [
    ("POST", "/v2/token"),
    ("POST", "/v1/requestToken"),
    ("POST", BASE),
    ("POST", BASE + "/search"),
    ("GET", BASE + "/{id}"),
    ("PUT", BASE + "/{id}"),
    ("DELETE", BASE + "/{id}"),
    ("POST", BASE + "/{id}/schedule"),
    ("GET", BASE + "/{id}/instance"),
    ("GET", BASE + "/instance"),
    ("GET", BASE + "/instance/{id}"),
    ("GET", BASE + "/instance/{id}/cancel"),
    ("POST", "/sendwell/v1/preview"),
    ("GET", "/capture/v1/messages"),
    ("GET", "/capture/v1/messages/{id}"),
    ("GET", "/capture/v1/messages/{id}/raw"),
    ("GET", "/sendwell/v1/sends/{id}"),
    ("POST", "/sendwell/v1/sends/{id}/{action}"),
    ("GET", "/asset/v1/content/assets"),
    ("POST", "/asset/v1/content/assets"),
    ("POST", "/asset/v1/content/assets/query"),
    ("GET", "/asset/v1/content/assets/{id}"),
    ("PATCH", "/asset/v1/content/assets/{id}"),
    ("PUT", "/asset/v1/content/assets/{id}"),
    ("DELETE", "/asset/v1/content/assets/{id}"),
    ("GET", "/sendwell/v1/sendclassifications"),
    ("GET", "/platform/v1/endpoints/{action}"),
]
FIELDS = [
    "EmailDefinition",
    "Schedule",
    "Criteria",
    "Name",
    "EmailId",
    "SendClassificationId",
    "Targets",
    "Exclusions",
    "ExternalKey",
    "StartImmediately",
    "StartDateTime",
    "AllRecipientsOptedIn",
    "emailId",
    "subscriberKey",
    "attributes",
    "page",
    "query",
    "grant_type",
    "client_id",
    "client_secret",
    "account_id",
    "scope",
    "clientId",
    "clientSecret",
    "SendThrottling",
    "SeedList",
    "OverrideSenderProfileId",
    "Type",
    "Id",
    "pageSize",
    "name",
    "assetType",
    "customerKey",
    "views",
    "content",
    "category",
    "sort",
    "fields",
]


@st.composite
def shaped_json(draw: st.DrawFn, depth: int = 0) -> Any:
    """Objects with the field names the routes read, holding hostile values."""
    value = (
        st.one_of(json_values, ids.map(lambda v: v))
        if depth >= 2
        else st.one_of(json_values, shaped_json(depth + 1))
    )
    return draw(st.dictionaries(st.sampled_from(FIELDS), value, max_size=5))


raw_bodies = st.one_of(
    shaped_json().map(lambda v: json.dumps(v).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=60),
    st.sampled_from(
        [
            b"[" * 5000 + b"]" * 5000,
            b'{"client_id": "\\ud800", "grant_type": "client_credentials"}',
            b'{"EmailDefinition": {"Name": "\\udfff"}}',
            b'{"page": NaN}',
            b"grant_type=client_credentials&client_id=%ED%A0%80",
            b"",
        ]
    ),
)


@st.composite
def rest_request(draw: st.DrawFn, token: str) -> tuple[str, str, bytes | None, dict[str, str]]:
    method, template = draw(st.sampled_from(ROUTES))
    path = template.format(
        kind=draw(st.sampled_from(["salesforce", "Salesforce", "other"])),
        channel=draw(st.sampled_from(["email", "sms"])),
        id=draw(ids),
        action=draw(st.one_of(st.sampled_from(["pause", "resume", "cancel", "soap"]), ids)),
    )
    query = draw(
        st.dictionaries(
            st.sampled_from(
                ["page", "pageSize", "$page", "$pageSize", "jobId", "to", "pagesize", "$filter"]
            ),
            st.one_of(ids, st.integers(-3, 600).map(str)),
            max_size=3,
        )
    )
    if query:
        path += "?" + "&".join(f"{quote(k)}={v}" for k, v in query.items())
    auth = draw(st.sampled_from([f"Bearer {token}"] * 4 + ["", "Bearer nope", "Basic x"]))
    headers = {"Authorization": auth} if auth else {}
    headers["Content-Type"] = draw(
        st.sampled_from(
            ["application/json"] * 3 + ["application/x-www-form-urlencoded", "text/plain"]
        )
    )
    body = draw(raw_bodies) if method in ("POST", "PUT", "PATCH") else None
    return method, path, body, headers
