"""Reading a folder of Salesforce CSV exports: every file checked on its own, nothing stored.

The files are named after what they hold, with Salesforce field names as headers (as Data
Loader exports them; header case is not significant); every file is optional:

- ``contacts.csv``, ``leads.csv``: ``Id``, ``Email`` (required columns), ``FirstName``,
  ``LastName``, ``HasOptedOutOfEmail`` and any other columns, which are kept for
  personalization (``%%MailingCity%%``).
- ``campaigns.csv``, ``reports.csv``: ``Id``, ``Name``.
- ``campaign_members.csv`` (``CampaignId``), ``report_rows.csv`` (``ReportId``): plus
  ``ContactId`` and/or ``LeadId``; when a row has both (a converted lead), the contact counts.

Ids may have 15 or 18 characters and must carry their object's key prefix (Contact 003, Lead
00Q, Campaign 701, Report 00O); booleans are true/false, 1/0 or yes/no in any case; emails are
checked loosely and may be empty. The first problem raises ``CrmImportError``, which names the
file, line and field.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sendwell.domain.errors import Invalid
from sendwell.domain.salesforce_ids import KEY_PREFIXES, object_type, to18

PEOPLE_FILES = {"contacts.csv": "Contact", "leads.csv": "Lead"}
GROUP_FILES = {"campaigns.csv": "Campaign", "reports.csv": "Report"}
MEMBER_FILES = {"campaign_members.csv": "Campaign", "report_rows.csv": "Report"}
PERSON_COLUMNS = ("Id", "FirstName", "LastName", "Email", "HasOptedOutOfEmail")
TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}
LOOSE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class CrmImportError(Invalid):
    """A file of an import folder is wrong; ``str`` names the file, line and field."""

    def __init__(self, file: str, line: int | None, field: str | None, message: str) -> None:
        self.file, self.line, self.field, self.detail = file, line, field, message
        where = file if line is None else f"{file} line {line}"
        super().__init__(f"{where}, field {field}: {message}" if field else f"{where}: {message}")


@dataclass
class Member:
    """One row of a members file, its ids checked but not yet resolved."""

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
    with (folder / name).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if not header:
                raise CrmImportError(
                    name, 1, None, "the file is empty; the first line must name the columns"
                )
            columns = _header(name, header)
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                if len(values) > len(columns):
                    raise CrmImportError(
                        name,
                        reader.line_num,
                        None,
                        f"{len(values)} values for {len(columns)} columns",
                    )
                yield (
                    reader.line_num,
                    {c: v.strip() for c, v in zip(columns, values, strict=False) if c},
                )
        except UnicodeDecodeError:  # text is decoded in blocks: the line is not known
            raise CrmImportError(name, None, None, "is not UTF-8 text; save it as UTF-8") from None
        except csv.Error as exc:
            raise CrmImportError(name, reader.line_num, None, str(exc)) from None


def _header(name: str, header: list[str]) -> list[str]:
    """Column names, known ones in Salesforce's spelling; checks required and repeated ones."""
    required, known = _columns(name)
    canonical = {k.lower(): k for k in known}
    columns = [canonical.get(h.strip().lower(), h.strip()) for h in header]
    twice = next((c for c in columns if c and columns.count(c) > 1), None)
    if twice is not None:
        raise CrmImportError(name, 1, twice, "the column appears twice")
    for col in required:
        if isinstance(col, tuple):
            if not any(c in columns for c in col):
                raise CrmImportError(name, 1, " or ".join(col), "missing column")
        elif col not in columns:
            raise CrmImportError(name, 1, col, "missing column")
    return columns


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
