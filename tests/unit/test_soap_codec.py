"""The generic SOAP codec: round trips, what real clients send, and ASMX-like errors."""

from __future__ import annotations

import re
import time as clock
from datetime import datetime, time, timedelta, timezone
from typing import Any

import pytest
from lxml import etree

from sendwell.api.soap.codec import XSI_NS, DecodeError, decode, encode, encode_into, field_lookup
from sendwell.api.soap.types import PARTNER_NS

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def xml(text: str) -> etree._Element:
    """Parse a fragment, binding the partner namespace (default and ns1:) and xsi on its root."""
    declarations = f' xmlns="{PARTNER_NS}" xmlns:ns1="{PARTNER_NS}" xmlns:xsi="{XSI_NS}"'
    return etree.fromstring(re.sub(r"^<(\w+)", rf"<\1{declarations}", text, count=1))


def round_trip(value: dict[str, Any], element: str, type_name: str) -> dict[str, Any]:
    return decode(etree.fromstring(etree.tostring(encode(value, element, type_name))), type_name)


def rich_send_definition() -> dict[str, Any]:
    return {
        "__type__": "EmailSendDefinition",
        "Client": {"__type__": "ClientID", "ID": 100001},
        "CreatedDate": datetime(2022, 11, 14, 12, 27, 29, 963000),
        "ObjectID": "66f6728e-1111-2222-3333-444455556666",
        "CustomerKey": "Market2Lead_Email_Definition_Key",
        "Name": "Market2Lead Email Definition",
        "Description": "daily digest",
        "CategoryID": 42,
        "SendClassification": {
            "__type__": "SendClassification",
            "CustomerKey": "Default Commercial",
        },
        "SenderProfile": {
            "__type__": "SenderProfile",
            "FromName": "News",
            "FromAddress": "news@example.com",
        },
        "SourceAddressType": "DefaultPrivateIPAddress",
        "SuppressTracking": False,
        "IsSendLogging": True,
        "SendDefinitionList": [
            {
                "__type__": "SendDefinitionList",
                "List": {"__type__": "List", "ID": 1234},
                "SendDefinitionListType": "SourceList",
                "DataSourceTypeID": "List",
                "IsTestObject": False,
            },
            {
                "__type__": "SendDefinitionList",
                "CustomerKey": "MyDataExtension",
                "CustomObjectID": "de-object-id",
                "DataSourceTypeID": "CustomObject",
                "Parameters": {
                    "Parameter": [{"__type__": "APIProperty", "Name": "Region", "Value": "EU"}]
                },
            },
        ],
        "Email": {"__type__": "Email", "ID": 4321},
        "BccEmail": "",
        "EmailSubject": "Hello %%FirstName%%",
        "IsMultipart": True,
        "SendLimit": 5000,
        "SendWindowOpen": time(9, 0),
        "SendWindowClose": time(17, 30, 15, 250000),
        "ExclusionFilter": 'Domain(emailaddr) != "example.org"',
        "TrackingUsers": {
            "TrackingUser": [{"__type__": "TrackingUser", "IsActive": True, "EmployeeID": 7}]
        },
        "MessageDeliveryType": "Standard",
        "TimeZone": {"__type__": "TimeZone", "ID": 5},
        "SeedListOccurance": 2,
        "ReplyToDisplayName": "Support",
    }


def test_email_send_definition_round_trips() -> None:
    value = rich_send_definition()
    assert round_trip(value, "Objects", "APIObject") == value


def test_send_round_trips_with_polymorphic_children() -> None:
    value = {
        "__type__": "Send",
        "ID": 7029017,
        "Email": {"__type__": "Email", "ID": 4321, "Name": "Digest"},
        "List": [{"__type__": "List", "ID": 1}, {"__type__": "List", "ID": 2}],
        "SendDate": datetime(2024, 4, 17, 12, 57, 44, 1000),
        "NumberSent": 2,
        "NumberDelivered": 1,
        "Events": [
            {"__type__": "SentEvent", "SendID": 7029017, "SubscriberKey": "a", "EventType": "Sent"},
            {"__type__": "ClickEvent", "SendID": 7029017, "URL": "https://x", "URLIDLong": 2**40},
        ],
        "Status": "Complete",
        "Sources": {"Source": [{"__type__": "DataExtension", "CustomerKey": "de"}]},
        "EmailSendDefinition": {"__type__": "EmailSendDefinition", "CustomerKey": "k"},
        "SuppressionLists": {
            "SuppressionList": [{"__type__": "AudienceItem", "CustomObjectID": "x"}]
        },
    }
    assert round_trip(value, "Results", "APIObject") == value


