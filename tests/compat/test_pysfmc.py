"""pysfmc 0.1.4 (httpx + pydantic, written by nobody here) driving the REST Send API.

One run of ``clients/pysfmc_send.py`` in a network namespace with only loopback. The only change
made to pysfmc is a ``SFMCSettings`` subclass whose ``auth_base_url`` is the local server; the
token (``POST /v2/token``), the REST base (the reply's ``rest_instance_url``), the Bearer header,
JSON bodies and the mapping of HTTP errors to exceptions are pysfmc's own. Sendwell runs with the
demo account, the CRM folder of the Send API tests (``write_crm``) imported for MID 100001, and
delivers over ``smtp://`` to an aiosmtpd recorder in the same namespace.

Recipients are computed here from the CSV files the run imported (campaign members, minus the
excluded contact, minus opted-out people and people without an address, deduplicated by email),
not from anything Sendwell reports.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from tests.integration.send_api_support import BASE, CAMPAIGN, C

from sendwell.domain.salesforce_ids import to18
from sendwell.services.demo import DEMO_MID
from sendwell.store.tables import objects

from .netns import ClientRun, run_client

_runs: dict[str, ClientRun] = {}
UNKNOWN = "987654321"  # the definition and instance id the error paths ask for


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _runs:
        _runs["run"] = run_client("pysfmc_send.py", tmp_path_factory.mktemp("pysfmc"))
    return _runs["run"]


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def expected_audience(folder: Path, campaign: str, excluded: set[str]) -> dict[str, Any]:
    """The campaign's audience as the CSV files define it, with the counts of each drop."""
    people = {r["Id"]: r for name in ("contacts.csv", "leads.csv") for r in rows(folder, name)}
    members = [
        r["ContactId"] or r["LeadId"]
        for r in rows(folder, "campaign_members.csv")
        if r["CampaignId"] == campaign
    ]
    kept = [p for p in members if p not in excluded]
    opted_out = [p for p in kept if people[p]["HasOptedOutOfEmail"].lower() == "true"]
    reachable = [p for p in kept if p not in opted_out]
    no_email = [p for p in reachable if not people[p]["Email"].strip()]
    recipients: dict[str, dict[str, str]] = {}  # lower-cased address -> first person with it
    for person in reachable:
        if person not in no_email:
            recipients.setdefault(people[person]["Email"].lower(), people[person])
    return {
        "recipients": recipients,
        "excluded": len(members) - len(kept),
        "unsubscribed": len(opted_out),
        "invalid": len(no_email),
        "duplicates": len(reachable) - len(no_email) - len(recipients),
    }


@pytest.fixture
def audience(run: ClientRun) -> dict[str, Any]:
    excluded = {e["Id"] for e in run["definition_sent"]["Exclusions"]}
    return expected_audience(run.workdir / "crm", CAMPAIGN, excluded)


def test_token_and_rest_base_come_from_sendwell(run: ClientRun) -> None:
    """pysfmc parsed the token reply with its pydantic model (``scope`` and both instance URLs
    are required there), took the REST base from ``rest_instance_url`` and reused the token."""
    assert run["rest_base"] == run["base"] + "/"
    requests = run.requests()
    assert requests[0] == "POST /v2/token -> 200"
    assert requests.count("POST /v2/token -> 200") == 1  # one token for the whole session


def test_lookups_find_the_demo_email_and_classification(run: ClientRun) -> None:
    """``get`` on both look-ups, and pysfmc's typed ``assets.query.get_assets``, yield the ids
    Sendwell stores for the demo email and ``Default Commercial``."""
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
    email_id = stored[("Email", "demo_newsletter")]
    classification_id = stored[("SendClassification", "Default Commercial")]
    assert run["lookups"] == {"EmailId": email_id, "SendClassificationId": classification_id}

    typed = run["typed_assets"]
    # The demo's emails: its newsletter and the order confirmation of its single sends.
    assert typed["type"] == "AssetResponse" and typed["count"] == 2
    (asset,) = [a for a in typed["items"] if a["customer_key"] == "demo_newsletter"]
    assert asset["type"] == "Asset" and asset["customer_key"] == "demo_newsletter"
    assert asset["legacy"]["legacyId"] == email_id
    assert "GET /asset/v1/content/assets?%24page=1&%24pageSize=50 -> 200" in run.requests()


def test_create_schedule_and_poll_to_complete(run: ClientRun, audience: dict[str, Any]) -> None:
    created = run["create"]
    assert created["IsError"] is False
    assert created["DefinitionId"].isdigit() and created["ExternalKey"]
    assert f"POST {BASE} -> 201" in run.requests()

    scheduled = run["schedule"]
    assert scheduled["IsError"] is False and scheduled["InstanceId"].isdigit()

    status = run["status"]
    assert status["Status"] == "Complete", status
    assert status["IsError"] is False and status["isError"] is False
    assert status["InstanceId"] == scheduled["InstanceId"]
    assert status["DefinitionId"] == created["DefinitionId"]
    assert status["JobId"] > 0 and status["SyncId"] > 0
    polled = run["polled_statuses"]
    assert set(polled[:-1]) <= {"Scheduled", "Processing", "Sending"} and polled[-1] == "Complete"

    count = len(audience["recipients"])
    assert status["NumberSent"] == status["NumberTargeted"] == count == 3
    assert status["NumberErrored"] == 0
    assert status["NumberExcluded"] == audience["excluded"] == 1
    assert status["ExistingUnsubscribes"] == audience["unsubscribed"]
    assert status["InvalidAddresses"] == audience["invalid"] == 1
    assert status["Duplicates"] == audience["duplicates"]

    (listed,) = run["instances"]["Instances"]
    assert listed["InstanceId"] == scheduled["InstanceId"] and listed["Status"] == "Complete"
    assert listed["NumberSent"] == count


