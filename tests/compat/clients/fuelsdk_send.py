"""FuelSDK-Python (salesforce-fuelsdk-sans) against Sendwell: create, start and follow a send.

Usage: ``python fuelsdk_send.py WORKDIR MODE`` with MODE ``v2`` (``/v2/token`` + ``fueloauth``)
or ``legacy`` (``/v1/requestToken`` + ``oAuth/oAuthToken`` with a ``*``/``*`` UsernameToken, and the
SOAP endpoint discovered through ``GET /platform/v1/endpoints/soap``). Run inside a network
namespace with only loopback: any hard-coded Salesforce host fails at once.

Recipe, all through the SDK (one ET_Client: suds parses the WSDL once, which takes seconds):
Retrieve the demo data extension's ObjectID, Create an EmailSendDefinition over it with
``ET_CUDSupport.post``, ``Perform start`` through the SDK's own suds client, poll ``ET_Send().get``
until the send is Complete, then ``ET_Send().get()`` without properties (Describe first).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import harness
import requests

MODE = sys.argv[2]


def plain(value: Any) -> Any:
    """A suds object (or list of them) as JSON-able dicts and lists."""
    from suds.sudsobject import Object, asdict

    if isinstance(value, Object):
        return {k: plain(v) for k, v in asdict(value).items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def recipe(server: harness.Server, result: dict[str, Any]) -> None:
    import FuelSDK

    workdir = sys.argv[1]
    params = {
        "clientid": server.client_id,
        "clientsecret": server.client_secret,
        "defaultwsdl": server.base + "/etframework.wsdl",
        "wsdl_file_local_loc": f"{workdir}/fuelsdk-wsdl.xml",
        "baseapiurl": server.base,
    }
    if MODE == "v2":
        params.update(
            useOAuth2Authentication="True",
            authenticationurl=server.base,
            accountId=str(server.mid),
        )
    else:  # no soapendpoint: the SDK asks GET /platform/v1/endpoints/soap
        params.update(
            useOAuth2Authentication="False", authenticationurl=server.base + "/v1/requestToken"
        )
    started = time.monotonic()
    client = FuelSDK.ET_Client(params=params)
    result["client_seconds"] = round(time.monotonic() - started, 2)
    result["soap_endpoint"] = client.soap_endpoint

    # The demo data extension's ObjectID, as a FuelSDK user would look it up.
    de = FuelSDK.ET_DataExtension()
    de.auth_stub = client
    got = de.get(
        ["ObjectID", "CustomerKey", "Name"],
        {"Property": "CustomerKey", "SimpleOperator": "equals", "Value": "DemoSubscribers"},
    )
    result["de_get"] = {"status": got.status, "code": got.code, "results": plain(got.results)}
    object_id = got.results[0].ObjectID

    rows = FuelSDK.ET_DataExtension_Row()
    rows.auth_stub = client
    rows.CustomerKey = "DemoSubscribers"
    rows.props = ["SubscriberKey", "EmailAddress", "FirstName", "City"]
    got = rows.get()
    result["rows_get"] = {"status": got.status, "code": got.code, "message": got.message}
    result["rows"] = [
        {p.Name: p.Value for p in row.Properties.Property} for row in (got.results or [])
    ]

    email = FuelSDK.ET_Email()
    email.auth_stub = client
    got = email.get(
        ["ID", "CustomerKey"],
        {"Property": "CustomerKey", "SimpleOperator": "equals", "Value": "demo_newsletter"},
    )
    result["email_get"] = {"status": got.status, "code": got.code, "results": plain(got.results)}
    email_id = got.results[0].ID
    result["email_id"] = email_id

    key = f"compat-fuelsdk-{MODE}"
    result["definition_key"] = key
    esd = FuelSDK.ET_CUDSupport()
    esd.obj_type = "EmailSendDefinition"
    esd.auth_stub = client
    esd.props = {
        "CustomerKey": key,
        "Name": f"FuelSDK {MODE} compatibility send",
        "Email": {"ID": email_id},
        "SendClassification": {"CustomerKey": "Default Commercial"},
        "SendDefinitionList": [
            {
                "CustomObjectID": object_id,
                "DataSourceTypeID": "CustomObject",
                "SendDefinitionListType": "SourceList",
            }
        ],
        "IsSendLogging": True,
    }
    posted = esd.post()
    result["create"] = {
        "status": posted.status,
        "code": posted.code,
        "message": posted.message,
        "results": plain(posted.results),
    }

    client.refresh_token()
    definition = client.soap_client.factory.create("EmailSendDefinition")
    definition.CustomerKey = key
    code, body = client.soap_client.service.Perform(None, "start", {"Definition": [definition]})
    result["perform"] = {"code": code, "body": plain(body)}
    task_id = body.Results.Result[0].Task.ID
    result["task_id"] = task_id

    send = FuelSDK.ET_Send()
    send.auth_stub = client
    props = ["ID", "Status", "NumberSent", "NumberTargeted", "Email.ID", "SendDate"]
    by_id = {"Property": "ID", "SimpleOperator": "equals", "Value": str(task_id)}
    polls = []

    def complete() -> Any:
        got = send.get(props, by_id)
        polls.append({"status": got.status, "code": got.code, "message": got.message})
        if not got.status or not got.results:
            return None
        row = got.results[0]
        return row if row.Status in ("Complete", "Error", "Canceled") else None

    try:
        row = harness.wait_for(complete, timeout=30)
    finally:
        result["send_polls"] = polls[-3:]
        result["send_poll_count"] = len(polls)
    result["send"] = plain(row)

    messages = requests.get(
        server.base + "/capture/v1/messages",
        params={"jobId": task_id, "pageSize": 500},
        headers={"Authorization": "Bearer " + client.authToken},
        timeout=10,
    )
    result["capture_api"] = {
        "status": messages.status_code,
        "count": messages.json().get("count"),
        "items": [
            {"rcpt_to": i["rcpt_to"], "subject": i["subject"]}
            for i in messages.json().get("items", [])
        ],
    }
    result["captured"] = server.captured(int(task_id))

    # No properties: FuelSDK issues Describe Send and asks for every IsRetrievable property.
    everything = FuelSDK.ET_Send()
    everything.auth_stub = client
    got = everything.get()
    result["send_get_all"] = {
        "status": got.status,
        "code": got.code,
        "message": got.message,
        "count": len(got.results or []),
        "ours": [
            plain(r) for r in (got.results or []) if str(getattr(r, "ID", "")) == str(task_id)
        ],
    }

    # The SOAP auth header is checked: a bad token (v2: fueloauth; legacy: oAuthToken, while the
    # REST access token stays valid and the UsernameToken is "*"/"*") is refused.
    if MODE == "v2":
        client.authToken = "not-a-valid-token"
    else:
        client.internalAuthToken = "not-a-valid-token"
    client.build_soap_client()
    request = client.soap_client.factory.create("RetrieveRequest")
    request.ObjectType = "Send"
    request.Properties = ["ID"]
    code, fault = client.soap_client.service.Retrieve(request)
    result["bad_token"] = {"code": code, "faultstring": getattr(fault, "faultstring", str(fault))}


if __name__ == "__main__":
    harness.run(recipe)
