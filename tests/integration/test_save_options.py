"""``Options/SaveOptions``: Create and Update with Marketing Cloud's SaveActions (upserts of
subscribers and data extension rows), elements the WSDL allows accepted, unknown ones a client
fault; and the Configure (profile attributes) and Extract operations."""

from __future__ import annotations

import pytest
from tests.support import PARTNER, create, retrieve, simple_filter, soap, text, texts

DE = (
    "<CustomerKey>people</CustomerKey><Name>people</Name><Fields>"
    "<Field><Name>Key</Name><IsPrimaryKey>true</IsPrimaryKey><IsRequired>true</IsRequired></Field>"
    "<Field><Name>City</Name></Field></Fields>"
)


def _request(op: str, obj_type: str, props: str, action: str | None, prop: str = "*") -> str:
    tag = {"Create": "CreateRequest", "Update": "UpdateRequest"}[op]
    options = (
        f"<Options><SaveOptions><SaveOption><PropertyName>{prop}</PropertyName>"
        f"<SaveAction>{action}</SaveAction></SaveOption></SaveOptions></Options>"
        if action
        else "<Options/>"
    )
    return (
        f'<{tag} xmlns="{PARTNER}">{options}<Objects xsi:type="{obj_type}">{props}</Objects>'
        f"</{tag}>"
    )


def _subscriber(email: str, city: str) -> str:
    return (
        f"<EmailAddress>{email}</EmailAddress><SubscriberKey>k1</SubscriberKey>"
        f"<Attributes><Name>City</Name><Value>{city}</Value></Attributes>"
    )


def _row(key: str, city: str) -> str:
    return (
        "<CustomerKey>people</CustomerKey><Properties>"
        f"<Property><Name>Key</Name><Value>{key}</Value></Property>"
        f"<Property><Name>City</Name><Value>{city}</Value></Property></Properties>"
    )


