"""A data extension's fields over SOAP: Update with Fields adds them (it never drops the others),
changes a field named by its ObjectID, and every field reads back as a DataExtensionField."""

from __future__ import annotations

from tests.support import PARTNER, create, retrieve, simple_filter, soap, text, texts

FIELDS = (
    "<Fields>"
    "<Field><Name>Name</Name><FieldType>Text</FieldType><IsPrimaryKey>true</IsPrimaryKey>"
    "<MaxLength>100</MaxLength><IsRequired>true</IsRequired></Field>"
    "<Field><Name>OtherField</Name><FieldType>Text</FieldType></Field>"
    "</Fields>"
)


def _update(props: str) -> str:
    return (
        f'<UpdateRequest xmlns="{PARTNER}"><Options/><Objects xsi:type="DataExtension">'
        f"{props}</Objects></UpdateRequest>"
    )


def _row(op: str, values: dict[str, str]) -> str:
    props = "".join(
        f"<Property><Name>{k}</Name><Value>{v}</Value></Property>" for k, v in values.items()
    )
    tag = {"Create": "CreateRequest", "Update": "UpdateRequest"}[op]
    return (
        f'<{tag} xmlns="{PARTNER}"><Objects xsi:type="DataExtensionObject">'
        f"<CustomerKey>zips</CustomerKey><Properties>{props}</Properties></Objects></{tag}>"
    )


def _fields(world, key: str = "zips") -> list:  # type: ignore[no-untyped-def]
    _, got = soap(
        world.client,
        "Retrieve",
        retrieve(
            "DataExtensionField",
            ["Name", "ObjectID", "CustomerKey", "FieldType", "MaxLength", "Ordinal"],
            simple_filter("DataExtension.CustomerKey", "equals", key),
        ),
        user=world.user,
    )
    assert text(got, "p:OverallStatus") == "OK", text(got, "p:OverallStatus")
    return got.findall("p:Results", {"p": PARTNER})


def test_update_with_fields_adds_them_and_rows_keep_working(world) -> None:
    def call(action: str, body: str):  # type: ignore[no-untyped-def]
        _, reply = soap(world.client, action, body, user=world.user)
        assert text(reply, ".//p:StatusCode") == "OK", text(reply, ".//p:StatusMessage")
        return reply

    call(
        "Create",
        create("DataExtension", f"<CustomerKey>zips</CustomerKey><Name>zips</Name>{FIELDS}"),
    )
    call("Create", _row("Create", {"Name": "MAC3", "OtherField": "before"}))
    added = "<Fields><Field><Name>AddedField</Name><FieldType>Text</FieldType></Field></Fields>"
    reply = call("Update", _update(f"<CustomerKey>zips</CustomerKey>{added}"))
    echoed = texts(reply, "p:Results/p:Object/p:Fields/p:Field/p:Name")
    assert echoed == ["Name", "OtherField", "AddedField"]

    # The fields that were there before the update still take rows, and so does the new one.
    call("Create", _row("Create", {"Name": "MAC4", "OtherField": "x", "AddedField": "new"}))
    call("Update", _row("Update", {"Name": "MAC3", "OtherField": "UPDATED!"}))
    _, rows = soap(
        world.client,
        "Retrieve",
        retrieve("DataExtensionObject[zips]", ["Name", "OtherField", "AddedField"]),
        user=world.user,
    )
    values = texts(rows, "p:Results/p:Properties/p:Property/p:Value")
    assert values == ["MAC3", "UPDATED!", "MAC4", "x", "new"]
    assert [f.findtext("p:Name", namespaces={"p": PARTNER}) for f in _fields(world)] == [
        "Name",
        "OtherField",
        "AddedField",
    ]


def test_an_existing_name_without_object_id_is_refused_and_nothing_changes(world) -> None:
    soap(
        world.client,
        "Create",
        create("DataExtension", f"<CustomerKey>zips</CustomerKey><Name>zips</Name>{FIELDS}"),
        user=world.user,
    )
    again = "<Fields><Field><Name>othERfield</Name><FieldType>Number</FieldType></Field></Fields>"
    _, reply = soap(
        world.client, "Update", _update(f"<CustomerKey>zips</CustomerKey>{again}"), user=world.user
    )
    assert text(reply, ".//p:StatusCode") == "Error"
    assert text(reply, ".//p:ErrorCode") == "310003"
    assert "already has a field named 'othERfield'" in text(reply, ".//p:StatusMessage")
    assert [f.findtext("p:FieldType", namespaces={"p": PARTNER}) for f in _fields(world)] == [
        "Text",
        "Text",
    ]