def test_retrieve_request_with_complex_filter_round_trips() -> None:
    simple = {"__type__": "SimpleFilterPart", "Property": "ID", "SimpleOperator": "equals"}
    value = {
        "__type__": "RetrieveRequestMsg",
        "RetrieveRequest": {
            "__type__": "RetrieveRequest",
            "ObjectType": "Send",
            "Properties": ["ID", "Status", "Email.ID"],
            "Filter": {
                "__type__": "ComplexFilterPart",
                "LeftOperand": {**simple, "Value": ["1"]},
                "LogicalOperator": "OR",
                "RightOperand": {
                    "__type__": "SimpleFilterPart",
                    "Property": "SendDate",
                    "SimpleOperator": "between",
                    "DateValue": [datetime(2024, 1, 1), datetime(2024, 2, 1)],
                },
                "AdditionalOperands": {"Operand": [{**simple, "Value": ["2", "3"]}]},
            },
            "Options": {"__type__": "RetrieveOptions", "BatchSize": 2500},
        },
    }
    assert round_trip(value, "RetrieveRequestMsg", "RetrieveRequestMsg") == value


# ---- Encoding -------------------------------------------------------------------------------


def test_encode_writes_sequence_order_default_namespace_and_unprefixed_xsi_type() -> None:
    value = {"__type__": "Send", "Status": "Complete", "Email": {"ID": 1}, "ID": 9}
    element = encode(
        {"OverallStatus": "OK", "Results": [value]}, "RetrieveResponseMsg", "RetrieveResponseMsg"
    )
    text = etree.tostring(element).decode()
    assert text.startswith(f'<RetrieveResponseMsg xmlns="{PARTNER_NS}" xmlns:xsi="{XSI_NS}">')
    assert (
        '<Results xsi:type="Send"><ID>9</ID><Email><ID>1</ID></Email><Status>Complete</Status>'
        in text
    )


def test_encode_marks_a_subtype_and_leaves_the_declared_type_unmarked() -> None:
    element = encode(
        {"Events": [{"__type__": "SentEvent", "SendID": 1}], "Email": {"ID": 2}}, "Results", "Send"
    )
    assert element.get(f"{{{XSI_NS}}}type") is None
    assert element[0].get(f"{{{XSI_NS}}}type") is None  # Email declared Email
    assert element[1].get(f"{{{XSI_NS}}}type") == "SentEvent"


def test_encode_none_is_nil_only_where_nillable() -> None:
    element = encode({"__type__": "Send", "SentDate": None, "Status": None}, "Results", "APIObject")
    assert etree.tostring(element).decode().endswith('<SentDate xsi:nil="true"/></Results>')


def test_encode_formats_scalars() -> None:
    aware = datetime(2022, 11, 14, 14, 27, 29, 963000, tzinfo=timezone(timedelta(hours=2)))
    element = encode(
        {"ID": 5, "CreatedDate": aware, "IsSendLogging": False, "SendWindowOpen": time(8, 5)},
        "Definition",
        "EmailSendDefinition",
    )
    assert [child.text for child in element] == [
        "2022-11-14T06:27:29.963",  # 12:27:29.963 UTC in system time (UTC-6)
        "5",
        "false",
        "08:05:00",
    ]


@pytest.mark.parametrize(
    ("stored", "offset", "written"),
    [
        # Marketing Cloud's own replies: no offset, the fraction without trailing zeros.
        (datetime(2022, 11, 14, 18, 27, 29, 963000), -360, "2022-11-14T12:27:29.963"),
        (datetime(2018, 6, 25, 11, 58), -360, "2018-06-25T05:58:00"),
        (datetime(2026, 11, 30, 14, 15, 0, 120000), -360, "2026-11-30T08:15:00.12"),
        # Microseconds are kept, so a date read back in a filter names the same instant.
        (datetime(2026, 11, 30, 14, 15, 0, 123456), -360, "2026-11-30T08:15:00.123456"),
        (datetime(2026, 1, 1, 3, 0), -360, "2025-12-31T21:00:00"),  # the day before
        (datetime(2026, 7, 1, 12, 0), -360, "2026-07-01T06:00:00"),  # no daylight saving
        (datetime(2026, 7, 1, 12, 0), -420, "2026-07-01T05:00:00"),  # stack 4: UTC-7
        (datetime(2026, 7, 1, 12, 0), 0, "2026-07-01T12:00:00"),
        ("2026-07-01T12:00:00", -360, "2026-07-01T06:00:00"),  # a date kept as JSON text
    ],
)
def test_encode_writes_dates_in_system_time(stored: Any, offset: int, written: str) -> None:
    element = encode(
        {"__type__": "Send", "SendDate": stored},
        "Results",
        "APIObject",
        system_offset_minutes=offset,
    )
    assert element[0].text == written


