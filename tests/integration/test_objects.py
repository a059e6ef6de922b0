"""Partner API objects through SOAP: lists and subscribers as an audience, paging, Describe,
Update/Delete, filters."""

from __future__ import annotations

from tests.support import (
    PARTNER,
    create,
    perform_start,
    retrieve,
    simple_filter,
    soap,
    text,
    texts,
    wait_for,
)

NS = {"p": PARTNER}


def ok(world, action, body):  # type: ignore[no-untyped-def]
    _, response = soap(world.client, action, body, user=world.user)
    assert text(response, "p:OverallStatus") == "OK", text(response, ".//p:StatusMessage")
    return response


def test_list_audience_skips_held_and_unsubscribed_members(sqlite_world) -> None:
    world = sqlite_world
    ok(
        world,
        "Create",
        create(
            "SenderProfile",
            "<CustomerKey>sp</CustomerKey><Name>S</Name>"
            "<FromName>Shop</FromName><FromAddress>shop@example.test</FromAddress>",
        ),
    )
    ok(
        world,
        "Create",
        create(
            "SendClassification",
            "<CustomerKey>Default Commercial</CustomerKey>"
            "<Name>C</Name><SenderProfile><CustomerKey>sp</CustomerKey></SenderProfile>",
        ),
    )
    email_id = text(
        ok(
            world,
            "Create",
            create(
                "Email",
                "<Name>E</Name><Subject>For %%City%%</Subject>"
                "<TextBody>Hi %%emailaddr%%</TextBody>",
            ),
        ),
        "p:Results/p:NewID",
    )
    list_id = text(
        ok(world, "Create", create("List", "<ListName>Newsletter</ListName>")),
        "p:Results/p:NewID",
    )
    people = [
        ("a@example.test", "Active"),
        ("b@example.test", "Held"),
        ("c@example.test", "Unsubscribed"),
        ("d@example.test", "Active"),
    ]
    for address, status in people:
        ok(
            world,
            "Create",
            create(
                "Subscriber",
                f"<EmailAddress>{address}</EmailAddress>"
                f"<Attributes><Name>City</Name><Value>Oslo</Value></Attributes><Status>{status}</Status>"
                f"<Lists><ID>{list_id}</ID><Status>Active</Status></Lists>",
            ),
        )
    # d unsubscribed from this list only
    update = create(
        "Subscriber",
        "<SubscriberKey>d@example.test</SubscriberKey>"
        f"<Lists><ID>{list_id}</ID><Status>Unsubscribed</Status></Lists>",
    )
    ok(world, "Update", update.replace("CreateRequest", "UpdateRequest"))
    ok(
        world,
        "Create",
        create(
            "EmailSendDefinition",
            "<CustomerKey>list-send</CustomerKey>"
            f"<Name>L</Name><Email><ID>{email_id}</ID></Email><SendDefinitionList><List><ID>{list_id}"
            "</ID></List><DataSourceTypeID>List</DataSourceTypeID></SendDefinitionList>",
        ),
    )
    job = text(ok(world, "Perform", perform_start("list-send")), "p:Results/p:Result/p:Task/p:ID")
    token = world.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": world.client_secret,
        },
    )
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    listing = wait_for(
        lambda: (
            (r := world.client.get(f"/capture/v1/messages?jobId={job}", headers=bearer).json())[
                "count"
            ]
            == 1
            and r
        )
    )
    item = listing["items"][0]
    assert item["rcpt_to"] == "a@example.test" and item["subject"] == "For Oslo"
    full = world.client.get(f"/capture/v1/messages/{item['id']}", headers=bearer).json()
    assert full["text"].strip() == "Hi a@example.test"
    status = wait_for(
        lambda: (
            (
                s := ok(
                    world,
                    "Retrieve",
                    retrieve(
                        "Send",
                        [
                            "Status",
                            "NumberTargeted",
                            "ExistingUndeliverables",
                            "ExistingUnsubscribes",
                        ],
                        simple_filter("ID", "equals", job),
                    ),
                )
            )
            is not None
            and text(s, "p:Results/p:Status") == "Complete"
            and s
        )
    )
    assert text(status, "p:Results/p:NumberTargeted") == "1"
    assert text(status, "p:Results/p:ExistingUndeliverables") == "1"
    assert text(status, "p:Results/p:ExistingUnsubscribes") == "1"


