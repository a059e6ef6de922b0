"""The type description matches the public partner API WSDL, and its helpers answer correctly."""

from __future__ import annotations

import pytest
from lxml import etree
from tests.support import shared_file

from sendwell.api.soap import types
from sendwell.api.soap.types import ComplexType, EnumType, Field, PatternType

REFERENCE = "api/reference/etframework.wsdl"  # in the shared folder (tests/support.py)
XS = "http://www.w3.org/2001/XMLSchema"

# Every deliberate difference from the reference WSDL, and why.
DIFFERENT_BASE = {
    # The reference declares Attribute as an APIObject extension; the newer WSDL copies and the
    # generated C# proxy use a plain Name/Value/Compression sequence, which is what clients send.
    "Attribute": (None, "APIObject"),
}
TRIMMED = {
    # Object-valued fields left out so that suds' factory.create stays fast (2.7 s -> <0.1 s
    # for an EmailSendDefinition); what remains is an ordered subset of the real fields.
    "AccountUser",
}
# Types of our own, each checked as a trimmed copy of the reference type it stands for.
STANDS_FOR = {"TriggeredSendDefinitionReference": "TriggeredSendDefinition"}
# Fields that name one of those instead of the reference's type (the trimmed one, for suds).
RETYPED = {
    ("SenderProfile", "AutoForwardTriggeredSend"): "TriggeredSendDefinition",
    ("SenderProfile", "AutoReplyTriggeredSend"): "TriggeredSendDefinition",
}
# Fields Marketing Cloud documents for a type (mc-apis object pages) that the reference WSDL
# lacks, appended after the reference's own: (name, type, many, required, nillable).
EXTENDED = {
    "SentEvent": [
        ("ListID", "int", False, False, False),
        ("SubscriberID", "int", False, False, False),
    ],
}
MADE_ABSTRACT = {
    # Never sent without xsi:type by any client; the codec requires it when decoding.
    "APIObject",
    "FilterPart",
}

# The types asked for by name (the others are there because these fields use them).
REQUESTED_TYPES = """
    APIObject ClientID APIProperty Owner InteractionBaseObject InteractionDefinition
        SendDefinition EmailSendDefinition AudienceItem SendDefinitionList TrackingUser
        SendClassification SenderProfile DeliveryProfile PrivateIP Email ContentArea List
        Subscriber Attribute SubscriberList DataExtension DataExtensionField PropertyDefinition
        DataExtensionObject ObjectExtension FilterDefinition FilterPart SimpleFilterPart
        ComplexFilterPart Send Link TrackingEvent SentEvent OpenEvent ClickEvent BounceEvent
        UnsubEvent NotSentEvent BusinessUnit Account Locale TimeZone Options CreateOptions
        UpdateOptions DeleteOptions RetrieveOptions PerformOptions SaveOption AsyncResponse
        ContainerID Result CreateResult UpdateResult DeleteResult PerformResult TaskResult
        RetrieveRequest ObjectDefinitionRequest ObjectDefinition CreateRequest CreateResponse
        UpdateRequest UpdateResponse DeleteRequest DeleteResponse RetrieveRequestMsg
        RetrieveResponseMsg PerformRequestMsg PerformResponseMsg DefinitionRequestMsg
        DefinitionResponseMsg VersionInfoRequestMsg VersionInfoResponseMsg
        SendClassificationTypeEnum SendDefinitionListTypeEnum DataSourceTypeEnum
        SubscriberStatus SimpleOperators LogicalOperators DataExtensionFieldType EventType
        SaveAction ScheduleRequestMsg ScheduleResponseMsg ScheduleOptions ScheduleDefinition
        ScheduleResult Recurrence MinutelyRecurrence HourlyRecurrence DailyRecurrence
        WeeklyRecurrence MonthlyRecurrence YearlyRecurrence"""

Shape = tuple  # (name, type or inline shape, many, required, nillable)


def _local(qname: str | None) -> str | None:
    return qname.rpartition(":")[2] if qname else None


def _ref_fields(sequence: etree._Element | None) -> list[Shape]:
    shapes: list[Shape] = []
    for el in [] if sequence is None else sequence.iterchildren(f"{{{XS}}}element"):
        inline = el.find(f"{{{XS}}}complexType")
        kind = (
            _local(el.get("type"))
            if inline is None
            else _ref_fields(inline.find(f"{{{XS}}}sequence"))
        )
        shapes.append(
            (
                el.get("name"),
                kind,
                el.get("maxOccurs") == "unbounded",
                el.get("minOccurs", "1") != "0",
                el.get("nillable") == "true",
            )
        )
    return shapes


def _our_fields(fields: tuple[Field, ...]) -> list[Shape]:
    shapes: list[Shape] = []
    for f in fields:
        t = types.TYPES.get(f.type)
        kind = (
            _our_fields(t.fields) if isinstance(t, ComplexType) and t.kind == "inline" else f.type
        )
        shapes.append((f.name, kind, f.many, f.required, f.nillable))
    return shapes


@pytest.fixture(scope="module")
def reference() -> dict[tuple[str, str], etree._Element]:
    schema = etree.parse(str(shared_file(REFERENCE))).find(f".//{{{XS}}}schema")
    return {
        (etree.QName(node).localname, node.get("name")): node
        for node in schema
        if isinstance(node.tag, str) and node.get("name")
    }