def test_a_field_named_by_object_id_is_changed_in_place(world) -> None:
    soap(
        world.client,
        "Create",
        create("DataExtension", f"<CustomerKey>zips</CustomerKey><Name>zips</Name>{FIELDS}"),
        user=world.user,
    )
    name_field = _fields(world)[0]
    object_id = name_field.findtext("p:ObjectID", namespaces={"p": PARTNER})
    assert name_field.findtext("p:CustomerKey", namespaces={"p": PARTNER}) == "[zips].[Name]"
    wider = f"<Fields><Field><ObjectID>{object_id}</ObjectID><MaxLength>250</MaxLength></Field></Fields>"
    _, reply = soap(
        world.client, "Update", _update(f"<CustomerKey>zips</CustomerKey>{wider}"), user=world.user
    )
    assert text(reply, ".//p:StatusCode") == "OK", text(reply, ".//p:StatusMessage")
    after = _fields(world)
    assert len(after) == 2
    assert after[0].findtext("p:MaxLength", namespaces={"p": PARTNER}) == "250"
    assert after[0].findtext("p:ObjectID", namespaces={"p": PARTNER}) == object_id

    retyped = f"<Fields><Field><ObjectID>{object_id}</ObjectID><FieldType>Number</FieldType></Field></Fields>"
    _, reply = soap(
        world.client,
        "Update",
        _update(f"<CustomerKey>zips</CustomerKey>{retyped}"),
        user=world.user,
    )
    assert "FieldType of the existing field 'Name' cannot be changed" in text(
        reply, ".//p:StatusMessage"
    )


def test_a_required_field_cannot_be_added_to_a_data_extension_with_rows(world) -> None:
    soap(
        world.client,
        "Create",
        create("DataExtension", f"<CustomerKey>zips</CustomerKey><Name>zips</Name>{FIELDS}"),
        user=world.user,
    )
    soap(world.client, "Create", _row("Create", {"Name": "MAC3"}), user=world.user)
    required = "<Fields><Field><Name>Must</Name><IsRequired>true</IsRequired></Field></Fields>"
    _, reply = soap(
        world.client,
        "Update",
        _update(f"<CustomerKey>zips</CustomerKey>{required}"),
        user=world.user,
    )
    assert text(reply, ".//p:StatusCode") == "Error"
    assert "without a DefaultValue" in text(reply, ".//p:StatusMessage")


def test_data_extension_fields_of_the_whole_account_and_by_key(world) -> None:
    soap(
        world.client,
        "Create",
        create("DataExtension", f"<CustomerKey>zips</CustomerKey><Name>zips</Name>{FIELDS}"),
        user=world.user,
    )
    one = "<Fields><Field><Name>Only</Name></Field></Fields>"
    soap(
        world.client,
        "Create",
        create("DataExtension", f"<CustomerKey>other</CustomerKey><Name>other</Name>{one}"),
        user=world.user,
    )
    _, every = soap(
        world.client,
        "Retrieve",
        retrieve("DataExtensionField", ["ObjectID", "Name"]),
        user=world.user,
    )
    assert text(every, "p:OverallStatus") == "OK"
    assert texts(every, "p:Results/p:Name") == ["Name", "OtherField", "Only"]
    assert len(set(texts(every, "p:Results/p:ObjectID"))) == 3
    assert [f.findtext("p:Name", namespaces={"p": PARTNER}) for f in _fields(world, "other")] == [
        "Only"
    ]
    # FuelSDK-Python's sample filters the fields' own CustomerKey by the DE's key: no field has it.
    _, none = soap(
        world.client,
        "Retrieve",
        retrieve("DataExtensionField", ["Name"], simple_filter("CustomerKey", "equals", "zips")),
        user=world.user,
    )
    assert text(none, "p:OverallStatus") == "OK" and texts(none, "p:Results/p:Name") == []
