"""Shared set-up for the REST Send API tests: a CRM folder, catalog objects, a token."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from tests.support import create, retrieve, soap, text

from sendwell.services.salesforce.crm_import import import_folder

BASE = "/data/v1/integration/send/salesforce/email"
C = {n: f"0030000000000{n:02d}" for n in range(1, 8)}  # 15-character Contact ids
L = {n: f"00Q0000000000{n:02d}" for n in range(1, 3)}
CAMPAIGN, REPORT = "701000000000001", "00O000000000001"


def write_crm(folder: Path) -> None:
    """Contacts and leads, a campaign and a report, with an opt-out and a shared email."""
    folder.mkdir(parents=True, exist_ok=True)

    def write(name: str, header: list[str], rows: list[list[Any]]) -> None:
        with (folder / name).open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(header)
            out.writerows(rows)

    people = ["Id", "FirstName", "LastName", "Email", "HasOptedOutOfEmail"]
    write(
        "contacts.csv",
        people,
        [
            [C[1], "Cora", "One", "cora@example.test", "false"],
            [C[2], "Carl", "Two", "carl@example.test", "false"],
            [C[3], "Cleo", "Three", "cleo@example.test", "false"],
            [C[4], "Cyd", "Four", "shared@example.test", "false"],
            [C[5], "Cass", "Five", "cass@example.test", "true"],
            [C[6], "Cole", "Six", "cole@example.test", "false"],
            [C[7], "Cy", "Seven", "", "false"],
        ],
    )
    write(
        "leads.csv",
        people,
        [
            [L[1], "Lea", "One", "lea@example.test", "false"],
            [L[2], "Lou", "Two", "SHARED@example.test", "false"],
        ],
    )
    write("campaigns.csv", ["Id", "Name"], [[CAMPAIGN, "Spring"]])
    write(
        "campaign_members.csv",
        ["CampaignId", "ContactId", "LeadId"],
        [
            [CAMPAIGN, C[1], ""],
            [CAMPAIGN, C[2], ""],
            [CAMPAIGN, C[3], ""],
            [CAMPAIGN, "", L[1]],
            [CAMPAIGN, C[7], ""],
        ],
    )
    write("reports.csv", ["Id", "Name"], [[REPORT, "Contacts"]])
    write(
        "report_rows.csv",
        ["ReportId", "ContactId", "LeadId"],
        [
            [REPORT, C[3], ""],
            [REPORT, C[4], ""],
            [REPORT, C[5], ""],
            [REPORT, "", L[2]],
        ],
    )


def setup_account(world, tmp_path: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """CRM data, an email, a classification and an override sender profile; returns ids."""
    write_crm(tmp_path / "crm")
    import_folder(world.engine, world.mid, tmp_path / "crm")
    user = world.user
    for body in (
        create(
            "SenderProfile",
            "<CustomerKey>default</CustomerKey><Name>Default</Name>"
            "<FromName>Default Sender</FromName><FromAddress>default@example.test</FromAddress>",
        ),
        create(
            "SenderProfile",
            "<CustomerKey>override</CustomerKey><Name>Override</Name>"
            "<FromName>Spring Team</FromName><FromAddress>spring@example.test</FromAddress>",
        ),
        create(
            "SendClassification",
            "<CustomerKey>Default Commercial</CustomerKey><Name>Commercial</Name>"
            "<SenderProfile><CustomerKey>default</CustomerKey></SenderProfile>",
        ),
        create(
            "Email",
            "<CustomerKey>spring</CustomerKey><Name>Spring</Name><Subject>Hello %%FirstName%%</Subject>"
            "<TextBody>Dear %%FirstName%% %%LastName%% (%%_subscriberkey%%)</TextBody>"
            "<HTMLBody>&lt;p&gt;Dear %%FirstName%%&lt;/p&gt;</HTMLBody>",
        ),
    ):
        _status, response = soap(world.client, "Create", body, user=user)
        assert text(response, "p:OverallStatus") == "OK", text(response, ".//p:StatusMessage")
    ids = {}
    for type_name, key in (
        ("Email", "spring"),
        ("SendClassification", "Default Commercial"),
        ("SenderProfile", "override"),
    ):
        _, found = soap(
            world.client, "Retrieve", retrieve(type_name, ["ID", "CustomerKey"]), user=user
        )
        keys = [
            e.text for e in found.iterfind(".//{http://exacttarget.com/wsdl/partnerAPI}CustomerKey")
        ]
        numbers = [
            e.text
            for e in found.iterfind(
                ".//{http://exacttarget.com/wsdl/partnerAPI}Results/{http://exacttarget.com/wsdl/partnerAPI}ID"
            )
        ]
        ids[type_name] = int(dict(zip(keys, numbers, strict=True))[key])
    return ids


def bearer(world, **extra: Any) -> dict[str, str]:  # type: ignore[no-untyped-def]
    reply = world.client.post(
        "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": world.client_secret,
            **extra,
        },
    )
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def definition(ids: dict[str, int], **overrides: Any) -> dict[str, Any]:
    body = {
        "Name": "Spring campaign send",
        "EmailId": ids["Email"],
        "SendClassificationId": str(ids["SendClassification"]),
        "OverrideSenderProfileId": ids["SenderProfile"],
        "DedupeByEmail": True,
        "Targets": [
            {"Type": "Campaign", "Name": "Spring", "Id": CAMPAIGN},
            {"Type": "report", "Name": "Contacts", "Id": REPORT},
        ],
        "Exclusions": [{"Type": "Contact", "Name": "Carl", "Id": C[2]}],
    }
    body.update(overrides)
    return body
