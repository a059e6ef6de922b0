"""Import Salesforce records from a folder of CSV files into the local CRM store.

The files are named after what they hold, with Salesforce field names as headers (as Data
Loader exports them); every file is optional:

- ``contacts.csv``, ``leads.csv``: ``Id``, ``Email`` (required columns), ``FirstName``,
  ``LastName``, ``HasOptedOutOfEmail`` and any other columns, which are kept for
  personalization (``%%MailingCity%%``).
- ``campaigns.csv``, ``reports.csv``: ``Id``, ``Name``.
- ``campaign_members.csv`` (``CampaignId``), ``report_rows.csv`` (``ReportId``): plus
  ``ContactId`` and/or ``LeadId``; when a row has both (a converted lead), the contact counts.

Everything is checked before anything is written, and the folder loads in one transaction: a
bad file raises ``CrmImportError`` naming file, line and field, and nothing is stored. People,
campaigns and reports are upserted by Salesforce id. The members of each campaign or report
named in a members file are replaced by that file's rows (an export is a snapshot).
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, select

from sendwell.domain.errors import Invalid, NotFound
from sendwell.domain.salesforce_ids import KEY_PREFIXES, object_type, to18
from sendwell.store.tables import (
    accounts,
    crm_campaign_members,
    crm_campaigns,
    crm_people,
    crm_report_rows,
    crm_reports,
)

Progress = Callable[[str, int, int], None]  # (file name, rows written, rows in the file)
PEOPLE_FILES = {"contacts.csv": "Contact", "leads.csv": "Lead"}
GROUP_FILES = {"campaigns.csv": "Campaign", "reports.csv": "Report"}
MEMBER_FILES = {"campaign_members.csv": "Campaign", "report_rows.csv": "Report"}
GROUP_TABLES: dict[str, tuple[Table, Table, str]] = {
    "Campaign": (crm_campaigns, crm_campaign_members, "campaign_id"),
    "Report": (crm_reports, crm_report_rows, "report_id"),
}
PERSON_COLUMNS = ("Id", "FirstName", "LastName", "Email", "HasOptedOutOfEmail")
TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}
LOOSE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
BATCH = 5000
LOOKUP_CHUNK = 500
SCAN_ABOVE = 5000


class CrmImportError(Invalid):
    """A file of an import folder is wrong; ``str`` names the file, line and field."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str) -> None:
        self.file, self.line, self.field, self.detail = file, line, field, message
        where = file if line is None else f"{file} line {line}"
        super().__init__(f"{where}, field {field}: {message}" if field else f"{where}: {message}")


@dataclass
class Member:
    line: int
    group: str  # 18-character campaign or report id
    person: str  # 18-character contact or lead id
    kind: str  # "Contact" | "Lead"
    field: str  # the column the person id came from


@dataclass
class Folder:
    """Every row of an import folder, checked on its own (references not yet resolved)."""

    people: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    members: dict[str, list[Member]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            name: len(rows)
            for part in (self.people, self.groups, self.members)
            for name, rows in part.items()
        }


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


def read_folder(folder: Path) -> Folder:
    """Parse and check every file of the folder on its own; raises CrmImportError."""
    known = [*PEOPLE_FILES, *GROUP_FILES, *MEMBER_FILES]
    if not folder.is_dir() or not any((folder / name).is_file() for name in known):
        raise CrmImportError(str(folder), None, None, f"no {', '.join(known)} in this folder")
    parsed = Folder()
    seen: dict[str, str] = {}  # person id -> "file line N", across contacts and leads
    for name, kind in PEOPLE_FILES.items():
        if (folder / name).is_file():
            parsed.people[name] = [
                _person(name, kind, n, row, seen) for n, row in _rows(folder, name)
            ]
    for name, kind in GROUP_FILES.items():
        if (folder / name).is_file():
            parsed.groups[name] = _groups(name, kind, _rows(folder, name))
    for name, kind in MEMBER_FILES.items():
        if (folder / name).is_file():
            parsed.members[name] = [_member(name, kind, n, row) for n, row in _rows(folder, name)]
    return parsed


