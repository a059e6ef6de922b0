"""The local CRM store: importing a folder of Salesforce CSV exports, and resolving audiences.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from sendwell.domain.clock import utcnow
from sendwell.domain.errors import Invalid, NotFound
from sendwell.domain.salesforce_ids import to18
from sendwell.services.accounts import Accounts
from sendwell.services.salesforce import connector_for, parse_audience
from sendwell.services.salesforce.crm_import import CrmImportError, import_folder, load_demo_crm
from sendwell.services.salesforce.local import LocalCrmConnector
from sendwell.store.db import make_engine, upgrade
from sendwell.store.tables import (
    crm_campaign_members,
    crm_campaigns,
    crm_connections,
    crm_people,
    crm_report_rows,
    crm_reports,
    sync_members,
    syncs,
)

MID, OTHER_MID = 1001, 2001
CRM_TABLES = (crm_people, crm_campaigns, crm_campaign_members, crm_reports, crm_report_rows)
# 15-character ids as a Salesforce UI shows them; the store keeps the 18-character form.
ADA, ALAN, EDSGER = "0035g00000Xk1Aa", "0035g00000Xk1Ab", "0035g00000Xk1Ac"
GRACE, MARGARET = "00Q5g00000Ml2Zq", "00Q5g00000Ml2Zs"
SPRING, AUTUMN = "7015g00000Q1aBc", "7015g00000Q1aBd"
ATTENDEES = "00O5g00000Rp7Kd"


def folder_files() -> dict[str, list[list[str]]]:
    """A valid export: 3 contacts, 2 leads, 2 campaigns, 1 report."""
    return {
        "contacts.csv": [
            ["Id", "FirstName", "LastName", "Email", "HasOptedOutOfEmail", "MailingCity"],
            [ADA, "Ada", "Lovelace", "ada@example.com", "false", "London"],
            [to18(ALAN), "Alan", "Turing", "alan@example.com", "0", "Wilmslow"],
            [EDSGER, "Edsger", "Dijkstra", "edsger@example.net", "TRUE", "Nuenen"],
        ],
        "leads.csv": [
            ["id", "firstname", "lastname", "email", "hasoptedoutofemail", "Company"],
            [GRACE, "Grace", "Hopper", "grace@example.org", "Yes", "Navy"],
            [MARGARET, "Margaret", "Hamilton", "", "no", "MIT"],
        ],
        "campaigns.csv": [["Id", "Name"], [SPRING, "Spring Launch"], [AUTUMN, "Autumn Sale"]],
        "campaign_members.csv": [
            ["CampaignId", "ContactId", "LeadId", "Status"],
            [SPRING, ADA, "", "Sent"],
            [SPRING, "", GRACE, "Sent"],
            [SPRING, EDSGER, MARGARET, "Responded"],  # a converted lead: the contact counts
            [AUTUMN, ALAN, "", "Sent"],
        ],
        "reports.csv": [["Id", "Name"], [ATTENDEES, "Attendees"]],
        "report_rows.csv": [
            ["ReportId", "ContactId", "LeadId"],
            [ATTENDEES, ALAN, ""],
            [ATTENDEES, "", MARGARET],
        ],
    }


def write(folder: Path, files: dict[str, list[list[str]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
    return folder


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    accounts = Accounts(engine)
    accounts.create_account(MID, "Imports here")
    accounts.create_account(OTHER_MID, "Another company")
    yield engine
    engine.dispose()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in CRM_TABLES
        }


def materialize(engine: Engine, entry: dict[str, str], mid: int = MID) -> list[Any]:
    with engine.begin() as conn:
        sync_id = conn.execute(
            insert(syncs).values(mid=mid, created_at=utcnow())
        ).inserted_primary_key[0]
        count = connector_for(conn, mid, "test-secret-key").materialize(
            conn, mid, sync_id, "target", parse_audience(entry)
        )
        rows = conn.execute(
            select(sync_members)
            .where(sync_members.c.sync_id == sync_id)
            .order_by(sync_members.c.id)
        ).all()
    assert count == len(rows)
    return rows


def test_a_folder_imports_with_18_character_ids_and_flags(engine: Engine, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []

    loaded = import_folder(engine, MID, write(tmp_path, folder_files()), lambda *a: seen.append(a))

    assert loaded == {
        "contacts.csv": 3,
        "leads.csv": 2,
        "campaigns.csv": 2,
        "reports.csv": 1,
        "campaign_members.csv": 4,
        "report_rows.csv": 2,
    }
    assert counts(engine) == {
        "crm_people": 5,
        "crm_campaigns": 2,
        "crm_campaign_members": 4,
        "crm_reports": 1,
        "crm_report_rows": 2,
    }
    assert {(name, done, total) for name, done, total in seen if done == total} >= {
        ("contacts.csv", 3, 3),
        ("campaign_members.csv", 4, 4),
    }
    with engine.connect() as conn:
        people = {r.sf_id: r for r in conn.execute(select(crm_people))}
    assert set(people) == {to18(i) for i in (ADA, ALAN, EDSGER, GRACE, MARGARET)}
    assert {i for i, r in people.items() if r.opted_out} == {to18(EDSGER), to18(GRACE)}
    assert people[to18(MARGARET)].email is None
    assert people[to18(GRACE)].kind == "Lead"
    assert people[to18(ADA)].fields == {
        "Id": to18(ADA),
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Email": "ada@example.com",
        "HasOptedOutOfEmail": "false",
        "MailingCity": "London",
    }
    assert people[to18(GRACE)].fields["Company"] == "Navy"  # header case normalised, extras kept


BAD_FILES = [
    pytest.param(
        "contacts.csv",
        [["Id", "FirstName", "LastName"], [ADA, "Ada", "Lovelace"]],
        "contacts.csv line 1, field Email: missing column",
        id="missing-column",
    ),
    pytest.param(
        "campaign_members.csv",
        [["CampaignId", "ContactId"], [SPRING, ADA], [SPRING, "0035g00000Zz9Zz"]],
        f"campaign_members.csv line 3, field ContactId: no contact {to18('0035g00000Zz9Zz')}",
        id="unknown-contact",
    ),
    pytest.param(
        "campaign_members.csv",
        [["CampaignId", "ContactId", "LeadId"], [SPRING, GRACE, ""]],
        "campaign_members.csv line 2, field ContactId: 00Q5g00000Ml2Zq is not a Contact id",
        id="lead-in-contact-column",
    ),
    pytest.param(
        "report_rows.csv",
        [["ReportId", "LeadId"], [ATTENDEES, GRACE], ["00O5g00000Rp7Zz", GRACE]],
        f"report_rows.csv line 3, field ReportId: no report {to18('00O5g00000Rp7Zz')}",
        id="unknown-report",
    ),
    pytest.param(
        "contacts.csv",
        [
            ["Id", "Email", "HasOptedOutOfEmail"],
            [ADA, "ada@example.com", "false"],
            [ALAN, "a@b.c", "maybe"],
        ],
        "contacts.csv line 3, field HasOptedOutOfEmail: 'maybe' is not true/false, 1/0 or yes/no",
        id="bad-boolean",
    ),
    pytest.param(
        "leads.csv",
        [["Id", "Email"], ["00Q5g00000Ml2", "grace@example.org"]],
        "leads.csv line 2, field Id: Salesforce id '00Q5g00000Ml2' must be 15 or 18 characters",
        id="short-id",
    ),
    pytest.param(
        "leads.csv",
        [["Id", "Email"], ["00Q5g00000Ml2Z*", "grace@example.org"]],
        "leads.csv line 2, field Id: Salesforce id '00Q5g00000Ml2Z*' may contain only letters",
        id="bad-character",
    ),
    pytest.param(
        "contacts.csv",
        [["Id", "Email"], [ADA, "ada at example.com"]],
        "contacts.csv line 2, field Email: 'ada at example.com' is not an email address",
        id="bad-email",
    ),
    pytest.param(
        "leads.csv",
        [["Id", "Email"], [ADA, "ada@example.com"]],
        "leads.csv line 2, field Id: 0035g00000Xk1Aa is not a Lead id (Lead ids start with 00Q)",
        id="contact-in-leads",
    ),
    pytest.param(
        "campaigns.csv",
        [["Id", "Name"], [SPRING, "Spring"], [to18(SPRING).upper(), "Spring again"]],
        f"campaigns.csv line 3, field Id: {to18(SPRING)} appears twice",
        id="duplicate-18-any-case",
    ),
    pytest.param(
        "reports.csv",
        [["Id", "Name"], [ATTENDEES, ""]],
        "reports.csv line 2, field Name: is empty",
        id="empty-name",
    ),
    pytest.param(
        "contacts.csv",
        [["Id", "Email"], [ADA, "ada@example.com", "extra"]],
        "contacts.csv line 2: 3 values for 2 columns",
        id="extra-value",
    ),
]


@pytest.mark.parametrize(("name", "rows", "message"), BAD_FILES)
def test_a_bad_file_names_file_line_and_field_and_nothing_is_loaded(
    engine: Engine, tmp_path: Path, name: str, rows: list[list[str]], message: str | None
) -> None:
    folder = write(tmp_path, {**folder_files(), name: rows})
    if message is None:
        with pytest.raises(CrmImportError):  # the valid file, but campaign_members needs AUTUMN
            import_folder(engine, MID, folder)
        return

    with pytest.raises(CrmImportError) as caught:
        import_folder(engine, MID, folder)

    assert str(caught.value).startswith(message)
    assert caught.value.file == name
    assert counts(engine) == dict.fromkeys(counts(engine), 0)


def test_an_empty_or_unrelated_folder_is_an_error(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing to import")
    with pytest.raises(CrmImportError, match=r"no contacts\.csv"):
        import_folder(engine, MID, tmp_path)
    write(tmp_path, {"contacts.csv": []})
    with pytest.raises(CrmImportError, match=r"contacts\.csv line 1: the file is empty"):
        import_folder(engine, MID, tmp_path)
    (tmp_path / "contacts.csv").write_bytes(
        "Id,Email\n0035g00000Xk1Aa,zoë@example.com\n".encode("latin-1")
    )
    with pytest.raises(CrmImportError, match=r"contacts\.csv: is not UTF-8 text"):
        import_folder(engine, MID, tmp_path)


def test_15_character_ids_differing_in_case_are_different_records(
    engine: Engine, tmp_path: Path
) -> None:
    campaigns = [["Id", "Name"], [SPRING, "Spring"], [SPRING.lower(), "spring"]]

    import_folder(engine, MID, write(tmp_path, {"campaigns.csv": campaigns}))

    with engine.connect() as conn:
        stored = set(conn.execute(select(crm_campaigns.c.sf_id)).scalars())
    assert stored == {to18(SPRING), to18(SPRING.lower())}
    assert to18(SPRING) != to18(SPRING.lower())


def test_an_unknown_account_is_not_found(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="Account 999"):
        import_folder(engine, 999, write(tmp_path, folder_files()))


def test_reimport_updates_people_and_replaces_the_members_of_named_campaigns(
    engine: Engine, tmp_path: Path
) -> None:
    import_folder(engine, MID, write(tmp_path / "first", folder_files()))
    files = folder_files()
    files["contacts.csv"][1] = [ADA, "Ada", "King", "ada.king@example.com", "yes", "London"]
    files["campaign_members.csv"] = [["CampaignId", "ContactId"], [SPRING, ADA], [SPRING, ALAN]]

    import_folder(engine, MID, write(tmp_path / "second", files))

    assert counts(engine)["crm_people"] == 5
    with engine.connect() as conn:
        ada = conn.execute(select(crm_people).where(crm_people.c.sf_id == to18(ADA))).one()
    assert (ada.last_name, ada.email, ada.opted_out) == ("King", "ada.king@example.com", True)
    assert [r.sf_id for r in materialize(engine, {"Type": "Campaign", "Id": SPRING})] == [
        to18(ADA),
        to18(ALAN),
    ]
    # Autumn Sale was not in the second members file: its members stay.
    assert [r.sf_id for r in materialize(engine, {"Type": "Campaign", "Id": AUTUMN})] == [
        to18(ALAN)
    ]


def test_references_may_resolve_to_an_earlier_import(engine: Engine, tmp_path: Path) -> None:
    files = folder_files()
    import_folder(
        engine,
        MID,
        write(tmp_path / "records", {k: files[k] for k in ("contacts.csv", "campaigns.csv")}),
    )

    loaded = import_folder(
        engine,
        MID,
        write(
            tmp_path / "members",
            {"campaign_members.csv": [["CampaignId", "ContactId"], [AUTUMN, EDSGER]]},
        ),
    )

    assert loaded == {"campaign_members.csv": 1}
    assert [r.sf_id for r in materialize(engine, {"Type": "Campaign", "Id": AUTUMN})] == [
        to18(EDSGER)
    ]


def test_campaign_report_contact_and_lead_targets_materialize(
    engine: Engine, tmp_path: Path
) -> None:
    import_folder(engine, MID, write(tmp_path, folder_files()))

    campaign = materialize(engine, {"Type": "campaign", "Id": SPRING, "Name": "Spring Launch"})
    report = materialize(engine, {"Type": "REPORT", "Id": ATTENDEES})
    contact = materialize(engine, {"Type": "Contact", "Id": EDSGER})
    lead = materialize(engine, {"type": "lead", "id": to18(GRACE).lower()})

    assert [(r.sf_id, r.kind, r.email, r.opted_out) for r in campaign] == [
        (to18(ADA), "Contact", "ada@example.com", False),
        (to18(EDSGER), "Contact", "edsger@example.net", True),
        (to18(GRACE), "Lead", "grace@example.org", True),
    ]
    assert [(r.sf_id, r.kind, r.email) for r in report] == [
        (to18(ALAN), "Contact", "alan@example.com"),
        (to18(MARGARET), "Lead", None),
    ]
    assert [(r.sf_id, r.opted_out, r.role) for r in contact] == [(to18(EDSGER), True, "target")]
    assert [(r.sf_id, r.kind) for r in lead] == [(to18(GRACE), "Lead")]
    assert campaign[0].attributes == {
        "Id": to18(ADA),
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Email": "ada@example.com",
        "HasOptedOutOfEmail": "false",
        "MailingCity": "London",
    }


def test_exists_and_missing_records(engine: Engine, tmp_path: Path) -> None:
    import_folder(engine, MID, write(tmp_path, folder_files()))
    connector = LocalCrmConnector()
    with engine.begin() as conn:

        def exists(kind: str, id_: str, mid: int = MID) -> bool:
            return connector.exists(conn, mid, parse_audience({"Type": kind, "Id": id_}))

        assert exists("Campaign", SPRING) and exists("Report", ATTENDEES)
        assert exists("Contact", ADA) and exists("Lead", GRACE)
        assert not exists("Lead", ADA)  # a contact is not a lead
        assert not exists("Campaign", SPRING, OTHER_MID)  # another account's CRM
        assert not exists("Campaign", "7015g00000Q1aZz")
        assert not exists("SalesforceDataExtension", "Members_DE")
        sync_id = conn.execute(
            insert(syncs).values(mid=MID, created_at=utcnow())
        ).inserted_primary_key[0]
        for kind, id_ in (("Campaign", "7015g00000Q1aZz"), ("Contact", "0035g00000Zz9Zz")):
            with pytest.raises(NotFound, match=f"{kind} .* was not found"):
                connector.materialize(
                    conn, MID, sync_id, "target", parse_audience({"Type": kind, "Id": id_})
                )
        with pytest.raises(Invalid, match="not supported"):
            connector.materialize(
                conn,
                MID,
                sync_id,
                "target",
                parse_audience({"Type": "SalesforceDataExtension", "Id": "DE"}),
            )


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"Type": "Account", "Id": "0015g00000Ac1Xy"}, "Audience Type 'Account' is not supported"),
        ({"Type": "Campaign", "Id": "701"}, "The Campaign Id is not a Salesforce id"),
        ({"Type": "Campaign"}, "needs an Id"),
        ({"Id": SPRING}, "Audience Type None is not supported"),
        ("Campaign", "must be an object"),
    ],
)
def test_parse_audience_rejects_bad_entries(entry: Any, says: str) -> None:
    with pytest.raises(Invalid, match=says):
        parse_audience(entry)


def test_parse_audience_canonicalises_type_and_id() -> None:
    ref = parse_audience({"TYPE": "cAmPaIgN", "name": "Spring", "ID": SPRING})

    assert (ref.type, ref.id, ref.name) == ("Campaign", to18(SPRING), "Spring")
    assert parse_audience({"Type": "salesforcedataextension", "Id": " DE_Key "}).id == "DE_Key"


def test_the_demo_crm_imports_through_the_same_path(engine: Engine) -> None:
    demo = load_demo_crm(engine, MID)

    assert demo.counts["contacts.csv"] == 200 and demo.counts["leads.csv"] == 50
    assert [name for _, name in demo.campaigns] == ["Spring Newsletter", "VIP Event"]
    members = materialize(engine, {"Type": "Campaign", "Id": demo.campaigns[0][0]})
    assert len(members) == 140
    assert {r.kind for r in members} == {"Contact", "Lead"}
    assert any(r.opted_out for r in members)
    assert materialize(engine, {"Type": "Report", "Id": demo.reports[0][0]})
    assert load_demo_crm(engine, MID).counts == demo.counts  # again: upserts, no duplicates
    assert counts(engine)["crm_people"] == 250


def test_a_100000_member_campaign_materializes_in_one_statement(
    engine: Engine, tmp_path: Path
) -> None:
    size = 100_000
    contacts = [["Id", "FirstName", "LastName", "Email", "HasOptedOutOfEmail"]]
    contacts += [
        [f"003Bk{i:010d}", "First", f"Last{i}", f"c{i}@example.test", str(i % 50 == 0)]
        for i in range(size)
    ]
    members = [["CampaignId", "ContactId"]] + [[SPRING, row[0]] for row in contacts[1:]]
    folder = write(
        tmp_path,
        {
            "contacts.csv": contacts,
            "campaigns.csv": [["Id", "Name"], [SPRING, "Big"]],
            "campaign_members.csv": members,
        },
    )
    started = time.perf_counter()
    import_folder(engine, MID, folder)
    imported = time.perf_counter() - started

    started = time.perf_counter()
    rows = materialize_count(engine, {"Type": "Campaign", "Id": SPRING})
    seconds = time.perf_counter() - started

    print(
        f"\n{engine.dialect.name}: import of {size:,} contacts + members {imported:.2f}s; materialize {seconds:.2f}s"
    )
    assert rows == (size, size // 50)


def materialize_count(engine: Engine, entry: dict[str, str]) -> tuple[int, int]:
    """Materialize without loading the rows: (members written, of them opted out)."""
    with engine.begin() as conn:
        sync_id = conn.execute(
            insert(syncs).values(mid=MID, created_at=utcnow())
        ).inserted_primary_key[0]
        count = connector_for(conn, MID, "test-secret-key").materialize(
            conn, MID, sync_id, "target", parse_audience(entry)
        )
        opted_out = conn.execute(
            select(func.count()).where(sync_members.c.sync_id == sync_id, sync_members.c.opted_out)
        ).scalar_one()
    return count, opted_out


def test_the_crm_commands_import_connect_and_disconnect(sqlite_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sendwell.cli_crm import app

    engine = make_engine(sqlite_url)
    upgrade(engine)
    Accounts(engine).create_account(MID, "Imports here")
    runner = CliRunner()
    env = {"SENDWELL_DATABASE_URL": sqlite_url, "SENDWELL_SECRET_KEY": ""}

    imported = runner.invoke(
        app, ["import", str(write(tmp_path / "ok", folder_files())), "--mid", str(MID)], env=env
    )
    bad = write(tmp_path / "bad", {"contacts.csv": [["Id", "FirstName"], [ADA, "Ada"]]})
    failed = runner.invoke(app, ["import", str(bad), "--mid", str(MID)], env=env)
    secret = "00D5g000004Xyz!SessionSecret"
    connected = runner.invoke(
        app,
        [
            "connect",
            str(MID),
            "--instance-url",
            "https://acme.my.salesforce.com",
            "--session-id",
            secret,
        ],
        env=env,
    )
    sealed = runner.invoke(
        app,
        [
            "connect",
            str(MID),
            "--username",
            "u@acme.test",
            "--password",
            "pw-secret",
            "--security-token",
            "tok",
        ],
        env={**env, "SENDWELL_SECRET_KEY": "the key"},
    )
    with engine.connect() as conn:
        stored = conn.execute(select(crm_connections.c.settings)).scalar_one()
        kind = type(connector_for(conn, MID, "the key")).__name__
    disconnected = runner.invoke(app, ["disconnect", str(MID)], env=env)

    assert imported.exit_code == 0, imported.output
    assert (
        "campaign_members.csv" in imported.output
        and "Imported into account 1001" in imported.output
    )
    assert failed.exit_code == 1
    assert "contacts.csv line 1, field Email: missing column" in failed.output
    assert connected.exit_code == 0 and secret not in connected.output
    said = " ".join(connected.output.split())  # rich wraps lines
    # Without SENDWELL_SECRET_KEY the installation's generated key seals them.
    assert "acme.my.salesforce.com (sealed credentials" in said
    assert (Path(sqlite_url.split(":///", 1)[1]).parent / "sendwell.secret").exists()
    assert sealed.exit_code == 0 and "(sealed credentials" in " ".join(sealed.output.split())
    assert "pw-secret" not in str(stored) and "sealed_credentials" in stored
    assert kind == "SalesforceApiConnector"
    assert disconnected.exit_code == 0
    with engine.connect() as conn:
        assert isinstance(connector_for(conn, MID, "test-secret-key"), LocalCrmConnector)
    engine.dispose()
