"""Import Salesforce records from a folder of CSV files into the local CRM store.

``crm_files`` reads and checks each file (which files, which columns, what is valid). Here the
references between them are resolved, against the folder and against earlier imports of the
same account, and then the folder loads in one transaction: a bad file raises
``CrmImportError`` naming file, line and field, and nothing is stored. People, campaigns and
reports are upserted by Salesforce id. The members of each campaign or report named in a
members file are replaced by that file's rows (an export is a snapshot).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, select

from sendwell.domain.errors import NotFound
from sendwell.domain.salesforce_ids import to18
from sendwell.services.salesforce.crm_files import (
    GROUP_FILES,
    MEMBER_FILES,
    CrmImportError,
    Folder,
    Member,
    read_folder,
)
from sendwell.store.tables import (
    accounts,
    crm_campaign_members,
    crm_campaigns,
    crm_people,
    crm_report_rows,
    crm_reports,
)

__all__ = ["CrmImportError", "DemoCrm", "import_folder", "load_demo_crm"]

Progress = Callable[[str, int, int], None]  # (file name, rows written, rows in the file)
GROUP_TABLES: dict[str, tuple[Table, Table, str]] = {
    "Campaign": (crm_campaigns, crm_campaign_members, "campaign_id"),
    "Report": (crm_reports, crm_report_rows, "report_id"),
}
BATCH = 5000
LOOKUP_CHUNK = 500
SCAN_ABOVE = 5000


def import_folder(
    engine: Engine, mid: int, folder: Path, progress: Progress | None = None
) -> dict[str, int]:
    """Load the CSV files of ``folder`` into account ``mid``; returns rows read per file."""
    parsed = read_folder(Path(folder))
    with engine.begin() as conn:
        if conn.execute(select(accounts.c.mid).where(accounts.c.mid == mid)).first() is None:
            raise NotFound(f"Account {mid} does not exist")
        _check_references(conn, mid, parsed)
        _write(conn, mid, parsed, progress or (lambda *_: None))
    return parsed.counts()


def _existing(conn: Connection, table: Table, mid: int, ids: set[str]) -> dict[str, Any]:
    """(id, sf_id[, kind]) rows of ``table`` in account ``mid`` with these Salesforce ids."""
    columns = [table.c.id, table.c.sf_id]
    if table is crm_people:
        columns.append(crm_people.c.kind)
    query = select(*columns).where(table.c.mid == mid)
    if len(ids) > SCAN_ABOVE:  # one pass over the account beats hundreds of IN (…) queries
        return {row.sf_id: row for row in conn.execute(query) if row.sf_id in ids}
    found: dict[str, Any] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = query.where(table.c.sf_id.in_(wanted[start : start + LOOKUP_CHUNK]))
        found.update({row.sf_id: row for row in conn.execute(chunk)})
    return found


def _check_references(conn: Connection, mid: int, parsed: Folder) -> None:
    """Every member row names a campaign (report) and a person of the right kind."""
    kinds = {p["sf_id"]: p["kind"] for rows in parsed.people.values() for p in rows}
    wanted = {m.person for rows in parsed.members.values() for m in rows} - kinds.keys()
    kinds.update({i: row.kind for i, row in _existing(conn, crm_people, mid, wanted).items()})
    for name, rows in parsed.members.items():
        kind = MEMBER_FILES[name]
        groups = {g["sf_id"] for g in parsed.groups.get(f"{kind.lower()}s.csv", [])}
        groups |= _existing(conn, GROUP_TABLES[kind][0], mid, {m.group for m in rows}).keys()
        for m in rows:
            if m.group not in groups:
                raise CrmImportError(name, m.line, f"{kind}Id", f"no {kind.lower()} {m.group}")
            if kinds.get(m.person) != m.kind:
                raise CrmImportError(name, m.line, m.field, f"no {m.kind.lower()} {m.person}")


def _upsert(
    conn: Connection, table: Table, mid: int, name: str, rows: list[dict], progress: Progress
) -> None:
    """Insert or update the rows of one file by (mid, sf_id), in batches."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    progress(name, 0, len(rows))
    if not rows:
        return
    stmt = dialect_insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["mid", "sf_id"], set_={c: stmt.excluded[c] for c in rows[0] if c != "sf_id"}
    )
    for start in range(0, len(rows), BATCH):
        conn.execute(stmt, [{"mid": mid, **row} for row in rows[start : start + BATCH]])
        progress(name, min(start + BATCH, len(rows)), len(rows))


