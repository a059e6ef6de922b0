"""Folders over SOAP: a root per content type, folders made under them, CategoryID on the
objects that live in folders, and what may not be changed or deleted."""

from __future__ import annotations

from tests.support import PARTNER, create, retrieve, simple_filter, soap, text, texts

NS = {"p": PARTNER}


def _write(action: str, obj_type: str, props: str) -> str:
    tag = {"Update": "UpdateRequest", "Delete": "DeleteRequest"}[action]
    return f'<{tag} xmlns="{PARTNER}"><Objects xsi:type="{obj_type}">{props}</Objects></{tag}>'


def _root(world, content_type: str) -> str:  # type: ignore[no-untyped-def]
    _, got = soap(
        world.client,
        "Retrieve",
        retrieve(
            "DataFolder",
            ["ID", "Name", "CustomerKey", "IsEditable", "AllowChildren"],
            '<Filter xsi:type="ComplexFilterPart"><LeftOperand xsi:type="SimpleFilterPart">'
            f"<Property>ContentType</Property><SimpleOperator>equals</SimpleOperator>"
            f"<Value>{content_type}</Value></LeftOperand><LogicalOperator>AND</LogicalOperator>"
            '<RightOperand xsi:type="SimpleFilterPart"><Property>ParentFolder.ID</Property>'
            "<SimpleOperator>equals</SimpleOperator><Value>0</Value></RightOperand></Filter>",
        ),
        user=world.user,
    )
    assert text(got, "p:OverallStatus") == "OK"
    (found,) = got.findall("p:Results", NS)
    assert found.findtext("p:CustomerKey", namespaces=NS) == f"{content_type}_default"
    assert found.findtext("p:IsEditable", namespaces=NS) == "false"
    return found.findtext("p:ID", namespaces=NS)


def _ok(world, action: str, body: str):  # type: ignore[no-untyped-def]
    _, reply = soap(world.client, action, body, user=world.user)
    assert text(reply, ".//p:StatusCode") == "OK", text(reply, ".//p:StatusMessage")
    return reply


def test_roots_exist_and_a_folder_is_made_updated_and_deleted_under_one(world) -> None:
    email_root = _root(world, "email")
    reply = _ok(
        world,
        "Create",
        create(
            "DataFolder",
            "<CustomerKey>promo</CustomerKey><Name>Promotions</Name><Description>d</Description>"
            f"<ContentType>EMAIL</ContentType><ParentFolder><ID>{email_root}</ID></ParentFolder>",
        ),
    )
    folder_id = text(reply, "p:Results/p:NewID")
    assert text(reply, ".//p:Object/p:ParentFolder/p:Name") == "my emails"
    assert text(reply, ".//p:Object/p:AllowChildren") == "false"  # Marketing Cloud's default

    _, got = soap(
        world.client,
        "Retrieve",
        retrieve(
            "DataFolder",
            ["ID", "Name", "ContentType", "ParentFolder.ID", "ParentFolder.Name"],
            simple_filter("CustomerKey", "equals", "promo"),
        ),
        user=world.user,
    )
    assert texts(got, "p:Results/p:ContentType") == ["email"]
    assert texts(got, "p:Results/p:ParentFolder/p:ID") == [email_root]
    assert texts(got, "p:Results/p:ParentFolder/p:Name") == ["my emails"]

    _ok(
        world,
        "Update",
        _write(
            "Update", "DataFolder", "<CustomerKey>promo</CustomerKey><Description>new</Description>"
        ),
    )
    _, got = soap(
        world.client,
        "Retrieve",
        retrieve("DataFolder", ["Description"], simple_filter("ID", "equals", folder_id)),
        user=world.user,
    )
    assert texts(got, "p:Results/p:Description") == ["new"]

    _ok(world, "Delete", _write("Delete", "DataFolder", "<CustomerKey>promo</CustomerKey>"))
    _, got = soap(
        world.client,
        "Retrieve",
        retrieve("DataFolder", ["ID"], simple_filter("ID", "equals", folder_id)),
        user=world.user,
    )
    assert texts(got, "p:Results/p:ID") == []


def test_objects_go_to_their_root_or_the_folder_they_name(world) -> None:
    de_root = _root(world, "dataextension")
    fields = "<Fields><Field><Name>K</Name></Field></Fields>"
    reply = _ok(
        world,
        "Create",
        create("DataExtension", f"<CustomerKey>a</CustomerKey><Name>a</Name>{fields}"),
    )
    assert text(reply, ".//p:Object/p:CategoryID") == de_root
    sub = text(
        _ok(
            world,
            "Create",
            create(
                "DataFolder", f"<Name>Leads</Name><ParentFolder><ID>{de_root}</ID></ParentFolder>"
            ),
        ),
        "p:Results/p:NewID",
    )
    _ok(
        world,
        "Create",
        create(
            "DataExtension",
            f"<CustomerKey>b</CustomerKey><Name>b</Name><CategoryID>{sub}</CategoryID>{fields}",
        ),
    )
    _, got = soap(
        world.client,
        "Retrieve",
        retrieve("DataExtension", ["CustomerKey"], simple_filter("CategoryID", "equals", sub)),
        user=world.user,
    )
    assert texts(got, "p:Results/p:CustomerKey") == ["b"]

    # A folder of another content type, or none at all, is refused.
    email_root = _root(world, "email")
    for category, message in ((email_root, "holds email content"), ("987654", "was not found")):
        _, reply = soap(
            world.client,
            "Create",
            create("DataExtension", f"<Name>c</Name><CategoryID>{category}</CategoryID>{fields}"),
            user=world.user,
        )
        assert text(reply, ".//p:StatusCode") == "Error"
        assert message in text(reply, ".//p:StatusMessage")

    # A folder that holds something, and a root, are kept.
    for key, message in (("", "is not empty"), ("dataextension_default", "root folder")):
        ref = f"<ID>{sub}</ID>" if not key else f"<CustomerKey>{key}</CustomerKey>"
        _, reply = soap(
            world.client, "Delete", _write("Delete", "DataFolder", ref), user=world.user
        )
        assert text(reply, ".//p:StatusCode") == "Error"
        assert message in text(reply, ".//p:StatusMessage")
    reply = _ok(world, "Create", create("List", "<ListName>L</ListName>"))
    assert text(reply, ".//p:Object/p:Category") == _root(world, "list")


def test_a_folder_under_a_parent_of_another_content_type_is_refused(world) -> None:
    list_root = _root(world, "list")
    _, reply = soap(
        world.client,
        "Create",
        create(
            "DataFolder",
            f"<Name>X</Name><ContentType>email</ContentType><ParentFolder><ID>{list_root}</ID></ParentFolder>",
        ),
        user=world.user,
    )
    assert text(reply, ".//p:StatusCode") == "Error"
    assert "not that of the ParentFolder (list)" in text(reply, ".//p:StatusMessage")


def test_each_account_has_its_own_tree(world) -> None:
    _root(world, "email")
    _, got = soap(
        world.client, "Retrieve", retrieve("DataFolder", ["ID", "Client.ID"]), user=world.other_user
    )
    assert set(texts(got, "p:Results/p:Client/p:ID")) == {str(world.other_mid)}
    _, mine = soap(world.client, "Retrieve", retrieve("DataFolder", ["ID"]), user=world.user)
    assert not set(texts(got, "p:Results/p:ID")) & set(texts(mine, "p:Results/p:ID"))
