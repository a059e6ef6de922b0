"""Classic content areas over SOAP (create, retrieve, update, delete, their folders and their
AMPscript check), and ``area_content``, through which AMPscript's ContentArea() reads them."""

from __future__ import annotations

from tests.integration.de_rows_support import bearer
from tests.support import PARTNER, create, retrieve, simple_filter, soap, text, texts

from sendwell.services.content_areas import area_content

PROPS = ["RowObjectID", "ID", "CustomerKey", "Name", "Content", "CategoryID", "IsBlank", "Layout"]


def _write(action: str, props: str) -> str:
    tag = {"Update": "UpdateRequest", "Delete": "DeleteRequest"}[action]
    return f'<{tag} xmlns="{PARTNER}"><Objects xsi:type="ContentArea">{props}</Objects></{tag}>'


def _areas(world, filter_xml: str = ""):  # type: ignore[no-untyped-def]
    _, got = soap(
        world.client, "Retrieve", retrieve("ContentArea", PROPS, filter_xml), user=world.user
    )
    assert text(got, "p:OverallStatus") == "OK", text(got, "p:OverallStatus")
    return got


def test_content_area_life_as_fuelsdk_samples_use_it(world) -> None:
    _, reply = soap(
        world.client,
        "Create",
        create(
            "ContentArea",
            "<CustomerKey>banner</CustomerKey><Name>Banner</Name><Content><![CDATA[<b>Hi</b>]]></Content>",
        ),
        user=world.user,
    )
    assert text(reply, ".//p:StatusCode") == "OK", text(reply, ".//p:StatusMessage")
    area_id = text(reply, "p:Results/p:NewID")
    assert (text(reply, ".//p:Object/p:Name"), text(reply, ".//p:Object/p:Content")) == (
        "Banner",
        "<b>Hi</b>",
    )
    got = _areas(world, simple_filter("ID", "equals", area_id))
    assert texts(got, "p:Results/p:CustomerKey") == ["banner"]
    assert texts(got, "p:Results/p:IsBlank") == ["false"]
    assert texts(got, "p:Results/p:Layout") == ["HTMLWrapped"]
    assert texts(got, "p:Results/p:CategoryID") != [""]  # in "my contents"

    updated = "<CustomerKey>banner</CustomerKey><Content>Now %%FirstName%%</Content>"
    _, reply = soap(world.client, "Update", _write("Update", updated), user=world.user)
    assert text(reply, ".//p:StatusCode") == "OK"
    assert texts(
        _areas(world, simple_filter("CustomerKey", "equals", "banner")), "p:Results/p:Content"
    ) == ["Now %%FirstName%%"]

    _, reply = soap(
        world.client, "Delete", _write("Delete", f"<ID>{area_id}</ID>"), user=world.user
    )
    assert text(reply, ".//p:StatusCode") == "OK"
    assert texts(_areas(world), "p:Results/p:ID") == []
    _, reply = soap(
        world.client, "Delete", _write("Delete", "<ID>1234567890</ID>"), user=world.user
    )
    assert text(reply, "p:OverallStatus") == "Error"


def test_content_is_checked_as_ampscript_when_saved(world) -> None:
    _, reply = soap(
        world.client,
        "Create",
        create("ContentArea", "<Name>Bad</Name><Content>%%[ SET @x = ]%%</Content>"),
        user=world.user,
    )
    assert text(reply, ".//p:StatusCode") == "Error"
    assert text(reply, ".//p:StatusMessage").startswith("Invalid AMPscript in Content")
    _, reply = soap(
        world.client, "Create", create("ContentArea", "<Content>x</Content>"), user=world.user
    )
    assert text(reply, ".//p:StatusMessage") == "ContentArea needs a Name."


def test_area_content_by_id_by_name_and_by_folder_path(world) -> None:
    _, got = soap(
        world.client,
        "Retrieve",
        retrieve("DataFolder", ["ID"], simple_filter("CustomerKey", "equals", "content_default")),
        user=world.user,
    )
    root = texts(got, "p:Results/p:ID")[0]
    _, reply = soap(
        world.client,
        "Create",
        create(
            "DataFolder", f"<Name>Promotions</Name><ParentFolder><ID>{root}</ID></ParentFolder>"
        ),
        user=world.user,
    )
    folder = text(reply, "p:Results/p:NewID")
    ids = {}
    for name, category, content in (
        ("Footer", "", "plain footer"),
        ("Footer", folder, "promo footer"),
    ):
        in_folder = f"<CategoryID>{category}</CategoryID>" if category else ""
        _, reply = soap(
            world.client,
            "Create",
            create("ContentArea", f"<Name>{name}</Name>{in_folder}<Content>{content}</Content>"),
            user=world.user,
        )
        ids[content] = text(reply, "p:Results/p:NewID")
    with world.engine.connect() as conn:
        assert area_content(conn, world.mid, "area_id", ids["promo footer"]) == "promo footer"
        assert area_content(conn, world.mid, "area_id", int(ids["plain footer"])) == "plain footer"
        assert area_content(conn, world.mid, "area_name", "footer") == "plain footer"
        assert area_content(conn, world.mid, "area_name", r"My Contents\Promotions\Footer") == (
            "promo footer"
        )
        assert area_content(conn, world.mid, "area_name", "my contents/footer") == "plain footer"
        assert area_content(conn, world.mid, "area_name", r"my contents\Other\Footer") is None
        assert area_content(conn, world.mid, "area_id", "nope") is None
        assert area_content(conn, world.other_mid, "area_id", ids["plain footer"]) is None


def test_ampscript_content_area_functions_render_the_areas(world) -> None:
    """An email's ContentArea(id) and ContentAreaByName(path), rendered by the preview API."""
    _, reply = soap(
        world.client,
        "Create",
        create(
            "ContentArea", "<Name>Footer</Name><Content>Unsubscribe below, %%=v(@name)=%%</Content>"
        ),
        user=world.user,
    )
    area_id = text(reply, "p:Results/p:NewID")
    html = (
        '%%[ SET @name = "Ann" ]%%<p>%%=ContentAreaByName("my contents\\Footer")=%%</p>'
        f"<p>%%=ContentArea('{area_id}')=%%</p>"
    )
    _, reply = soap(
        world.client,
        "Create",
        create(
            "Email", f"<Name>E</Name><Subject>S</Subject><HTMLBody><![CDATA[{html}]]></HTMLBody>"
        ),
        user=world.user,
    )
    assert text(reply, ".//p:StatusCode") == "OK", text(reply, ".//p:StatusMessage")
    preview = world.client.post(
        "/sendwell/v1/preview",
        json={"emailId": int(text(reply, "p:Results/p:NewID"))},
        headers=bearer(world),
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["html"] == ("<p>Unsubscribe below, Ann</p><p>Unsubscribe below, Ann</p>")