def _rows(folder: Path, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by canonical column name); checks the header and the required columns."""
    required, known = _columns(name)
    with (folder / name).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise CrmImportError(
                name, 1, None, "the file is empty; the first line must name the columns"
            )
        canonical = {k.lower(): k for k in known}
        columns = [canonical.get(h.strip().lower(), h.strip()) for h in header]
        twice = next((c for c in columns if columns.count(c) > 1), None)
        if twice is not None:
            raise CrmImportError(name, 1, twice, "the column appears twice")
        for col in required:
            if isinstance(col, tuple):
                if not any(c in columns for c in col):
                    raise CrmImportError(name, 1, " or ".join(col), "missing column")
            elif col not in columns:
                raise CrmImportError(name, 1, col, "missing column")
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(columns):
                raise CrmImportError(
                    name, reader.line_num, None, f"{len(values)} values for {len(columns)} columns"
                )
            yield reader.line_num, {c: v.strip() for c, v in zip(columns, values, strict=False)}


def _columns(name: str) -> tuple[list[str | tuple[str, ...]], tuple[str, ...]]:
    if name in PEOPLE_FILES:
        return ["Id", "Email"], PERSON_COLUMNS
    if name in GROUP_FILES:
        return ["Id", "Name"], ("Id", "Name")
    group_column = f"{MEMBER_FILES[name]}Id"
    return [group_column, ("ContactId", "LeadId")], (group_column, "ContactId", "LeadId")


def _id(name: str, line: int, column: str, value: str, kind: str) -> str:
    """An 18-character id of a ``kind`` record, or CrmImportError."""
    if not value:
        raise CrmImportError(name, line, column, "is empty")
    try:
        id18 = to18(value)
    except ValueError as exc:
        raise CrmImportError(name, line, column, str(exc)) from None
    if object_type(id18) != kind:
        raise CrmImportError(
            name,
            line,
            column,
            f"{value} is not a {kind} id ({kind} ids start with {KEY_PREFIXES[kind]})",
        )
    return id18


def _text(name: str, line: int, column: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise CrmImportError(name, line, column, f"longer than {limit} characters")
    return value


def _person(name: str, kind: str, line: int, row: dict[str, str], seen: dict[str, str]) -> dict:
    id18 = _id(name, line, "Id", row.get("Id", ""), kind)
    if id18 in seen:
        raise CrmImportError(name, line, "Id", f"{id18} appears twice (also {seen[id18]})")
    seen[id18] = f"{name} line {line}"
    email = _text(name, line, "Email", row.get("Email") or "", 254)
    if email and not LOOSE_EMAIL.match(email):
        raise CrmImportError(name, line, "Email", f"{email!r} is not an email address")
    flag = row.get("HasOptedOutOfEmail") or ""
    if flag.lower() not in TRUE | FALSE:
        raise CrmImportError(
            name, line, "HasOptedOutOfEmail", f"{flag!r} is not true/false, 1/0 or yes/no"
        )
    first = _text(name, line, "FirstName", row.get("FirstName") or "", 100)
    last = _text(name, line, "LastName", row.get("LastName") or "", 100)
    opted_out = flag.lower() in TRUE
    fields = {**row, "Id": id18, "FirstName": first, "LastName": last, "Email": email}
    fields["HasOptedOutOfEmail"] = "true" if opted_out else "false"
    return {
        "sf_id": id18,
        "kind": kind,
        "first_name": first or None,
        "last_name": last or None,
        "email": email or None,
        "opted_out": opted_out,
        "fields": fields,
    }


def _groups(name: str, kind: str, rows: Iterable[tuple[int, dict[str, str]]]) -> list[dict]:
    out: dict[str, dict] = {}
    for line, row in rows:
        id18 = _id(name, line, "Id", row.get("Id", ""), kind)
        if id18 in out:
            raise CrmImportError(name, line, "Id", f"{id18} appears twice")
        title = _text(name, line, "Name", row.get("Name") or "", 200)
        if not title:
            raise CrmImportError(name, line, "Name", "is empty")
        out[id18] = {"sf_id": id18, "name": title}
    return list(out.values())


def _member(name: str, kind: str, line: int, row: dict[str, str]) -> Member:
    group_column = f"{kind}Id"
    group = _id(name, line, group_column, row.get(group_column, ""), kind)
    for column, person_kind in (("ContactId", "Contact"), ("LeadId", "Lead")):
        if row.get(column):
            return Member(
                line, group, _id(name, line, column, row[column], person_kind), person_kind, column
            )
    raise CrmImportError(name, line, "ContactId", "a row needs a ContactId or a LeadId")


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