def _replace_members(
    conn: Connection, mid: int, name: str, rows: list[Member], progress: Progress
) -> None:
    """The members of every campaign (report) in the file become exactly the file's rows."""
    progress(name, 0, len(rows))
    group_table, member_table, group_column = GROUP_TABLES[MEMBER_FILES[name]]
    groups = _existing(conn, group_table, mid, {m.group for m in rows})
    people = _existing(conn, crm_people, mid, {m.person for m in rows})
    group_ids = sorted(row.id for row in groups.values())
    for start in range(0, len(group_ids), LOOKUP_CHUNK):
        chunk = group_ids[start : start + LOOKUP_CHUNK]
        conn.execute(delete(member_table).where(member_table.c[group_column].in_(chunk)))
    pairs = list(dict.fromkeys((groups[m.group].id, people[m.person].id) for m in rows))
    for start in range(0, len(pairs), BATCH):
        batch = pairs[start : start + BATCH]
        conn.execute(insert(member_table), [{group_column: g, "person_id": p} for g, p in batch])
        progress(name, min(start + BATCH, len(pairs)), len(rows))
    progress(name, len(rows), len(rows))


def _write(conn: Connection, mid: int, parsed: Folder, progress: Progress) -> None:
    for name, rows in parsed.people.items():
        _upsert(conn, crm_people, mid, name, rows, progress)
    for name, rows in parsed.groups.items():
        _upsert(conn, GROUP_TABLES[GROUP_FILES[name]][0], mid, name, rows, progress)
    for name, members in parsed.members.items():
        _replace_members(conn, mid, name, members, progress)


# --- The demo CRM ------------------------------------------------------------------------------

DEMO_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Anita")
DEMO_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Borg")
DEMO_CITIES = ("Berlin", "Paris", "Lisbon", "Oslo", "Madrid")


@dataclass(frozen=True)
class DemoCrm:
    """What ``load_demo_crm`` created: rows per file, and the campaigns and report to send to."""

    counts: dict[str, int]
    campaigns: tuple[tuple[str, str], ...]  # (18-character id, name)
    reports: tuple[tuple[str, str], ...]


def _demo_id(prefix: str, n: int) -> str:
    return to18(f"{prefix}Dm00000{n:05d}")


def demo_files(contacts: int = 200, leads: int = 50) -> dict[str, list[list[str]]]:
    """The demo CRM as CSV rows by file name (header first)."""
    people = {
        "contacts.csv": [
            ["Id", "FirstName", "LastName", "Email", "HasOptedOutOfEmail", "MailingCity"]
        ],
        "leads.csv": [["Id", "FirstName", "LastName", "Email", "HasOptedOutOfEmail", "Company"]],
    }
    for i in range(1, contacts + 1):
        people["contacts.csv"].append(
            [
                _demo_id("003", i),
                DEMO_FIRST[i % 9],
                DEMO_LAST[i % 8],
                f"contact{i:03d}@example.test",
                "true" if i % 40 == 0 else "false",
                DEMO_CITIES[i % 5],
            ]
        )
    for i in range(1, leads + 1):
        people["leads.csv"].append(
            [
                _demo_id("00Q", i),
                DEMO_FIRST[i % 9],
                DEMO_LAST[i % 8],
                f"lead{i:02d}@example.test",
                "yes" if i % 20 == 0 else "no",
                f"Example Company {i}",
            ]
        )
    spring, vip, berlin = _demo_id("701", 1), _demo_id("701", 2), _demo_id("00O", 1)
    members = [["CampaignId", "ContactId", "LeadId"]]
    members += [[spring, _demo_id("003", i), ""] for i in range(1, min(contacts, 120) + 1)]
    members += [[spring, "", _demo_id("00Q", i)] for i in range(1, min(leads, 20) + 1)]
    members += [[vip, _demo_id("003", i), ""] for i in range(100, min(contacts, 150) + 1)]
    members += [[vip, "", _demo_id("00Q", i)] for i in range(40, leads + 1)]
    return {
        **people,
        "campaigns.csv": [["Id", "Name"], [spring, "Spring Newsletter"], [vip, "VIP Event"]],
        "campaign_members.csv": members,
        "reports.csv": [["Id", "Name"], [berlin, "Contacts in Berlin"]],
        "report_rows.csv": [["ReportId", "ContactId"]]
        + [[berlin, _demo_id("003", i)] for i in range(5, contacts + 1, 5)],
    }


def load_demo_crm(engine: Engine, mid: int) -> DemoCrm:
    """A small CRM (200 contacts, 50 leads, 2 campaigns, 1 report), imported like any folder."""
    files = demo_files()
    with tempfile.TemporaryDirectory(prefix="sendwell-demo-crm-") as tmp:
        for name, rows in files.items():
            with (Path(tmp) / name).open("w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows(rows)
        counts = import_folder(engine, mid, Path(tmp))
    return DemoCrm(
        counts,
        tuple((row[0], row[1]) for row in files["campaigns.csv"][1:]),
        tuple((row[0], row[1]) for row in files["reports.csv"][1:]),
    )