def _declared(kind: str) -> list[str]:
    wanted = {"type": ComplexType, "enum": EnumType, "pattern": PatternType}
    return [
        name
        for name, t in types.TYPES.items()
        if isinstance(t, wanted[kind]) and getattr(t, "kind", "type") == "type"
    ]


@pytest.mark.parametrize("name", _declared("type"))
def test_complex_type_matches_reference(reference, name: str) -> None:
    node = reference.get(("complexType", STANDS_FOR.get(name, name)))
    assert node is not None, f"{name} is not in the reference WSDL"
    ext = node.find(f"{{{XS}}}complexContent/{{{XS}}}extension")
    ref_base = _local(ext.get("base")) if ext is not None else None
    body = ext if ext is not None else node
    ours = types.complex_type(name)

    expected_base = DIFFERENT_BASE.get(name, (ref_base, ref_base))
    assert (ours.base, ref_base) == (expected_base[0], expected_base[1])
    assert ours.abstract == (node.get("abstract") == "true" or name in MADE_ABSTRACT)
    ref_fields = _ref_fields(body.find(f"{{{XS}}}sequence"))
    our_fields = [
        (f, RETYPED.get((name, f), kind), *rest) for f, kind, *rest in _our_fields(ours.fields)
    ]
    if name in TRIMMED or name in STANDS_FOR:
        ref_fields = [shape for shape in ref_fields if shape in our_fields]
    assert our_fields == ref_fields + EXTENDED.get(name, [])


@pytest.mark.parametrize(
    "name", [n for n, t in types.TYPES.items() if getattr(t, "kind", "") == "element"]
)
def test_message_element_matches_reference(reference, name: str) -> None:
    node = reference.get(("element", name))
    assert node is not None, f"{name} is not a global element of the reference WSDL"
    sequence = node.find(f"{{{XS}}}complexType/{{{XS}}}sequence")
    assert _our_fields(types.complex_type(name).fields) == _ref_fields(sequence)


@pytest.mark.parametrize("name", _declared("enum"))
def test_enum_matches_reference(reference, name: str) -> None:
    node = reference.get(("simpleType", name))
    assert node is not None, f"{name} is not in the reference WSDL"
    values = [e.get("value") for e in node.iter(f"{{{XS}}}enumeration")]
    assert list(types.TYPES[name].values) == values


def test_pattern_matches_reference(reference) -> None:
    node = reference[("simpleType", "instanceid")]
    assert types.TYPES["instanceid"].pattern == node.find(f".//{{{XS}}}pattern").get("value")


def test_requested_types_are_all_declared() -> None:
    assert [n for n in REQUESTED_TYPES.split() if n not in types.TYPES] == []


def test_api_object_stops_at_object_state() -> None:
    assert [f.name for f in types.fields_of("APIObject")][-1] == "ObjectState"


def test_fields_of_puts_base_fields_first() -> None:
    names = [f.name for f in types.fields_of("EmailSendDefinition")]
    assert names[:3] == ["Client", "PartnerKey", "PartnerProperties"]
    assert names.index("ObjectState") < names.index("Name") < names.index("CategoryID")
    assert names.index("IsSendLogging") + 1 == names.index("SendDefinitionList")
    assert names[-1] == "ReplyToDisplayName"


def test_inline_wrapper_types_are_named_after_their_field() -> None:
    wrapper = types.complex_type("EmailSendDefinition.TrackingUsers")
    assert wrapper.kind == "inline"
    assert wrapper.fields == (Field("TrackingUser", "TrackingUser", many=True),)
    assert types.field_lookup("EmailSendDefinition", "TrackingUsers").type == wrapper.name


def test_subtype_questions() -> None:
    assert types.is_subtype("EmailSendDefinition", "APIObject")
    assert types.is_subtype("SentEvent", "SentEvent")
    assert not types.is_subtype("APIObject", "EmailSendDefinition")
    assert not types.is_subtype("Nonsense", "APIObject")
    assert types.subtypes_of("FilterPart") == (
        "FilterPart",
        "SimpleFilterPart",
        "ComplexFilterPart",
    )
    assert types.ancestors("SendDefinitionList") == (
        "SendDefinitionList",
        "AudienceItem",
        "APIObject",
    )


def test_lookups_are_case_insensitive() -> None:
    assert types.lookup_type("emailsenddefinition") is types.TYPES["EmailSendDefinition"]
    assert types.lookup_type("NoSuchThing") is None
    assert types.field_lookup("Send", "BCCEmail").name == "BccEmail"
    assert types.field_lookup("Send", "Status").name == "Status"
    assert types.field_lookup("Send", "EmailID") is None
    assert types.operation_for_request("performrequestmsg").name == "Perform"


def test_schema_language_rejects_mistakes() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        types.parse_schema("type A\n    B:Nowhere")
    with pytest.raises(ValueError, match="Cannot parse field list"):
        types.parse_schema("type A\n    B:string ???")
    with pytest.raises(ValueError, match="repeats"):
        types.parse_schema("type A\n    N:string\ntype B(A)\n    N:int")
    parsed = types.parse_schema("type A abstract\n    W{X:int*}! N:string+~")
    assert parsed["A"].abstract
    assert parsed["A"].fields == (
        Field("W", "A.W", required=True),
        Field("N", "string", many=True, nillable=True, required=True),
    )
