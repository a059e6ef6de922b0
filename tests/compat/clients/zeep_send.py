"""zeep (strict, the default) against Sendwell's own WSDL: a send delivered over real SMTP.

Usage: ``python zeep_send.py WORKDIR``, inside a network namespace with only loopback. Sendwell
delivers with ``smtp://`` to an aiosmtpd recorder started in this process.

Recipe: ``Client(base + "/etframework.wsdl", wsse=UsernameToken(...))`` and ``client.service``
(the WSDL's soap:address), Retrieve the demo data extension and email, Create an
EmailSendDefinition, Perform start, Retrieve Send by ID until Complete, Retrieve SentEvent by
SendID; then a ``fueloauth`` token from ``/v2/token`` as a raw lxml header, a wrong password and a
wrong token (both must be zeep ``Fault``s).
"""

from __future__ import annotations

from typing import Any

import harness
import requests
from lxml import etree
from zeep import Client
from zeep.exceptions import Fault
from zeep.helpers import serialize_object
from zeep.wsse.username import UsernameToken

SEND_PROPERTIES = ["ID", "Status", "NumberSent", "NumberTargeted", "Client.ID"]


def plain(value: Any) -> Any:
    return serialize_object(value, dict)


def fault_of(call: Any) -> dict[str, Any]:
    try:
        call()
    except Fault as fault:
        return {"raised": "Fault", "message": fault.message, "code": fault.code}
    except Exception as exc:  # anything but a Fault is a finding too
        return {"raised": type(exc).__name__, "message": str(exc)}
    return {"raised": None}