def test_encode_ignores_metadata_keys() -> None:
    element = encode({"ID": 1, "__row_id__": 99}, "Email", "Email")
    assert [child.text for child in element] == ["1"]


@pytest.mark.parametrize(
    ("value", "declared", "message"),
    [
        ({"Nope": 1}, "Email", "Email has no field 'Nope'"),
        ({"CustomerKey": "k"}, "APIObject", "APIObject is abstract"),
        ({"__type__": "Email"}, "Send", "Email is not a subtype of Send"),
        ({"__type__": "Nonsense"}, "APIObject", "Nonsense is not a subtype of APIObject"),
        ({"SourceAddressType": "Bogus"}, "SendDefinition", "not a valid value"),
        ({"ID": "12"}, "Email", "Email.ID: expected an int"),
        ({"List": {"ID": 1}}, "Send", "Send.List is repeated"),
        ({"Email": {"Nope": 1}}, "Send", "Send.Email: Email has no field 'Nope'"),
    ],
)
def test_encode_rejects_programming_errors(value: dict, declared: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode(value, "X", declared)


def test_encode_into_a_soap_body_declares_the_partner_namespace_by_default() -> None:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    encode_into(body, "CreateResponse", {"OverallStatus": "OK", "RequestID": "r"}, "CreateResponse")
    text = etree.tostring(envelope).decode()
    assert f'<soap:Body><CreateResponse xmlns="{PARTNER_NS}" xmlns:xsi="{XSI_NS}">' in text
    assert "<RequestID>r</RequestID><OverallStatus>OK</OverallStatus>" in text


def test_encoding_2500_sends_is_fast() -> None:
    send = {
        "__type__": "Send",
        "Client": {"ID": 100001},
        "CreatedDate": datetime(2024, 1, 2, 3, 4, 5),
        "ID": 7029017,
        "Email": {"ID": 4321},
        "SendDate": datetime(2024, 1, 2, 3, 4, 5),
        "FromAddress": "news@example.com",
        "FromName": "News",
        "NumberSent": 2500,
        "NumberDelivered": 2490,
        "Subject": "Hello",
        "SentDate": None,
        "EmailName": "Digest",
        "Status": "Sending",
        "NumberTargeted": 2500,
        "NumberErrored": 0,
        "NumberExcluded": 0,
        "EmailSendDefinition": {"ObjectID": "x", "CustomerKey": "k"},
    }
    started = clock.perf_counter()
    element = encode(
        {"OverallStatus": "OK", "RequestID": "r", "Results": [send] * 2500},
        "RetrieveResponseMsg",
        "RetrieveResponseMsg",
    )
    etree.tostring(element)
    assert clock.perf_counter() - started < 0.5


# ---- Decoding what clients send -------------------------------------------------------------


@pytest.mark.parametrize(
    "xsi_type",
    [
        "ns1:EmailSendDefinition",
        "tns:EmailSendDefinition",
        "EmailSendDefinition",
        "emailsenddefinition",
    ],
)
def test_decode_resolves_xsi_type_by_local_name(xsi_type: str) -> None:
    element = xml(
        f'<Objects xmlns:tns="{PARTNER_NS}" xsi:type="{xsi_type}">'
        "<CustomerKey>k</CustomerKey></Objects>"
    )
    assert decode(element, "APIObject") == {"__type__": "EmailSendDefinition", "CustomerKey": "k"}


def test_decode_accepts_any_child_order_prefix_and_letter_case() -> None:
    element = xml(
        '<Objects xsi:type="EmailSendDefinition">'
        "<ns1:Email><ID>4321</ID></ns1:Email>"
        "<SendDefinitionList><DataSourceTypeID>List</DataSourceTypeID><List><ID>1</ID></List>"
        "</SendDefinitionList>"
        "<customerkey>k</customerkey>"
        "<SendDefinitionList><List><ID>2</ID></List></SendDefinitionList>"
        "</Objects>"
    )
    assert decode(element, "APIObject") == {
        "__type__": "EmailSendDefinition",
        "Email": {"__type__": "Email", "ID": 4321},
        "SendDefinitionList": [
            {
                "__type__": "SendDefinitionList",
                "DataSourceTypeID": "List",
                "List": {"__type__": "List", "ID": 1},
            },
            {"__type__": "SendDefinitionList", "List": {"__type__": "List", "ID": 2}},
        ],
        "CustomerKey": "k",
    }


def test_decode_treats_nil_and_empty_non_strings_as_absent() -> None:
    element = xml(
        '<Objects xsi:type="EmailSendDefinition">'
        '<ObjectID xsi:nil="true"/><PartnerKey xsi:nil="true"/><ModifiedDate xsi:nil="true"/>'
        "<SourceAddressType/><DomainType></DomainType><HeaderSalutationSource/>"
        "<MessageDeliveryType/><SendLimit/><IsMultipart/><Email/><SendWindowOpen/>"
        "<Name/><Description></Description>"
        "</Objects>"
    )
    assert decode(element, "APIObject") == {
        "__type__": "EmailSendDefinition",
        "Name": "",
        "Description": "",
    }


def test_decode_empty_options_is_an_empty_value() -> None:
    element = xml(
        "<CreateRequest><Options/><Objects xsi:type='Email'><ID>1</ID></Objects></CreateRequest>"
    )
    assert decode(element, "CreateRequest") == {
        "__type__": "CreateRequest",
        "Objects": [{"__type__": "Email", "ID": 1}],
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "Incoming Date Normalization": these three name the same instant, 18:32:15 UTC.
        ("2009-08-21T18:32:15Z", datetime(2009, 8, 21, 18, 32, 15)),
        ("2009-08-21T12:32:15", datetime(2009, 8, 21, 18, 32, 15)),  # no zone: system time
        ("2009-08-21T12:02:15-06:30", datetime(2009, 8, 21, 18, 32, 15)),
        ("2022-11-14T12:27:29.963", datetime(2022, 11, 14, 18, 27, 29, 963000)),
        ("2022-11-14T14:27:29.1234567+02:00", datetime(2022, 11, 14, 12, 27, 29, 123456)),
        ("  2024-01-01T00:00:00-06:00 ", datetime(2024, 1, 1, 6, 0)),
        ("2024-01-01T00:00:00+00:00", datetime(2024, 1, 1, 0, 0)),
        ("2025-12-31T21:00:00", datetime(2026, 1, 1, 3, 0)),  # the next day in UTC
    ],
)
def test_decode_datetime_to_naive_utc(text: str, expected: datetime) -> None:
    value = decode(xml(f"<Email><CreatedDate>{text}</CreatedDate></Email>"), "Email")
    assert value["CreatedDate"] == expected
    assert value["CreatedDate"].tzinfo is None


