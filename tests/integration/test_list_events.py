"""A list send seen the ways FuelSDK looks at it: ListSubscriber memberships, every SentEvent
property the WSDL and the SentEvent page give (ListID, SubscriberID included) retrievable and
filterable, the other event types retrievable, and LogUnsubEvent (SOAP Execute) unsubscribing
from the list or the account with an UnsubEvent against the job."""

from __future__ import annotations

import pytest
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

from sendwell.api.soap.types import fields_of

NS = {"p": PARTNER}
PEOPLE = ("a@example.test", "b@example.test")


def ok(world, action: str, body: str):  # type: ignore[no-untyped-def]
    _, reply = soap(world.client, action, body, user=world.user)
    assert text(reply, "p:OverallStatus") == "OK", texts(reply, ".//p:StatusMessage")
    return reply


def _list_send(world) -> tuple[str, str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A list of two subscribers sent to; (list id, job id, subscriber id by key)."""
    ok(
        world,
        "Create",
        create(
            "SenderProfile",
            "<CustomerKey>sp</CustomerKey><Name>S</Name><FromName>Shop</FromName><FromAddress>shop@example.test</FromAddress>",
        ),
    )
    ok(
        world,
        "Create",
        create(
            "SendClassification",
            "<CustomerKey>Default Commercial</CustomerKey><Name>C</Name><SenderProfile><CustomerKey>sp</CustomerKey></SenderProfile>",
        ),
    )
    email = text(
        ok(
            world,
            "Create",
            create("Email", "<Name>E</Name><Subject>Hi</Subject><TextBody>Hi</TextBody>"),
        ),
        "p:Results/p:NewID",
    )
    list_id = text(
        ok(world, "Create", create("List", "<ListName>News</ListName>")), "p:Results/p:NewID"
    )
    ids = {}
    for address in PEOPLE:
        reply = ok(
            world,
            "Create",
            create(
                "Subscriber",
                f"<EmailAddress>{address}</EmailAddress><SubscriberKey>{address}</SubscriberKey><Lists><ID>{list_id}</ID></Lists>",
            ),
        )
        ids[address] = text(reply, "p:Results/p:NewID")
    ok(
        world,
        "Create",
        create(
            "EmailSendDefinition",
            f"<CustomerKey>esd</CustomerKey><Name>L</Name><Email><ID>{email}</ID></Email>"
            f"<SendDefinitionList><List><ID>{list_id}</ID></List>"
            "<DataSourceTypeID>List</DataSourceTypeID></SendDefinitionList>",
        ),
    )
    job = text(ok(world, "Perform", perform_start("esd")), "p:Results/p:Result/p:Task/p:ID")
    wait_for(
        lambda: (
            text(
                ok(
                    world,
                    "Retrieve",
                    retrieve("Send", ["Status"], simple_filter("ID", "equals", job)),
                ),
                "p:Results/p:Status",
            )
            == "Complete"
        )
    )
    return list_id, job, ids


def test_sent_events_carry_every_property_and_filter_on_them(sqlite_world) -> None:
    world = sqlite_world
    list_id, job, ids = _list_send(world)
    every = [
        f.name
        for f in fields_of("SentEvent")
        if not f.many and f.type in ("int", "string", "dateTime", "EventType")
    ]
    assert {"ListID", "SubscriberID", "SendID", "BatchID", "EventDate"} <= set(every)
    events = ok(
        world, "Retrieve", retrieve("SentEvent", every, simple_filter("SendID", "equals", job))
    )
    assert texts(events, "p:Results/p:ListID") == [list_id, list_id]
    assert sorted(texts(events, "p:Results/p:SubscriberID")) == sorted(ids.values())
    one = ok(
        world,
        "Retrieve",
        retrieve(
            "SentEvent", ["SubscriberKey"], simple_filter("SubscriberID", "equals", ids[PEOPLE[1]])
        ),
    )
    assert texts(one, "p:Results/p:SubscriberKey") == [PEOPLE[1]]
    none = ok(
        world,
        "Retrieve",
        retrieve("SentEvent", ["SendID"], simple_filter("ListID", "equals", "999999")),
    )
    assert texts(none, "p:Results/p:SendID") == []


@pytest.mark.parametrize(
    "event_type",
    [
        "SentEvent",
        "OpenEvent",
        "ClickEvent",
        "BounceEvent",
        "UnsubEvent",
        "NotSentEvent",
        "SurveyEvent",
        "ForwardedEmailEvent",
        "ForwardedEmailOptInEvent",
    ],
)
def test_every_event_type_takes_every_property_the_wsdl_gives_it(sqlite_world, event_type) -> None:
    names = [
        f.name
        for f in fields_of(event_type)
        if f.type in ("int", "string", "dateTime", "EventType", "long", "boolean")
    ]
    got = ok(
        sqlite_world,
        "Retrieve",
        retrieve(event_type, names, simple_filter(names[-1], "isNotNull")),
    )
    assert texts(got, "p:Results/p:ID") == []


def test_list_subscribers_and_log_unsub_event(sqlite_world) -> None:
    world = sqlite_world
    list_id, job, ids = _list_send(world)
    members = ok(
        world,
        "Retrieve",
        retrieve(
            "ListSubscriber",
            ["ListID", "SubscriberKey", "Status"],
            simple_filter("ListID", "equals", list_id),
        ),
    )
    assert texts(members, "p:Results/p:SubscriberKey") == list(PEOPLE)
    assert set(texts(members, "p:Results/p:Status")) == {"Active"}

    def execute(*params: tuple[str, str]):  # type: ignore[no-untyped-def]
        props = "".join(
            f"<Parameters><Name>{n}</Name><Value>{v}</Value></Parameters>" for n, v in params
        )
        body = f'<ExecuteRequestMsg xmlns="{PARTNER}"><Requests><Name>LogUnsubEvent</Name>{props}</Requests></ExecuteRequestMsg>'
        return soap(world.client, "Execute", body, user=world.user)[1]

    reply = execute(
        ("SubscriberKey", PEOPLE[0]), ("JobID", job), ("ListID", list_id), ("Reason", "too many")
    )
    assert text(reply, "p:OverallStatus") == "OK"
    assert text(reply, "p:Results/p:StatusMessage") == "Event posted"
    members = ok(
        world,
        "Retrieve",
        retrieve(
            "ListSubscriber",
            ["SubscriberKey", "Status"],
            simple_filter("Status", "equals", "Unsubscribed"),
        ),
    )
    assert texts(members, "p:Results/p:SubscriberKey") == [PEOPLE[0]]
    subscriber = ok(
        world,
        "Retrieve",
        retrieve("Subscriber", ["Status"], simple_filter("SubscriberKey", "equals", PEOPLE[0])),
    )
    assert texts(subscriber, "p:Results/p:Status") == ["Active"]  # only from the list

    reply = execute(("EmailAddress", PEOPLE[1]), ("SubscriberID", ids[PEOPLE[1]]), ("JobID", job))
    assert text(reply, "p:Results/p:StatusCode") == "OK"
    subscriber = ok(
        world,
        "Retrieve",
        retrieve("Subscriber", ["Status"], simple_filter("SubscriberKey", "equals", PEOPLE[1])),
    )
    assert texts(subscriber, "p:Results/p:Status") == ["Unsubscribed"]

    unsubs = ok(
        world,
        "Retrieve",
        retrieve(
            "UnsubEvent",
            ["SubscriberKey", "IsMasterUnsubscribed", "List.ID"],
            simple_filter("SendID", "equals", job),
        ),
    )
    assert texts(unsubs, "p:Results/p:SubscriberKey") == list(PEOPLE)
    assert texts(unsubs, "p:Results/p:IsMasterUnsubscribed") == ["false", "true"]
    assert texts(unsubs, "p:Results/p:List/p:ID") == [list_id]

    for params, message in (
        ((("JobID", job),), "LogUnsubEvent needs a SubscriberID, SubscriberKey or EmailAddress."),
        ((("SubscriberKey", "nobody"),), "No subscriber has the SubscriberKey nobody."),
        ((("SubscriberKey", PEOPLE[0]), ("EmailAddress", PEOPLE[1])), "name different subscribers"),
    ):
        reply = execute(*params)
        assert text(reply, "p:OverallStatus") == "Error"
        assert message in text(reply, "p:Results/p:StatusMessage")
    body = f'<ExecuteRequestMsg xmlns="{PARTNER}"><Requests><Name>ReplayTheWorld</Name></Requests></ExecuteRequestMsg>'
    reply = soap(world.client, "Execute", body, user=world.user)[1]
    assert "is not supported; Sendwell runs LogUnsubEvent" in text(
        reply, "p:Results/p:StatusMessage"
    )