def recipe(server: harness.Server, result: dict[str, Any]) -> None:
    wsdl = server.base + "/etframework.wsdl"
    client = Client(wsdl, wsse=UsernameToken(server.username, server.password))
    result["strict"] = client.settings.strict
    service = client.service
    result["service_address"] = service._binding_options["address"]

    SimpleFilterPart = client.get_type("ns0:SimpleFilterPart")
    EmailSendDefinition = client.get_type("ns0:EmailSendDefinition")

    def by(prop: str, value: str) -> Any:
        return SimpleFilterPart(Property=prop, SimpleOperator="equals", Value=[value])

    de = service.Retrieve(
        RetrieveRequest={
            "ObjectType": "DataExtension",
            "Properties": ["ObjectID", "CustomerKey", "Name"],
            "Filter": by("CustomerKey", "DemoSubscribers"),
        }
    )
    result["de_retrieve"] = {"OverallStatus": de.OverallStatus, "count": len(de.Results)}
    object_id = de.Results[0].ObjectID
    email = service.Retrieve(
        RetrieveRequest={
            "ObjectType": "Email",
            "Properties": ["ID", "CustomerKey"],
            "Filter": by("CustomerKey", "demo_newsletter"),
        }
    )
    email_id = email.Results[0].ID
    result["email_id"] = email_id

    key = "compat-zeep"
    created = service.Create(
        Options={},
        Objects=[
            EmailSendDefinition(
                CustomerKey=key,
                Name="zeep compatibility send",
                Email={"ID": email_id},
                SendClassification={"CustomerKey": "Default Commercial"},
                SendDefinitionList=[
                    {
                        "SendDefinitionListType": "SourceList",
                        "CustomObjectID": object_id,
                        "DataSourceTypeID": "CustomObject",
                    }
                ],
                IsSendLogging=True,
            )
        ],
    )
    result["create"] = {
        "OverallStatus": created.OverallStatus,
        "StatusCode": created.Results[0].StatusCode,
        "StatusMessage": created.Results[0].StatusMessage,
    }

    performed = service.Perform(
        Options={},
        Action="start",
        Definitions={"Definition": [EmailSendDefinition(CustomerKey=key)]},
    )
    perform_result = performed.Results.Result[0]
    result["perform"] = {
        "OverallStatus": performed.OverallStatus,
        "StatusCode": perform_result.StatusCode,
        "TaskStatusCode": perform_result.Task.StatusCode,
    }
    task_id = perform_result.Task.ID
    result["task_id"] = task_id

    def retrieve_send(**kwargs: Any) -> Any:
        return service.Retrieve(
            RetrieveRequest={
                "ObjectType": "Send",
                "Properties": SEND_PROPERTIES,
                "Filter": by("ID", str(task_id)),
            },
            **kwargs,
        )

    def complete() -> Any:
        got = retrieve_send()
        if got.OverallStatus != "OK" or not got.Results:
            return None
        return got if got.Results[0].Status in ("Complete", "Error", "Canceled") else None

    send = harness.wait_for(complete, timeout=30)
    result["send"] = {
        "OverallStatus": send.OverallStatus,
        "count": len(send.Results),
        "type": type(send.Results[0]).__name__,
        **plain(send.Results[0]),
    }

    recorder = server.extra["smtp"]
    result["smtp"] = [
        {"mail_from": m.mail_from, "rcpt_to": m.rcpt_to, **harness.summarise(m.message)}
        for m in recorder.messages
    ]
    # Rows are retrieved by the data extension's Name, as in Marketing Cloud (FuelSDK does too).
    de_name = de.Results[0].Name
    rows = service.Retrieve(
        RetrieveRequest={
            "ObjectType": f"DataExtensionObject[{de_name}]",
            "Properties": ["SubscriberKey", "EmailAddress", "FirstName", "City"],
        }
    )
    result["rows_retrieve"] = {"OverallStatus": rows.OverallStatus}
    result["rows"] = [
        {p.Name: p.Value for p in row.Properties.Property} for row in (rows.Results or [])
    ]

    events = service.Retrieve(
        RetrieveRequest={
            "ObjectType": "SentEvent",
            "Properties": ["SendID", "SubscriberKey", "EventType", "EventDate"],
            "Filter": by("SendID", str(task_id)),
        }
    )
    result["sent_events"] = {
        "OverallStatus": events.OverallStatus,
        "types": sorted({type(e).__name__ for e in events.Results}),
        "items": [
            {"SendID": e.SendID, "SubscriberKey": e.SubscriberKey, "EventType": e.EventType}
            for e in events.Results
        ],
    }

    # A token from /v2/token in a fueloauth header (raw lxml element), on a client without WSSE.
    token = requests.post(
        server.base + "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": server.client_id,
            "client_secret": server.client_secret,
            "account_id": str(server.mid),
        },
        timeout=10,
    ).json()
    bare = Client(wsdl)
    header = etree.Element("{http://exacttarget.com}fueloauth")
    header.text = token["access_token"]
    by_token = bare.service.Retrieve(
        RetrieveRequest={
            "ObjectType": "Send",
            "Properties": SEND_PROPERTIES,
            "Filter": by("ID", str(task_id)),
        },
        _soapheaders=[header],
    )
    result["token_retrieve"] = {
        "OverallStatus": by_token.OverallStatus,
        "items": [plain(r) for r in by_token.Results],
    }

    def retrieve_with(client_: Client, headers: Any = None) -> Any:
        return client_.service.Retrieve(
            RetrieveRequest={"ObjectType": "Send", "Properties": ["ID"]}, _soapheaders=headers
        )

    wrong = Client(wsdl, wsse=UsernameToken(server.username, server.password + "-wrong"))
    result["wrong_password"] = fault_of(lambda: retrieve_with(wrong))
    unknown = Client(wsdl, wsse=UsernameToken("nobody", server.password))
    result["unknown_user"] = fault_of(lambda: retrieve_with(unknown))
    bad = etree.Element("{http://exacttarget.com}fueloauth")
    bad.text = "not-a-valid-token"
    result["wrong_token"] = fault_of(lambda: retrieve_with(bare, [bad]))


if __name__ == "__main__":
    harness.run(recipe, smtp=True)