def test_decode_reads_a_naive_date_at_the_configured_offset() -> None:
    element = xml("<Email><CreatedDate>2026-07-01T05:00:00</CreatedDate></Email>")
    assert decode(element, "Email", system_offset_minutes=-420)["CreatedDate"] == datetime(
        2026, 7, 1, 12, 0
    )
    assert decode(element, "Email", system_offset_minutes=0)["CreatedDate"] == datetime(
        2026, 7, 1, 5, 0
    )


def test_decode_normalises_dates_in_nested_objects_and_filters() -> None:
    """The API "searches for properties with a type of DateTime in any objects passed in ...
    recursively": a filter's DateValue and a nested object's dates are system time too."""
    element = xml(
        "<RetrieveRequestMsg><RetrieveRequest><ObjectType>Send</ObjectType>"
        "<Properties>ID</Properties>"
        '<Filter xsi:type="ComplexFilterPart">'
        '<LeftOperand xsi:type="SimpleFilterPart"><Property>SendDate</Property>'
        "<SimpleOperator>between</SimpleOperator>"
        "<DateValue>2026-11-30T08:00:00</DateValue><DateValue>2026-11-30T15:00:00Z</DateValue>"
        "</LeftOperand><LogicalOperator>AND</LogicalOperator>"
        '<RightOperand xsi:type="SimpleFilterPart"><Property>ID</Property>'
        "<SimpleOperator>equals</SimpleOperator><Value>2026-11-30T08:00:00</Value>"
        "</RightOperand></Filter></RetrieveRequest></RetrieveRequestMsg>"
    )
    request = decode(element, "RetrieveRequestMsg")["RetrieveRequest"]
    left, right = request["Filter"]["LeftOperand"], request["Filter"]["RightOperand"]
    assert left["DateValue"] == [datetime(2026, 11, 30, 14, 0), datetime(2026, 11, 30, 15, 0)]
    assert right["Value"] == ["2026-11-30T08:00:00"]  # a string stays as written
    nested = xml(
        '<Objects xsi:type="EmailSendDefinition"><SendDefinitionList>'
        "<CreatedDate>2026-11-30T08:00:00</CreatedDate></SendDefinitionList></Objects>"
    )
    (item,) = decode(nested, "APIObject")["SendDefinitionList"]
    assert item["CreatedDate"] == datetime(2026, 11, 30, 14, 0)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00"),  # .NET's DateTime.MinValue
        ("0001-01-01T01:00:00+05:00", "0001-01-01T00:00:00"),
        ("9999-12-31T23:59:59", "9999-12-31T23:59:59.999999"),
    ],
)
def test_dates_at_the_edge_of_the_calendar_are_kept_at_the_edge(text: str, written: str) -> None:
    element = xml(f'<Results xsi:type="Send"><SendDate>{text}</SendDate></Results>')
    echoed = encode(decode(element, "APIObject"), "Results", "APIObject")
    assert echoed[0].text == written


