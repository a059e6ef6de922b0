"""Subscribers named by ID (as FuelSDK deletes them), and messages that say what is missing or
which key was not found instead of showing Python values (None, dicts)."""

from __future__ import annotations

from tests.support import PARTNER, create, retrieve, simple_filter, soap, text, texts


def _op(action: str, obj_type: str, props: str) -> str:
    tag = {"Update": "UpdateRequest", "Delete": "DeleteRequest"}[action]
    return f'<{tag} xmlns="{PARTNER}"><Objects xsi:type="{obj_type}">{props}</Objects></{tag}>'


def _subscriber(world, key: str) -> str:  # type: ignore[no-untyped-def]
    _, reply = soap(
        world.client,
        "Create",
        create(
            "Subscriber",
            f"<EmailAddress>{key}@example.test</EmailAddress><SubscriberKey>{key}</SubscriberKey>",
        ),
        user=world.user,
    )
    assert text(reply, ".//p:StatusCode") == "OK"
    return text(reply, "p:Results/p:NewID")


def _keys(world) -> list[str]:  # type: ignore[no-untyped-def]
    _, got = soap(
        world.client, "Retrieve", retrieve("Subscriber", ["SubscriberKey"]), user=world.user
    )
    return texts(got, "p:Results/p:SubscriberKey")


def test_delete_and_update_by_id_act_on_that_subscriber(world) -> None:
    first, second = _subscriber(world, "first"), _subscriber(world, "second")
    _, reply = soap(
        world.client,
        "Update",
        _op("Update", "Subscriber", f"<ID>{second}</ID><Status>Held</Status>"),
        user=world.user,
    )
    assert text(reply, ".//p:StatusCode") == "OK", text(reply, ".//p:StatusMessage")
    _, got = soap(
        world.client,
        "Retrieve",
        retrieve("Subscriber", ["SubscriberKey", "Status"], simple_filter("ID", "equals", second)),
        user=world.user,
    )
    assert (text(got, ".//p:SubscriberKey"), text(got, ".//p:Status")) == ("second", "Held")

    _, reply = soap(
        world.client, "Delete", _op("Delete", "Subscriber", f"<ID>{first}</ID>"), user=world.user
    )
    assert text(reply, ".//p:StatusCode") == "OK", text(reply, ".//p:StatusMessage")
    assert _keys(world) == ["second"]

    _, reply = soap(
        world.client, "Delete", _op("Delete", "Subscriber", "<ID>1234567890</ID>"), user=world.user
    )
    assert text(reply, ".//p:StatusCode") == "Error"
    assert text(reply, ".//p:StatusMessage") == "The subscriber with ID 1234567890 was not found."
    assert _keys(world) == ["second"]


def test_messages_name_what_is_missing_not_python_values(world) -> None:
    replies = {
        "no email": soap(
            world.client,
            "Create",
            create("Subscriber", "<SubscriberKey>k</SubscriberKey>"),
            user=world.user,
        )[1],
        "no key": soap(
            world.client,
            "Delete",
            _op("Delete", "Subscriber", "<Status>Active</Status>"),
            user=world.user,
        )[1],
        "no sender address": soap(
            world.client, "Create", create("SenderProfile", "<Name>S</Name>"), user=world.user
        )[1],
        "unknown list": soap(
            world.client,
            "Create",
            create(
                "Subscriber",
                "<EmailAddress>a@example.test</EmailAddress><Lists><ID>987654</ID></Lists>",
            ),
            user=world.user,
        )[1],
    }
    messages = {name: text(r, ".//p:StatusMessage") for name, r in replies.items()}
    assert messages == {
        "no email": "The subscriber needs an EmailAddress.",
        "no key": "The subscriber needs an ID, a SubscriberKey or an EmailAddress.",
        "no sender address": "SenderProfile needs a FromAddress.",
        "unknown list": "List with ID 987654 was not found.",
    }
    _, rows = soap(
        world.client,
        "Retrieve",
        retrieve("DataExtensionObject[zipstolong]", ["zip"]),
        user=world.user,
    )
    assert text(rows, "p:OverallStatus") == (
        "Error: The data extension with Name 'zipstolong' was not found."
    )
    for message in [*messages.values(), text(rows, "p:OverallStatus")]:
        assert "None" not in message and "{" not in message
