"""The local CRM store as an audience connector: Salesforce records imported from CSV files.

Members are copied into ``sync_members`` by one ``INSERT … SELECT`` per audience entry; nothing
passes through Python. ``crm_people.fields`` already has the shape of ``sync_members.attributes``
(``Id``, ``FirstName``, ``LastName``, ``Email`` and every other imported column), so the copy
needs no JSON functions and reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, Table, insert, literal, select
from sqlalchemy.sql import Select

from sendwell.domain.errors import NotFound
from sendwell.services.salesforce.audiences import PERSON_TYPES, ROLES, AudienceRef, unsupported
from sendwell.store.tables import (
    crm_campaign_members,
    crm_campaigns,
    crm_people,
    crm_report_rows,
    crm_reports,
    sync_members,
)

# Each group of people: its table, and the membership table that links it to crm_people.
GROUPS: dict[str, tuple[Table, Table, str]] = {
    "Campaign": (crm_campaigns, crm_campaign_members, "campaign_id"),
    "Report": (crm_reports, crm_report_rows, "report_id"),
}
MEMBER_COLUMNS = ["sync_id", "role", "sf_id", "kind", "email", "opted_out", "attributes"]


class LocalCrmConnector:
    """Campaigns, reports, contacts and leads from the account's local CRM store."""

    def exists(self, conn: Connection, mid: int, ref: AudienceRef) -> bool:
        if ref.type in GROUPS:
            return self._group_id(conn, mid, ref) is not None
        if ref.type in PERSON_TYPES:
            person = select(crm_people.c.id).where(*self._person(mid, ref))
            return conn.execute(person).first() is not None
        return False

    def materialize(
        self, conn: Connection, mid: int, sync_id: int, role: str, ref: AudienceRef
    ) -> int:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        if ref.type in GROUPS:
            group_id = self._group_id(conn, mid, ref)
            if group_id is None:
                raise NotFound(f"{ref.type} {ref.id} was not found in the local CRM store")
            _, members, column = GROUPS[ref.type]
            people = (
                self._columns(sync_id, role)
                .join(members, members.c.person_id == crm_people.c.id)
                .where(members.c[column] == group_id)
            )
        elif ref.type in PERSON_TYPES:
            if not self.exists(conn, mid, ref):
                raise NotFound(f"{ref.type} {ref.id} was not found in the local CRM store")
            people = self._columns(sync_id, role).where(*self._person(mid, ref))
        else:
            raise unsupported(ref)
        copy = insert(sync_members).from_select(MEMBER_COLUMNS, people.order_by(crm_people.c.id))
        # PostgreSQL's driver reports INSERT … SELECT row counts only when asked to keep them.
        result = conn.execute(copy.execution_options(preserve_rowcount=True))
        return int(result.rowcount)

    @staticmethod
    def _group_id(conn: Connection, mid: int, ref: AudienceRef) -> int | None:
        table = GROUPS[ref.type][0]
        return conn.execute(
            select(table.c.id).where(table.c.mid == mid, table.c.sf_id == ref.id)
        ).scalar()

    @staticmethod
    def _columns(sync_id: int, role: str) -> Select:
        return select(
            literal(sync_id).label("sync_id"),
            literal(role).label("role"),
            crm_people.c.sf_id,
            crm_people.c.kind,
            crm_people.c.email,
            crm_people.c.opted_out,
            crm_people.c.fields,
        )

    @staticmethod
    def _person(mid: int, ref: AudienceRef) -> tuple[ColumnElement[bool], ...]:
        return (
            crm_people.c.mid == mid,
            crm_people.c.sf_id == ref.id,
            crm_people.c.kind == ref.type,
        )
