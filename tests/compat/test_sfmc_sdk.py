"""sfmc-sdk 2.1.2 (npm; the most used maintained Node SDK) driving the REST Send API.

The SDK is installed with ``npm ci`` from ``tests/compat/node/package-lock.json`` into a temp dir
(outside the namespace: it needs the npm registry), or taken from ``SENDWELL_COMPAT_NODE_DIR``
when that names a folder where this was done already. Without node >= 18 or npm, or when the
install fails, the tests skip with the reason (a failure under ``SENDWELL_REQUIRE_ALL_TESTS=1``).

Then, in a network namespace with only loopback: ``node_recipe`` below starts Sendwell (the
harness: demo account, SMTP recorder), imports the CRM folder of the Send API tests, and runs
``clients/sfmc_sdk_send.mjs``, which gets a token, reads the look-ups (``rest.get`` and the
paging ``rest.getBulk``), creates a definition with a Campaign target and a Contact exclusion,
schedules it, polls the instance until Complete, reads the definition back and the job as a SOAP
``Send`` (``soap.retrieve``), and goes down the error paths.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from tests.integration.send_api_support import CAMPAIGN, C

from sendwell.domain.salesforce_ids import to18
from sendwell.services.demo import DEMO_MID
from sendwell.store.tables import objects

from .netns import CLIENTS, ClientRun, npm_install, run_argv
from .test_pysfmc import expected_audience

NODE_PACKAGE = Path(__file__).parent / "node"
NODE_MARKER = "NODE-RESULT "  # as in clients/sfmc_sdk_send.mjs
# Inside the namespace: put clients/ on sys.path, then let the harness run node_recipe.
BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); import harness; "
    "from tests.compat.test_sfmc_sdk import node_recipe; harness.run(node_recipe, smtp=True)"
)
_cache: dict[str, Any] = {}


def node_recipe(server: Any, result: dict[str, Any]) -> None:
    """Runs inside the namespace (``harness.run``): CRM data, then the node script."""
    from tests.integration.send_api_support import write_crm

    from sendwell.services.salesforce.crm_import import import_folder

    workdir, sdk_dir = Path(sys.argv[1]), Path(sys.argv[2])
    crm = workdir / "crm"
    write_crm(crm)
    result["crm_import"] = import_folder(server.engine, server.mid, crm)
    env = {
        **os.environ,
        "SENDWELL_BASE": server.base,
        "SFMC_CLIENT_ID": server.client_id,
        "SFMC_CLIENT_SECRET": server.client_secret,
        "SFMC_ACCOUNT_ID": str(server.mid),
        "SFMC_SDK_DIR": str(sdk_dir),
        "CRM_CAMPAIGN": CAMPAIGN,
        "CRM_EXCLUDED_CONTACT": C[2],
    }
    proc = subprocess.run(
        ["node", str(CLIENTS / "sfmc_sdk_send.mjs")],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    result["node_stderr"] = proc.stderr[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(NODE_MARKER)]
    if not lines:
        raise RuntimeError(
            f"node printed no result (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n"
            f"{proc.stderr[-3000:]}"
        )
    node = json.loads(lines[-1][len(NODE_MARKER) :])
    error = node.pop("error", None)
    result.update(node)
    result["smtp"] = [
        {"mail_from": m.mail_from, "rcpt_to": m.rcpt_to} for m in server.extra["smtp"].messages
    ]
    if error:
        raise RuntimeError(f"the sfmc-sdk recipe failed: {error}")


def install_sfmc_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose node_modules holds the locked sfmc-sdk; skips when that cannot be had.
    Installed once per session (other compat files use it too)."""
    if "node_dir" not in _cache:
        _cache["node_dir"] = _install_sfmc_sdk(tmp_path_factory)
    return _cache["node_dir"]


def _install_sfmc_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return npm_install(tmp_path_factory, NODE_PACKAGE, "SENDWELL_COMPAT_NODE_DIR", "sfmc-sdk")


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _cache:
        sdk_dir = install_sfmc_sdk(tmp_path_factory)
        workdir = tmp_path_factory.mktemp("sfmc-sdk")
        argv = [sys.executable, "-c", BOOT, str(CLIENTS), str(workdir), str(sdk_dir)]
        _cache["run"] = run_argv(argv, workdir, "the sfmc-sdk run", timeout=180)
    return _cache["run"]


@pytest.fixture
def audience(run: ClientRun) -> dict[str, Any]:
    excluded = {e["Id"] for e in run["definition_sent"]["Exclusions"]}
    return expected_audience(run.workdir / "crm", CAMPAIGN, excluded)


def test_token_reply_drives_every_url(run: ClientRun) -> None:
    assert run["sdk_version"] == "2.1.2"
    token = run["token"]
    assert token["rest_instance_url"] == token["soap_instance_url"] == run["base"] + "/"
    assert token["scope"]
    assert run.requests()[0] == "POST /v2/token -> 200"


