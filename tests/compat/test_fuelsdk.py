"""Salesforce's own Python SDK (salesforce-fuelsdk-sans, suds inside) against a real Sendwell.

Each mode runs once (``clients/fuelsdk_send.py``) in a network namespace with only loopback, so
a setting the SDK would fill with a Salesforce host makes it fail rather than leave the machine:

- ``v2``: ``useOAuth2Authentication="True"``, ``authenticationurl`` = the server. The SDK posts
  ``/v2/token``, takes ``soap_instance_url + "service.asmx"`` (lower case) from the reply and sends
  ``fueloauth`` headers.
- ``legacy``: ``authenticationurl`` = ``…/v1/requestToken`` and no ``soapendpoint``. The SDK
  posts ``/v1/requestToken?legacy=1``, asks ``GET /platform/v1/endpoints/soap`` where SOAP lives,
  and sends ``oAuth/oAuthToken`` (the legacyToken) next to a ``*``/``*`` UsernameToken.

In both: Retrieve the demo data extension, its rows and the demo email, Create an
EmailSendDefinition (``ET_CUDSupport.post``), ``Perform start`` through the SDK's suds client,
``ET_Send().get`` by the Task ID until Complete, and ``ET_Send().get()`` with no properties.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from .netns import ClientRun, run_client, run_isolated

MODES = ("v2", "legacy")
_runs: dict[str, ClientRun] = {}


def fuelsdk(mode: str, tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if mode not in _runs:
        workdir = tmp_path_factory.mktemp(f"fuelsdk-{mode}")
        _runs[mode] = run_client("fuelsdk_send.py", workdir, mode)
    return _runs[mode]


@pytest.fixture(params=MODES)
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    return fuelsdk(request.param, tmp_path_factory)


@pytest.fixture
def v2(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    return fuelsdk("v2", tmp_path_factory)


@pytest.fixture
def legacy(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    return fuelsdk("legacy", tmp_path_factory)


def soap_posts(run: ClientRun) -> list[str]:
    return [r for r in run.requests() if r.startswith("POST ") and ".asmx" in r.lower()]


def test_the_namespace_has_no_way_out(tmp_path: Path) -> None:
    """The premise of this suite: a client that misses a setting cannot reach Salesforce."""
    probe = (
        "import json, socket\n"
        "out = {}\n"
        "for name, call in (\n"
        "    ('dns', lambda: socket.getaddrinfo('webservice.exacttarget.com', 443)),\n"
        "    ('ip', lambda: socket.create_connection(('1.1.1.1', 443), timeout=3)),\n"
        "    ('loopback', lambda: socket.socket().bind(('127.0.0.1', 0))),\n"
        "):\n"
        "    try:\n"
        "        call(); out[name] = 'ok'\n"
        "    except OSError as exc:\n"
        "        out[name] = type(exc).__name__\n"
        "print(json.dumps(out))\n"
    )
    proc = run_isolated([sys.executable, "-c", probe], tmp_path, timeout=30)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["dns"] != "ok" and out["ip"] != "ok", out
    assert out["loopback"] == "ok", out


def test_create_start_and_follow_a_send(run: ClientRun) -> None:
    """The whole path a FuelSDK user takes, with every status the SDK reports checked."""
    assert run["de_get"]["status"] is True and run["de_get"]["code"] == 200
    assert [r["CustomerKey"] for r in run["de_get"]["results"]] == ["DemoSubscribers"]
    create = run["create"]
    assert (create["status"], create["code"], create["message"]) == (True, 200, "OK"), create
    assert [r["StatusCode"] for r in create["results"]] == ["OK"], create
    created = create["results"][0]["Object"]
    assert created["CustomerKey"] == run["definition_key"]
    assert created["SendDefinitionList"][0]["DataSourceTypeID"] == "CustomObject"
    assert (
        created["SendDefinitionList"][0]["CustomObjectID"]
        == run["de_get"]["results"][0]["ObjectID"]
    )

    perform = run["perform"]
    assert perform["code"] == 200 and perform["body"]["OverallStatus"] == "OK", perform
    result = perform["body"]["Results"]["Result"][0]
    assert result["StatusCode"] == "OK" and result["Task"]["StatusCode"] == "OK", result
    task_id = run["task_id"]
    assert re.fullmatch(r"\d+", str(task_id)), task_id

    send = run["send"]
    assert all(p["status"] and p["code"] == 200 for p in run["send_polls"]), run["send_polls"]
    assert send["Status"] == "Complete", send
    assert str(send["ID"]) == str(task_id)
    assert send["Email"]["ID"] == run["email_id"]
    captured = run["captured"]
    assert send["NumberSent"] == len(captured) == run["subscribers"], (send, len(captured))
    assert send["NumberTargeted"] == run["subscribers"]
    # The capture API (Bearer = the SDK's own access token) agrees with the table.
    assert run["capture_api"]["status"] == 200
    assert run["capture_api"]["count"] == len(captured)


def test_messages_are_personalised_from_the_data_extension(run: ClientRun) -> None:
    """Every recipient got one message, built from their own row (rows read with the SDK's
    ET_DataExtension_Row, i.e. Retrieve ``DataExtensionObject[Name]``)."""
    assert run["rows_get"]["status"] is True, run["rows_get"]
    rows = {r["EmailAddress"]: r for r in run["rows"]}
    assert len(rows) == run["subscribers"]
    captured = run["captured"]
    assert sorted(m["rcpt_to"] for m in captured) == sorted(rows)
    for message in captured:
        row = rows[message["rcpt_to"]]
        assert message["subject"] == f"{row['FirstName']}, your points in {row['City']}"
        assert f"Hello {row['FirstName']}!" in message["text"]
        assert f"(subscriber {row['SubscriberKey']}, job {run['task_id']})" in message["text"]
        assert "%%" not in message["subject"] + message["text"]


def test_send_get_without_properties_describes_then_retrieves_everything(run: ClientRun) -> None:
    """``ET_Send().get()``: Describe Send, then Retrieve with every IsRetrievable property; suds
    must accept both replies and the Send must come back with its counts."""
    got = run["send_get_all"]
    assert (got["status"], got["code"], got["message"]) == (True, 200, "OK"), got
    assert len(got["ours"]) == 1, got
    ours = got["ours"][0]
    assert ours["Status"] == "Complete"
    assert ours["NumberSent"] == run["subscribers"]
    assert ours["EmailSendDefinition"]["CustomerKey"] == run["definition_key"]
    assert ours["Subject"] == "%%FirstName%%, your points in %%City%%"
    actions = [r.split("SOAPAction=")[1].split(" ")[0] for r in soap_posts(run)]
    assert actions.count('"Describe"') == 1, actions
    assert actions[actions.index('"Describe"') + 1] == '"Retrieve"', actions


def test_a_bad_auth_token_is_refused(run: ClientRun) -> None:
    """The token in the SOAP header is what authenticates (the legacy ``*``/``*`` UsernameToken
    is not a way in): with a bad one the same Retrieve is a "Login failed" fault."""
    assert run["bad_token"]["code"] == 500, run["bad_token"]
    assert run["bad_token"]["faultstring"] == "Login failed", run["bad_token"]


def test_v2_uses_the_lowercase_service_asmx_from_the_token_reply(v2: ClientRun) -> None:
    base = v2["base"]
    assert v2["soap_endpoint"] == base + "/service.asmx"
    requests = v2.requests()
    assert "POST /v2/token -> 200" in requests
    assert not [r for r in requests if "requestToken" in r or "/platform/" in r], requests
    posts = soap_posts(v2)
    assert len(posts) >= 6, requests
    assert all(p.startswith("POST /service.asmx ") and p.endswith("-> 200") for p in posts[:-1])
    assert posts[-1].endswith("-> 500")  # the bad-token call


def test_legacy_discovers_the_soap_endpoint(legacy: ClientRun) -> None:
    base = legacy["base"]
    requests = legacy.requests()
    assert "POST /v1/requestToken?legacy=1 -> 200" in requests, requests
    assert "GET /platform/v1/endpoints/soap -> 200" in requests, requests
    assert requests.index("GET /platform/v1/endpoints/soap -> 200") < requests.index(
        soap_posts(legacy)[0]
    )
    assert "/v2/token" not in " ".join(requests)
    assert legacy["soap_endpoint"] == base + "/Service.asmx"
    assert all(p.startswith("POST /Service.asmx ") for p in soap_posts(legacy))
    # The SDK cached the answer in ./soap_cache_file.json: the run's own cwd, not the repo's.
    cache: dict[str, Any] = json.loads((legacy.workdir / "soap_cache_file.json").read_text())
    assert cache["url"] == base + "/Service.asmx"


def test_wsdl_and_fault_schema_come_from_sendwell(run: ClientRun) -> None:
    requests = run.requests()
    assert requests[0] == "GET /etframework.wsdl -> 200", requests
    assert "GET /ETFrameworkFault.xsd -> 200" in requests, requests
    wsdl = (run.workdir / "fuelsdk-wsdl.xml").read_text()
    assert run["base"] + "/ETFrameworkFault.xsd" in wsdl


def test_the_server_logged_no_errors(run: ClientRun) -> None:
    """Sendwell logs unexpected errors (SOAP handler, workers) with a traceback on stderr."""
    run.check()
    assert "Traceback" not in run.stderr, run.stderr[-4000:]
