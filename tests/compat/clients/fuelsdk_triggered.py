"""FuelSDK-Python's ET_TriggeredSend against Sendwell, delivering to a real SMTP server.

Usage: ``python fuelsdk_triggered.py WORKDIR``, inside a network namespace with only loopback.

Everything goes through the SDK (``/v2/token`` + ``fueloauth``): ``ET_Email.post`` makes an
email with AMPscript, ``ET_Subscriber.post`` an unsubscribed subscriber, ``ET_TriggeredSend``
creates the definition (``post``), starts and pauses it (``patch`` of TriggeredSendStatus),
reads it (``get``), sends (``send()``: SOAP Create of TriggeredSend with Subscribers and
Attributes) and deletes it, in the order of the SDK's own objsamples/sample_triggeredsend.py.
The open pixel, a tracked link and the one-click unsubscribe of a delivered message are then
hit over HTTP as a mail client would, and the events are read back with ET_SentEvent,
ET_OpenEvent, ET_ClickEvent, ET_UnsubEvent and Retrieves of NotSentEvent and
TriggeredSendSummary.
"""

from __future__ import annotations

import re
import sys
import time
import uuid
from typing import Any

import harness
import requests
from suds_json import outcome

KEY = "order-confirmation-tsd"
HTML = (
    '<p>%%[ SET @n = Uppercase(AttributeValue("FirstName")) ]%%Hi %%=v(@n)=%%, '
    '<a href="https://shop.example.test/orders">your order</a> %%OrderNo%% ships today.</p>'
)
TEXT = "Hi %%FirstName%%, order %%OrderNo%% ships today."
SUMMARY = ["CustomerKey", "Sent", "Queued", "Opens", "UniqueOpens", "Clicks", "OptOuts"]
SUMMARY += ["NotSentDueToOptOut", "NotSentDueToUndeliverable"]
EVENT = ["SendID", "SubscriberKey", "EventDate", "EventType", "TriggeredSendDefinitionObjectID"]


def subscriber(email: str, key: str, first: str, **extra: Any) -> dict[str, Any]:
    return {
        "EmailAddress": email,
        "SubscriberKey": key,
        "Attributes": [{"Name": "FirstName", "Value": first}],
        **extra,
    }


def delivered(server: harness.Server) -> list[dict[str, Any]]:
    """What the SMTP server received: envelope, headers, text and HTML parts."""
    out = []
    for m in server.extra["smtp"].messages:
        html = m.message.get_body(("html",))
        out.append(
            {
                "mail_from": m.mail_from,
                "rcpt_to": m.rcpt_to,
                "from": str(m.message["From"]),
                "subject": str(m.message["Subject"]),
                "list_unsubscribe": str(m.message.get("List-Unsubscribe", "")),
                **harness.summarise(m.message),
                "html": html.get_content() if html is not None else None,
            }
        )
    return out


def tracking_path(html: str, kind: str) -> str:
    """The path of a message's open pixel (``o``) or first tracked link (``c``)."""
    found = re.search(rf'(?:src|href)="https?://[^/"]+(/t/{kind}/[^"]+)"', html)
    assert found, f"no /t/{kind}/ URL in {html!r}"
    return found[1]