def test_lookups_find_the_demo_email_and_classification(run: ClientRun) -> None:
    engine = create_engine(f"sqlite:///{run.workdir}/sendwell.db")
    with engine.connect() as conn:
        stored = {
            (r.type, r.customer_key): r.id
            for r in conn.execute(
                select(objects.c.type, objects.c.customer_key, objects.c.id).where(
                    objects.c.mid == DEMO_MID
                )
            )
        }
    engine.dispose()
    assert run["lookups"] == {
        "EmailId": stored[("Email", "demo_newsletter")],
        "SendClassificationId": stored[("SendClassification", "Default Commercial")],
    }
    # getBulk stopped after one page: the demo's newsletter and its order confirmation.
    assert run["bulk_asset_keys"] == ["demo_newsletter", "demo_order"]
    assert "GET /asset/v1/content/assets?$pageSize=50&$page=1 -> 200" in run.requests()


def test_create_schedule_and_poll_to_complete(run: ClientRun, audience: dict[str, Any]) -> None:
    assert run["create"]["IsError"] is False and run["create"]["DefinitionId"].isdigit()
    assert run["schedule"]["IsError"] is False and run["schedule"]["InstanceId"].isdigit()
    status = run["status"]
    assert status["Status"] == "Complete", status
    assert status["IsError"] is False and status["isError"] is False
    polled = run["polled_statuses"]
    assert set(polled[:-1]) <= {"Scheduled", "Processing", "Sending"} and polled[-1] == "Complete"
    count = len(audience["recipients"])
    assert status["NumberSent"] == status["NumberTargeted"] == count == 3
    assert status["NumberExcluded"] == audience["excluded"]
    assert status["ExistingUnsubscribes"] == audience["unsubscribed"]
    assert status["InvalidAddresses"] == audience["invalid"]
    assert status["Duplicates"] == audience["duplicates"]


def test_messages_reached_exactly_the_campaign_audience(
    run: ClientRun, audience: dict[str, Any]
) -> None:
    delivered = run["smtp"]
    assert sorted(r.lower() for m in delivered for r in m["rcpt_to"]) == sorted(
        audience["recipients"]
    )
    assert len(delivered) == run["status"]["NumberSent"]
    assert {m["mail_from"] for m in delivered} == {"news@sendwell.local"}


def test_definition_reads_back_as_created(run: ClientRun) -> None:
    got = run["definition"]["EmailDefinition"]
    assert got["DefinitionId"] == run["create"]["DefinitionId"]
    assert got["EmailId"] == run["lookups"]["EmailId"]
    assert got["Targets"] == [{"Type": "Campaign", "Name": "Spring", "Id": to18(CAMPAIGN)}]
    assert got["Exclusions"] == [{"Type": "Contact", "Name": "Carl", "Id": to18(C[2])}]


def test_the_job_is_a_soap_send_for_the_sdk_soap_client(run: ClientRun) -> None:
    """``soap.retrieve('Send')`` with a filter on the instance's JobId (the SOAP Send ID)."""
    got = run["soap_send"]
    assert got["threw"] is None, got
    reply = got["returned"]
    assert reply["OverallStatus"] == "OK"
    (send,) = reply["Results"]
    assert str(send["ID"]) == str(run["status"]["JobId"])
    assert send["Status"] == "Complete"
    assert int(send["NumberSent"]) == run["status"]["NumberSent"]


def test_unknown_definition_is_the_send_api_envelope(run: ClientRun) -> None:
    got = run["unknown_definition"]
    assert got["threw"] is None, got
    assert got["returned"]["IsError"] is True
    assert got["returned"]["Message"] == (
        "Error retrieving integrated send definition: Unable to find a salesforce email send "
        f"definition with the Id 987654321 for mid {DEMO_MID}"
    )


def test_unknown_route_is_a_rest_error_with_message_and_errorcode(run: ClientRun) -> None:
    got = run["unknown_route"]
    assert (got["threw"], got["status"]) == ("RestError", 404), got
    assert (got["message"], got["code"]) == ("Service Not Found", 10000)


def test_wrong_secret_is_a_rest_error_from_the_oauth_body(run: ClientRun) -> None:
    """sfmc-sdk reads OAuth's ``error_description``/``error`` into message/code."""
    got = run["wrong_secret"]
    assert (got["threw"], got["status"], got["code"]) == ("RestError", 401, "invalid_client")
    assert got["message"] == got["body"]["error_description"]


def test_a_rejected_token_is_refreshed_once_and_the_call_repeated(run: ClientRun) -> None:
    assert run["stale_token"] == {"threw": None, "message": None, "count": 2}
    requests = run.requests()
    rejected = requests.index("GET /sendwell/v1/sendclassifications -> 401")
    assert requests[rejected + 1 : rejected + 3] == [
        "POST /v2/token -> 200",
        "GET /sendwell/v1/sendclassifications -> 200",
    ]


def test_the_server_logged_no_errors(run: ClientRun) -> None:
    run.check()
    assert "Traceback" not in run.stderr, run.stderr[-4000:]