def test_the_first_complete_status_has_its_completed_date(run: ClientRun) -> None:
    assert run["status"]["CompletedDate"] is not None, run["status"]


def test_messages_reached_exactly_the_campaign_audience(
    run: ClientRun, audience: dict[str, Any]
) -> None:
    """Campaign members minus the excluded contact, the opted-out and the address-less, one
    message each over SMTP, personalised from the CRM record and tied to the instance's job."""
    expected = audience["recipients"]
    delivered = run["smtp"]
    assert sorted(r.lower() for m in delivered for r in m["rcpt_to"]) == sorted(expected)
    assert len(delivered) == run["status"]["NumberSent"]
    excluded = {e["Id"] for e in run["definition_sent"]["Exclusions"]}
    assert excluded == {C[2]}
    job = run["status"]["JobId"]
    for message in delivered:
        (rcpt,) = message["rcpt_to"]
        person = expected[rcpt.lower()]
        assert person["Id"] not in excluded
        # The demo email through Default Commercial's sender profile.
        assert message["mail_from"] == "news@sendwell.local"
        assert message["from"] == "Sendwell Demo <news@sendwell.local>"
        assert message["subject"].startswith(f"{person['FirstName']}, your points in")
        assert f"Hello {person['FirstName']}!" in message["text"]
        assert f"(subscriber {to18(person['Id'])}, job {job})" in message["text"]


def test_definition_reads_back_as_created(run: ClientRun) -> None:
    sent = run["definition_sent"]
    reply = run["definition"]
    assert reply["IsError"] is False
    got = reply["EmailDefinition"]
    assert got["DefinitionId"] == run["create"]["DefinitionId"]
    assert got["ExternalKey"] == run["create"]["ExternalKey"]
    assert got["Name"] == sent["Name"]
    assert got["EmailId"] == run["lookups"]["EmailId"]
    assert str(got["SendClassificationId"]) == str(run["lookups"]["SendClassificationId"])
    assert got["Targets"] == [{"Type": "Campaign", "Name": "Spring", "Id": to18(CAMPAIGN)}]
    assert got["Exclusions"] == [{"Type": "Contact", "Name": "Carl", "Id": to18(C[2])}]
    assert got["EmailSubject"] == "%%FirstName%%, your points in %%City%%"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "unknown_definition",
            "Error retrieving integrated send definition: Unable to find a salesforce email "
            f"send definition with the Id {UNKNOWN} for mid {DEMO_MID}",
        ),
        (
            "unknown_instance",
            "Error retrieving integrated send instance: Unable to find a salesforce email "
            f"send instance with the Id {UNKNOWN} for mid {DEMO_MID}",
        ),
        (
            "bad_definition",
            "Error creating integrated send definition: One or more required fields are missing "
            "from this email send definition: EmailId, SendClassificationId, Targets",
        ),
    ],
)
def test_send_api_errors_come_back_as_the_envelope(run: ClientRun, case: str, message: str) -> None:
    """Send API errors answer HTTP 200 with ``{IsError: true, Message}``, so pysfmc returns the
    envelope instead of raising."""
    got = run[case]
    assert got["raised"] is None, got
    envelope = got["returned"]
    assert envelope["IsError"] is True
    assert envelope["Message"] == envelope["message"] == message
    assert isinstance(envelope["errorcode"], int)


def test_unknown_route_raises_pysfmc_not_found(run: ClientRun) -> None:
    got = run["unknown_route"]
    assert (got["raised"], got["status_code"]) == ("SFMCNotFoundError", 404), got
    assert got["message"] == "Service Not Found"  # pysfmc reads the gateway's "message"
    assert got["body"]["errorcode"] == 10000


def test_wrong_secret_raises_pysfmc_authentication_error(run: ClientRun) -> None:
    """The token request fails with OAuth's ``{error, error_description}``; pysfmc looks only
    for ``message``, so its text is the generic one, and the body is Marketing Cloud's."""
    got = run["wrong_secret"]
    assert (got["raised"], got["status_code"]) == ("SFMCAuthenticationError", 401), got
    assert got["message"] == "HTTP 401 error"
    assert got["body"]["error"] == "invalid_client" and got["body"]["error_description"]
    assert run.requests()[-1] == "POST /v2/token -> 401"


def test_the_server_logged_no_errors(run: ClientRun) -> None:
    run.check()
    assert "Traceback" not in run.stderr, run.stderr[-4000:]