def recipe(server: harness.Server, result: dict[str, Any]) -> None:
    import FuelSDK

    workdir = sys.argv[1]
    client = FuelSDK.ET_Client(
        params={
            "clientid": server.client_id,
            "clientsecret": server.client_secret,
            "defaultwsdl": server.base + "/etframework.wsdl",
            "wsdl_file_local_loc": f"{workdir}/fuelsdk-wsdl.xml",
            "baseapiurl": server.base,
            "useOAuth2Authentication": "True",
            "authenticationurl": server.base,
            "accountId": str(server.mid),
        }
    )

    def sdk(cls: Any, obj_type: str | None = None, **attrs: Any) -> Any:
        obj = cls()
        obj.auth_stub = client
        if obj_type:
            obj.obj_type = obj_type
        for name, value in attrs.items():
            setattr(obj, name, value)
        return obj

    email = sdk(FuelSDK.ET_Email, props={"CustomerKey": "order-email", "Name": "Order"})
    email.props.update(Subject="Order %%OrderNo%% for %%FirstName%%", HTMLBody=HTML, TextBody=TEXT)
    result["email_post"] = outcome(email.post())
    email_id = result["email_post"]["results"][0]["NewID"]
    gone = {"EmailAddress": "gone@example.test", "SubscriberKey": "k-gone"}
    unsub = sdk(FuelSDK.ET_Subscriber, props={**gone, "Status": "Unsubscribed"})
    result["unsubscribed_post"] = outcome(unsub.post())

    def tsd(**attrs: Any) -> Any:
        return sdk(FuelSDK.ET_TriggeredSend, **attrs)

    by_key = {"Property": "CustomerKey", "SimpleOperator": "equals", "Value": KEY}
    props = ["CustomerKey", "Name", "TriggeredSendStatus", "ObjectID"]
    created = tsd(
        props={
            "CustomerKey": KEY,
            "Name": "Order confirmation",
            "Email": {"ID": email_id},
            "SendClassification": {"CustomerKey": "Default Commercial"},
        }
    ).post()
    result["tsd_post"] = outcome(created)
    result["get_all"] = outcome(tsd(props=props).get())
    result["send_new"] = outcome(
        tsd(
            props={"CustomerKey": KEY}, subscribers=[subscriber("x@example.test", "k-x", "X")]
        ).send()
    )

    # The sample's order: pause, read it back, start, read it back, send.
    def patch(status: str, key: str = KEY) -> dict[str, Any]:
        return outcome(tsd(props={"CustomerKey": key, "TriggeredSendStatus": status}).patch())

    def read(key: str = KEY) -> dict[str, Any]:
        f = {**by_key, "Value": key}
        return outcome(tsd(props=props, search_filter=f).get())

    result["pause"] = patch("Inactive")
    result["get_paused"] = read()
    ann = subscriber("ann@example.test", "k-ann", "Ann")
    order = [{"Name": "OrderNo", "Value": "1001"}]
    result["send_paused"] = outcome(
        tsd(props={"CustomerKey": KEY}, subscribers=[ann], attributes=order).send()
    )
    time.sleep(1.2)  # workers poll every 0.5 s: a paused definition must not mail
    result["delivered_while_paused"] = len(server.extra["smtp"].messages)
    summary = sdk(FuelSDK.ET_CUDSupport, "TriggeredSendSummary")
    result["summary_paused"] = outcome(summary.get(SUMMARY, by_key))
    result["start"] = patch("Active")
    result["get_started"] = read()
    harness.wait_for(lambda: len(server.extra["smtp"].messages) == 1, timeout=20)

    owner = {"FromName": "Ops Desk", "FromAddress": "ops@example.test"}
    batch = [
        subscriber("bob@example.test", "k-bob", "Bob", Owner=owner),
        subscriber(gone["EmailAddress"], gone["SubscriberKey"], "Gone"),
        subscriber("invalid.com", "k-bad", "Bad"),
    ]
    result["send_active"] = outcome(
        tsd(
            props={"CustomerKey": KEY},
            subscribers=batch,
            attributes=[{"Name": "OrderNo", "Value": "1002"}],
        ).send()
    )
    harness.wait_for(lambda: len(server.extra["smtp"].messages) == 2, timeout=20)
    time.sleep(0.6)  # nothing more may come (the unsubscribed and the bad address)
    messages = delivered(server)
    result["delivered"] = messages

    # Tracking, as a mail client would: Ann opens twice and clicks; Bob unsubscribes.
    by_rcpt = {m["rcpt_to"][0]: m for m in messages}
    ann_html = by_rcpt["ann@example.test"]["html"]
    pixel = server.base + tracking_path(ann_html, "o")
    result["opens_http"] = [requests.get(pixel, timeout=10).status_code for _ in range(2)]
    click = requests.get(
        server.base + tracking_path(ann_html, "c"), allow_redirects=False, timeout=10
    )
    result["click_http"] = {"status": click.status_code, "location": click.headers.get("location")}
    one_click = re.search(
        r"<https?://[^/>]+(/t/u/[^>]+)>", by_rcpt["bob@example.test"]["list_unsubscribe"]
    )
    assert one_click, by_rcpt["bob@example.test"]["list_unsubscribe"]
    unsubscribe = requests.post(
        server.base + one_click[1], data={"List-Unsubscribe": "One-Click"}, timeout=10
    )
    result["unsubscribe_http"] = unsubscribe.status_code

    object_id = result["get_started"]["results"][0]["ObjectID"]
    by_definition = {
        "Property": "TriggeredSendDefinitionObjectID",
        "SimpleOperator": "equals",
        "Value": object_id,
    }
    for name, cls, fields in (
        ("sent_events", FuelSDK.ET_SentEvent, [*EVENT, "BatchID"]),
        ("open_events", FuelSDK.ET_OpenEvent, EVENT),
        ("click_events", FuelSDK.ET_ClickEvent, [*EVENT, "URL"]),
        ("unsub_events", FuelSDK.ET_UnsubEvent, EVENT),
    ):
        result[name] = outcome(sdk(cls).get(fields, by_definition))
    not_sent = sdk(FuelSDK.ET_CUDSupport, "NotSentEvent")
    result["not_sent_events"] = outcome(not_sent.get(["SubscriberKey", "EventType"], by_definition))
    result["summary"] = outcome(summary.get(SUMMARY, by_key))
    # Bob unsubscribed: a commercial definition refuses him now.
    bob_again = [subscriber("bob@example.test", "k-bob", "Bob")]
    result["send_unsubscribed_bob"] = outcome(
        tsd(props={"CustomerKey": KEY}, subscribers=bob_again, attributes=order).send()
    )

    # The sample's create-then-delete, with a key that is never reused; Canceled on the way.
    other = str(uuid.uuid4())
    result["other_post"] = outcome(
        tsd(
            props={
                "CustomerKey": other,
                "Name": other,
                "Email": {"ID": email_id},
                "SendClassification": {"CustomerKey": "Default Commercial"},
            }
        ).post()
    )
    result["other_start"] = patch("Active", other)
    result["other_cancel"] = patch("Canceled", other)
    result["other_restart"] = patch("Active", other)
    result["other_send_canceled"] = outcome(
        tsd(
            props={"CustomerKey": other}, subscribers=[subscriber("c@example.test", "k-c", "C")]
        ).send()
    )
    result["other_delete"] = outcome(tsd(props={"CustomerKey": other}).delete())
    result["other_after_delete"] = read(other)
    result["other_delete_again"] = outcome(tsd(props={"CustomerKey": other}).delete())
    result["other_send_deleted"] = outcome(
        tsd(
            props={"CustomerKey": other}, subscribers=[subscriber("d@example.test", "k-d", "D")]
        ).send()
    )
    time.sleep(0.6)
    result["delivered_at_end"] = len(server.extra["smtp"].messages)
    # No properties: the SDK asks Describe TriggeredSendDefinition, then Retrieves every
    # retrievable property.
    result["get_described"] = outcome(tsd().get())
    result["soap_actions"] = [r.soapaction for r in server.recorder.records if r.soapaction]


if __name__ == "__main__":
    harness.run(recipe, smtp=True)