def _status(world, body: str, op: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    status, reply = soap(world.client, op, body, user=world.user)
    assert status == 200
    return text(reply, ".//p:StatusCode"), text(reply, ".//p:StatusMessage")


def _city(world) -> list[str]:  # type: ignore[no-untyped-def]
    _, got = soap(
        world.client,
        "Retrieve",
        retrieve("Subscriber", ["Attributes"], simple_filter("SubscriberKey", "equals", "k1")),
        user=world.user,
    )
    return texts(got, "p:Results/p:Attributes/p:Value")


def test_subscriber_upserts_with_update_add_on_create_and_update(world) -> None:
    assert _status(
        world,
        _request("Create", "Subscriber", _subscriber("a@x.test", "Oslo"), "UpdateAdd"),
        "Create",
    ) == ("OK", "Subscriber created")
    assert _status(
        world,
        _request("Create", "Subscriber", _subscriber("a@x.test", "Rome"), "UpdateAdd"),
        "Create",
    ) == ("OK", "Subscriber updated")
    assert _city(world) == ["Rome"]
    # Without a SaveOption a second Create is refused, as before.
    code, message = _status(
        world, _request("Create", "Subscriber", _subscriber("a@x.test", "Bonn"), None), "Create"
    )
    assert code == "Error" and "already exists" in message
    assert _city(world) == ["Rome"]


@pytest.mark.parametrize(
    ("op", "action", "exists", "expected"),
    [
        ("Create", "AddOnly", True, "Error"),
        ("Create", "UpdateOnly", False, "Error"),
        ("Create", "UpdateOnly", True, "OK"),
        ("Update", "AddOnly", False, "OK"),
        ("Update", "AddOnly", True, "Error"),
        ("Update", "UpdateAdd", False, "OK"),
        ("Update", "UpdateOnly", False, "Error"),
        ("Create", "Default", True, "Error"),
    ],
)
def test_save_actions_on_subscribers(world, op, action, exists, expected) -> None:
    if exists:
        soap(
            world.client,
            "Create",
            create("Subscriber", _subscriber("a@x.test", "Oslo")),
            user=world.user,
        )
    code, _ = _status(
        world, _request(op, "Subscriber", _subscriber("a@x.test", "Rome"), action), op
    )
    assert code == expected
    assert _city(world) == (["Rome"] if expected == "OK" else (["Oslo"] if exists else []))


def test_nothing_and_delete(world) -> None:
    soap(
        world.client,
        "Create",
        create("Subscriber", _subscriber("a@x.test", "Oslo")),
        user=world.user,
    )
    assert (
        _status(
            world,
            _request("Update", "Subscriber", _subscriber("a@x.test", "Rome"), "Nothing"),
            "Update",
        )[0]
        == "OK"
    )
    assert _city(world) == ["Oslo"]
    # Nothing for one property: the rest is saved.
    body = _request(
        "Update", "Subscriber", _subscriber("b@x.test", "Rome"), "Nothing", prop="Attributes"
    )
    assert _status(world, body, "Update")[0] == "OK"
    _, got = soap(
        world.client, "Retrieve", retrieve("Subscriber", ["EmailAddress"]), user=world.user
    )
    assert texts(got, "p:Results/p:EmailAddress") == ["b@x.test"] and _city(world) == ["Oslo"]
    assert _status(
        world, _request("Update", "Subscriber", _subscriber("b@x.test", "x"), "Delete"), "Update"
    ) == ("OK", "Subscriber deleted")
    assert _city(world) == []


def test_data_extension_rows_upsert_and_update_only(world) -> None:
    soap(world.client, "Create", create("DataExtension", DE), user=world.user)
    assert (
        _status(
            world,
            _request("Create", "DataExtensionObject", _row("1", "Oslo"), "UpdateAdd"),
            "Create",
        )[0]
        == "OK"
    )
    assert (
        _status(
            world,
            _request("Create", "DataExtensionObject", _row("1", "Rome"), "UpdateAdd"),
            "Create",
        )[0]
        == "OK"
    )
    code, message = _status(
        world, _request("Update", "DataExtensionObject", _row("2", "Bonn"), "UpdateOnly"), "Update"
    )
    assert (code, message) == ("Error", "No row with that key exists.")
    _, rows = soap(
        world.client,
        "Retrieve",
        retrieve("DataExtensionObject[people]", ["Key", "City"]),
        user=world.user,
    )
    assert texts(rows, "p:Results/p:Properties/p:Property/p:Value") == ["1", "Rome"]


def test_unknown_elements_are_client_faults_and_known_options_are_accepted(world) -> None:
    known = (
        f'<CreateRequest xmlns="{PARTNER}"><Options><Priority>1</Priority><RequestType>'
        "Synchronous</RequestType><QueuePriority>High</QueuePriority></Options>"
        f'<Objects xsi:type="Subscriber">{_subscriber("a@x.test", "Oslo")}</Objects></CreateRequest>'
    )
    assert _status(world, known, "Create")[0] == "OK"
    status, fault = soap(
        world.client,
        "Create",
        known.replace("<Priority>1</Priority>", "<Urgency>1</Urgency>"),
        user=world.user,
    )
    assert status == 500 and text(fault, "faultcode") == "soap:Client"
    assert "Unknown element 'Urgency' in CreateOptions" in text(fault, "faultstring")
    status, fault = soap(
        world.client,
        "Create",
        _request("Create", "Subscriber", "<X/>", "Sometimes"),
        user=world.user,
    )
    assert text(fault, "faultcode") == "soap:Client"


def test_configure_profile_attributes_and_extract_not_supported(world) -> None:
    def configure(action: str, props: str):  # type: ignore[no-untyped-def]
        body = (
            f'<ConfigureRequestMsg xmlns="{PARTNER}"><Action>{action}</Action><Configurations>'
            f'<Configuration xsi:type="PropertyDefinition">{props}</Configuration>'
            "</Configurations></ConfigureRequestMsg>"
        )
        return soap(world.client, "Configure", body, user=world.user)[1]

    reply = configure("create", "<Name>PythonSDKEmail</Name><PropertyType>string</PropertyType>")
    assert text(reply, "p:OverallStatus") == "OK"
    assert text(reply, "p:Results/p:Result/p:StatusMessage") == "PropertyDefinition created"
    assert text(reply, "p:Results/p:Result/p:Object/p:Name") == "PythonSDKEmail"
    again = configure("create", "<Name>pythonsdkemail</Name>")
    assert "already exists" in text(again, "p:Results/p:Result/p:StatusMessage")
    reply = configure("update", "<Name>PythonSDKEmail</Name><DefaultValue>x</DefaultValue>")
    assert text(reply, "p:Results/p:Result/p:Object/p:DefaultValue") == "x"
    assert text(configure("delete", "<Name>PythonSDKEmail</Name>"), "p:OverallStatus") == "OK"
    assert "was not found" in text(
        configure("delete", "<Name>PythonSDKEmail</Name>"), ".//p:StatusMessage"
    )
    assert "not supported" in text(configure("rename", "<Name>A</Name>"), ".//p:StatusMessage")

    body = (
        f'<ExtractRequestMsg xmlns="{PARTNER}"><Requests><ID>c7219016-a7f0-4c72-8657-1ec12c28a0db'
        "</ID><Options/><Parameters><Parameter><Name>OutputFileName</Name><Value>x.zip</Value>"
        "</Parameter></Parameters></Requests></ExtractRequestMsg>"
    )
    status, reply = soap(world.client, "Extract", body, user=world.user)
    assert status == 200 and text(reply, "p:OverallStatus") == "Error"
    assert text(reply, "p:Results/p:ExtractResult/p:StatusMessage").startswith(
        "Extract is not supported by Sendwell"
    )