def test_paging_returns_every_object_once(sqlite_world) -> None:
    world = sqlite_world
    for n in range(5):
        ok(world, "Create", create("Email", f"<Name>Email {n}</Name><TextBody>x</TextBody>"))
    body = retrieve("Email", ["Name"]).replace(
        "</RetrieveRequest>", "<Options><BatchSize>2</BatchSize></Options></RetrieveRequest>"
    )
    names: list[str] = []
    _, page = soap(world.client, "Retrieve", body, user=world.user)
    pages = 1
    while text(page, "p:OverallStatus") == "MoreDataAvailable":
        names += texts(page, "p:Results/p:Name")
        request_id = text(page, "p:RequestID")
        # Ruby-style: ContinueRequest without the RetrieveRequest wrapper
        bare = f'<RetrieveRequestMsg xmlns="{PARTNER}"><ContinueRequest>{request_id}</ContinueRequest></RetrieveRequestMsg>'
        _, page = soap(world.client, "Retrieve", bare, user=world.user)
        pages += 1
    assert text(page, "p:OverallStatus") == "OK"
    names += texts(page, "p:Results/p:Name")
    assert names == [f"Email {n}" for n in range(5)] and pages == 3
    _, stolen = soap(world.client, "Retrieve", bare, user=world.other_user)
    assert text(stolen, "p:OverallStatus").startswith("Error:")


def test_describe_lists_retrievable_properties(sqlite_world) -> None:
    body = (
        f'<DefinitionRequestMsg xmlns="{PARTNER}"><DescribeRequests><ObjectDefinitionRequest>'
        "<ObjectType>Send</ObjectType></ObjectDefinitionRequest></DescribeRequests></DefinitionRequestMsg>"
    )
    _, response = soap(sqlite_world.client, "Describe", body, user=sqlite_world.user)
    names = texts(response, "p:ObjectDefinition/p:Properties/p:Name")
    for expected in (
        "ID",
        "Status",
        "NumberSent",
        "NumberTargeted",
        "Client.ID",
        "Email.ID",
        "EmailSendDefinition.CustomerKey",
    ):
        assert expected in names
    _, everything = soap(
        sqlite_world.client, "Retrieve", retrieve("Send", names), user=sqlite_world.user
    )
    assert text(everything, "p:OverallStatus") == "OK"


def test_update_delete_and_filters_on_definitions(sqlite_world) -> None:
    world = sqlite_world
    for name in ("Alpha", "Beta", "Gamma"):
        ok(
            world,
            "Create",
            create(
                "Email",
                f"<CustomerKey>{name.lower()}</CustomerKey><Name>{name}</Name>"
                "<TextBody>x</TextBody>",
            ),
        )
    complex_filter = (
        '<Filter xsi:type="ComplexFilterPart"><LeftOperand xsi:type="SimpleFilterPart">'
        "<Property>Name</Property><SimpleOperator>beginsWith</SimpleOperator><Value>a</Value>"
        "</LeftOperand><LogicalOperator>OR</LogicalOperator>"
        '<RightOperand xsi:type="SimpleFilterPart"><Property>CustomerKey</Property>'
        "<SimpleOperator>IN</SimpleOperator><Value>gamma</Value><Value>zeta</Value>"
        "</RightOperand></Filter>"
    )
    found = ok(world, "Retrieve", retrieve("Email", ["Name", "CustomerKey"], complex_filter))
    assert texts(found, "p:Results/p:Name") == ["Alpha", "Gamma"]
    updated = ok(
        world,
        "Update",
        create("Email", "<CustomerKey>beta</CustomerKey><Name>Beta 2</Name>").replace(
            "CreateRequest", "UpdateRequest"
        ),
    )
    assert text(updated, "p:Results/p:StatusMessage") == "Email updated"
    deleted = ok(
        world,
        "Delete",
        create("Email", "<CustomerKey>alpha</CustomerKey>").replace(
            "CreateRequest", "DeleteRequest"
        ),
    )
    assert text(deleted, "p:Results/p:StatusMessage") == "Email deleted"
    remaining = ok(world, "Retrieve", retrieve("email", ["name"]))
    assert texts(remaining, "p:Results/p:Name") == ["Beta 2", "Gamma"]
    duplicate = soap(
        world.client,
        "Create",
        create("Email", "<CustomerKey>gamma</CustomerKey><Name>G</Name><TextBody>x</TextBody>"),
        user=world.user,
    )[1]
    assert text(duplicate, "p:Results/p:ErrorCode") == "1"
