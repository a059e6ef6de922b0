"""Injected faults as real clients see them: zeep (strict) for the SOAP kinds, requests (the
HTTP library FuelSDK's REST and token calls use) for the REST and token kinds.

Usage: ``python zeep_faults.py WORKDIR``, inside a network namespace with only loopback. The
operator's switch (SENDWELL_FAULT_INJECTION) is turned on for this server's fault book, and each
fault is added through the service the admin API uses, for the next call only.
"""

from __future__ import annotations

import time
from typing import Any

import harness
import requests
from lxml import etree
from zeep import Client
from zeep.exceptions import Fault, TransportError
from zeep.helpers import serialize_object
from zeep.wsse.username import UsernameToken

from sendwell.domain.faults import fault_spec
from sendwell.services import faults


def inject(server: harness.Server, **asked: Any) -> None:
    target, kind = asked.pop("target"), asked.pop("kind")
    faults.add(server.engine, True, server.mid, fault_spec(target, kind, count=1, **asked))
    server.recorder.app.state.faults.expire()


def caught(call: Any) -> dict[str, Any]:
    started = time.monotonic()
    try:
        value = call()
    except Fault as fault:
        return {"raised": "Fault", "message": fault.message, "code": fault.code}
    except TransportError as exc:
        return {"raised": "TransportError", "status": exc.status_code}
    return {
        "raised": None,
        "value": serialize_object(value, dict),
        "seconds": time.monotonic() - started,
    }


def recipe(server: harness.Server, result: dict[str, Any]) -> None:
    server.recorder.app.state.faults.enabled = True  # the operator's SENDWELL_FAULT_INJECTION
    client = Client(
        server.base + "/etframework.wsdl", wsse=UsernameToken(server.username, server.password)
    )
    Email = client.get_type("ns0:Email")

    def retrieve() -> Any:
        return client.service.Retrieve(RetrieveRequest={"ObjectType": "Send", "Properties": ["ID"]})

    def create() -> Any:
        return client.service.Create(
            Options={}, Objects=[Email(Name="x", Subject="y", HTMLBody="<p>z</p>")]
        )

    inject(server, target="soap", kind="soap_fault", message="Server busy (injected)")
    result["soap_fault"] = caught(retrieve)
    inject(
        server,
        target="soap",
        kind="object_error",
        code=310007,
        message="Row invalid (injected)",
        match="Create",
    )
    result["object_error"] = caught(create)
    inject(
        server, target="soap", kind="object_error", message="Not now (injected)", match="Retrieve"
    )
    result["retrieve_error"] = caught(retrieve)
    inject(server, target="soap", kind="server_error")
    result["server_error"] = caught(retrieve)
    inject(server, target="soap", kind="rate_limit", retry_after=5)
    result["rate_limit"] = caught(retrieve)
    inject(server, target="soap", kind="delay", delay_ms=700)
    result["delay"] = caught(retrieve)

    token_body = {
        "grant_type": "client_credentials",
        "client_id": server.client_id,
        "client_secret": server.client_secret,
    }
    token = requests.post(server.base + "/v2/token", json=token_body, timeout=10).json()[
        "access_token"
    ]
    bare = Client(server.base + "/etframework.wsdl")
    header = etree.Element("{http://exacttarget.com}fueloauth")
    header.text = token
    inject(server, target="soap", kind="token_expired")
    result["token_expired_soap"] = caught(
        lambda: bare.service.Retrieve(
            RetrieveRequest={"ObjectType": "Send", "Properties": ["ID"]}, _soapheaders=[header]
        )
    )

    auth = {"Authorization": f"Bearer {token}"}
    url = server.base + "/platform/v1/tokenContext"
    for kind in ("token_expired", "rate_limit", "server_error"):
        inject(server, target="rest", kind=kind, retry_after=9 if kind == "rate_limit" else None)
        reply = requests.get(url, headers=auth, timeout=10)
        result[f"rest_{kind}"] = {
            "status": reply.status_code,
            "headers": dict(reply.headers),
            "body": reply.json(),
        }
    result["rest_after"] = requests.get(url, headers=auth, timeout=10).status_code
    inject(server, target="token", kind="rate_limit", retry_after=4)
    reply = requests.post(server.base + "/v2/token", json=token_body, timeout=10)
    result["token_rate_limit"] = {
        "status": reply.status_code,
        "retry_after": reply.headers.get("retry-after"),
        "body": reply.json(),
    }
    result["log"] = [r.what for r in faults.history(server.engine, server.mid)]


if __name__ == "__main__":
    harness.run(recipe)
