"""FuelSDKWrapper 1.3.4's triggered sends against Sendwell, unchanged, delivering over SMTP.

Usage: ``python fuelsdkwrapper_triggered.py WORKDIR``, inside a network namespace with only
loopback and a mount namespace whose /etc/hosts maps ``www.exacttargetapis.com`` to 127.0.0.1
(``netns.run_client(hosts=...)``). ``SENDWELL_TEST_TLS_CERT`` / ``SENDWELL_TEST_TLS_KEY`` name a
certificate for that host, signed by the test's own CA, which ``REQUESTS_CA_BUNDLE`` trusts.

``send_trigger_email`` posts to the hard-coded
``https://www.exacttargetapis.com/messaging/v1/messageDefinitionSends/key:{key}/send``: Sendwell
answers it itself, on 127.0.0.1:443 over TLS (``harness.also_over_tls``), beside the plain HTTP
server every other call of the wrapper uses (its ``params`` point there). The SOAP side goes
through the wrapper too: ``create_object`` / ``update_object`` / ``delete_object`` of
``ET_TriggeredSend`` and ``get_objects`` of TriggeredSendDefinition, TriggeredSendSummary and
SentEvent, with its ``check_response`` raising on errors as it does against Marketing Cloud.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import harness
import requests
from suds_json import outcome

HOST = "https://www.exacttargetapis.com"
KEY = "password-reset"
HTML = (
    '<p>%%[ SET @code = Uppercase(AttributeValue("ResetCode")) ]%%Hello %%FirstName%%, '
    "your code is %%=v(@code)=%%.</p>"
)


def answer(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return {"status": response.status_code, "body": body, "url": response.url}


def raised(call: Any) -> dict[str, Any]:
    """The wrapper's answer, or the exception its check_response raised."""
    try:
        return {"raised": None, "outcome": outcome(call())}
    except Exception as exc:
        return {"raised": type(exc).__name__, "message": str(exc)}


def recipe(server: harness.Server, result: dict[str, Any]) -> None:
    from FuelSDKWrapper import ET_API, ObjectType, Operator, simple_filter

    workdir = sys.argv[1]
    cert, key = os.environ["SENDWELL_TEST_TLS_CERT"], os.environ["SENDWELL_TEST_TLS_KEY"]
    result["ca_bundle"] = os.environ.get("REQUESTS_CA_BUNDLE")
    api = ET_API(
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
    email = api.create_object(
        ObjectType.EMAIL,
        {
            "CustomerKey": "reset-email",
            "Name": "Password reset",
            "Subject": "Your reset code, %%FirstName%%",
            "HTMLBody": HTML,
            "TextBody": "Hello %%FirstName%%, your code is %%ResetCode%%.",
        },
    )
    email_id = email.results[0].NewID
    # An unsubscribed subscriber: a transactional classification still mails them.
    api.create_object(
        ObjectType.SUBSCRIBER,
        {"EmailAddress": "gone@example.test", "SubscriberKey": "k-gone", "Status": "Unsubscribed"},
    )
    definition = {
        "CustomerKey": KEY,
        "Name": "Password reset",
        "Email": {"ID": email_id},
        "SendClassification": {"CustomerKey": "Default Transactional"},
    }
    result["create"] = outcome(api.create_object(ObjectType.TRIGGERED_SEND, dict(definition)))
    result["create_again"] = raised(
        lambda: api.create_object(ObjectType.TRIGGERED_SEND, dict(definition))
    )
    by_key = simple_filter("CustomerKey", Operator.EQUALS, KEY)
    fields = ["CustomerKey", "Name", "TriggeredSendStatus", "ObjectID"]
    result["get_new"] = outcome(
        api.get_objects(ObjectType.TRIGGERED_SEND_DEFINITION, by_key, fields)
    )

    def trigger(address: str, subscriber_key: str, **attributes: str) -> dict[str, Any]:
        return answer(api.send_trigger_email(KEY, address, subscriber_key, attributes))

    with harness.also_over_tls(server, cert, key) as tls:
        result["send_new"] = trigger("ann@example.test", "k-ann", FirstName="Ann", ResetCode="x")
        result["start"] = outcome(
            api.update_object(
                ObjectType.TRIGGERED_SEND, {"CustomerKey": KEY}, {"TriggeredSendStatus": "Active"}
            )
        )
        result["get_active"] = outcome(
            api.get_objects(ObjectType.TRIGGERED_SEND_DEFINITION, by_key, fields)
        )
        result["sends"] = [
            trigger("ann@example.test", "k-ann", FirstName="Ann", ResetCode="ab12"),
            trigger("gone@example.test", "k-gone", FirstName="Gus", ResetCode="cd34"),
            trigger("", "k-nobody", FirstName="Nobody"),
        ]
        unknown = api.send_trigger_email("no-such-definition", "x@example.test", "k-x")
        result["send_unknown"] = answer(unknown)
        harness.wait_for(lambda: len(server.extra["smtp"].messages) == 2, timeout=20)

        # Delivery records, read as a user of the wrapper would: same host, same token.
        token = api.get_client().authToken
        records = {}
        for sent in result["sends"][:2]:
            send_id = sent["body"]["responses"][0]["recipientSendId"]
            url = f"{HOST}/messaging/v1/messageDefinitionSends/key:{KEY}/deliveryRecords/{send_id}"

            def record(url: str = url) -> Any:
                got = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
                return got if got.json().get("status") == "Sent" else None

            records[send_id] = answer(harness.wait_for(record, timeout=20))
        result["delivery_records"] = records
        result["tls_requests"] = [
            {"line": r.line(), "host": r.host, "user_agent": r.user_agent} for r in tls.records
        ]
    result["delivered"] = [
        {"mail_from": m.mail_from, "rcpt_to": m.rcpt_to, **harness.summarise(m.message)}
        for m in server.extra["smtp"].messages
    ]
    object_id = result["get_active"]["results"][0]["ObjectID"]
    result["summary"] = outcome(
        api.get_objects(
            ObjectType.TRIGGERED_SEND_SUMMARY, by_key, ["CustomerKey", "Sent", "Queued", "OptOuts"]
        )
    )
    result["sent_events"] = outcome(
        api.get_objects(
            ObjectType.SENT_EVENT,
            simple_filter("TriggeredSendDefinitionObjectID", Operator.EQUALS, object_id),
            ["SendID", "SubscriberKey", "EventType", "TriggeredSendDefinitionObjectID"],
        )
    )
    # No property list: FuelSDK's ET_TriggeredSend describes the type, then retrieves it all.
    result["get_all"] = outcome(api.get_objects(ObjectType.TRIGGERED_SEND, by_key))
    result["delete"] = outcome(api.delete_object(ObjectType.TRIGGERED_SEND, {"CustomerKey": KEY}))
    result["delete_again"] = raised(
        lambda: api.delete_object(ObjectType.TRIGGERED_SEND, {"CustomerKey": KEY})
    )


if __name__ == "__main__":
    harness.run(recipe, smtp=True)