def test_a_date_written_and_read_back_names_the_same_instant() -> None:
    stored = datetime(2026, 11, 30, 14, 15, 0, 123456)
    for offset in (-360, -420, 0, 330):
        element = encode(
            {"__type__": "Send", "SendDate": stored}, "R", "Send", system_offset_minutes=offset
        )
        again = decode(element, "Send", system_offset_minutes=offset)
        assert again["SendDate"] == stored


@pytest.mark.parametrize(
    ("text", "expected"), [("true", True), ("1", True), ("false", False), ("0", False)]
)
def test_decode_booleans(text: str, expected: bool) -> None:
    assert (
        decode(xml(f"<Email><IsActive>{text}</IsActive></Email>"), "Email")["IsActive"] is expected
    )


def test_decode_normalises_enum_case() -> None:
    element = xml("<SC><SendClassificationType>marketing</SendClassificationType></SC>")
    assert decode(element, "SendClassification")["SendClassificationType"] == "Marketing"


def test_decode_inline_wrapper_has_no_type_marker() -> None:
    element = xml(
        "<DE><Properties><Property><Name>a</Name><Value>1</Value></Property></Properties>"
        "<Keys><Key><Name>id</Name><Value>7</Value></Key></Keys></DE>"
    )
    assert decode(element, "DataExtensionObject") == {
        "__type__": "DataExtensionObject",
        "Properties": {"Property": [{"__type__": "APIProperty", "Name": "a", "Value": "1"}]},
        "Keys": {"Key": [{"__type__": "APIProperty", "Name": "id", "Value": "7"}]},
    }


def test_decode_ignores_comments() -> None:
    element = xml("<Email><!-- note --><ID>1</ID></Email>")
    assert decode(element, "Email") == {"__type__": "Email", "ID": 1}


@pytest.mark.parametrize(
    ("fragment", "declared", "message"),
    [
        (
            '<Objects xsi:type="EmailSendDefinition"><Foo>1</Foo></Objects>',
            "APIObject",
            "Unknown element 'Foo' in EmailSendDefinition",
        ),
        (
            "<SC><SendClassificationType>Loud</SendClassificationType></SC>",
            "SendClassification",
            "Instance validation error: 'Loud' is not a valid value for "
            "SendClassificationTypeEnum.",
        ),
        ("<Objects><CustomerKey>k</CustomerKey></Objects>", "APIObject", "abstract"),
        (
            "<Filter><Property>ID</Property></Filter>",
            "FilterPart",
            "The specified type is abstract: name='FilterPart'",
        ),
        ('<Objects xsi:type="ns1:Email"><ID>1</ID></Objects>', "Send", "'Email' is not a Send"),
        ('<Objects xsi:type="ns1:Nonsense"><ID>1</ID></Objects>', "APIObject", "not recognized"),
        ("<Email><ID>12a</ID></Email>", "Email", "'12a' is not a valid int for Email.ID"),
        ("<Email><ID>1_000</ID></Email>", "Email", "not a valid int"),
        ("<Email><ID>4294967296</ID></Email>", "Email", "too large or too small for int"),
        ("<Email><IsActive>yes</IsActive></Email>", "Email", "'yes' is not a valid boolean"),
        ("<Email><CreatedDate>soon</CreatedDate></Email>", "Email", "not a valid AllXsd value"),
    ],
)
def test_decode_errors(fragment: str, declared: str, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(xml(fragment), declared)
    assert message in caught.value.message


def test_field_lookup_is_case_insensitive() -> None:
    assert field_lookup("Send", "bccemail").name == "BccEmail"
    assert field_lookup("Send", "NoSuchProperty") is None
