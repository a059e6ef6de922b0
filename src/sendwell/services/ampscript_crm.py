"""AMPscript's Salesforce functions against the account's CRM connector: the connected org
(SOQL, and the REST API's create and update), or else the local CRM store (Contacts and Leads
of ``crm_people``, Campaigns of ``crm_campaigns``, as ``sendwell crm import`` fills them).

A send creates and updates once per key (``ampscript_writes``, the created ID kept in
``result``), so a retried recipient makes no second record. ``PreviewCrm`` reads, and
creates or updates nothing.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from sendwell.domain.ampscript.runtime import CrmFailure
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import SendwellError
from sendwell.domain.salesforce_ids import same_id, to18
from sendwell.services.salesforce.api import SalesforceApiConnector
from sendwell.services.salesforce.connector import connector_for
from sendwell.store.tables import ampscript_writes, crm_campaigns, crm_people

_PREFIXES = {"contact": "003", "lead": "00Q", "campaign": "701"}
_COLUMNS = {"firstname": "first_name", "lastname": "last_name", "email": "email"}
_ID_CHARS = string.ascii_letters + string.digits
Conditions = Sequence[tuple[str, str, str]]


def _compare(cell: Any, operator: str, value: str) -> bool:
    shown = "" if cell is None else str(cell)
    try:
        a, b = Decimal(shown), Decimal(value)
    except InvalidOperation:
        a, b = shown.lower(), value.lower()  # type: ignore[assignment]
    return {
        "=": a == b,
        "!=": a != b,
        "<": a < b,  # type: ignore[operator]
        ">": a > b,  # type: ignore[operator]
        "<=": a <= b,  # type: ignore[operator]
        ">=": a >= b,  # type: ignore[operator]
    }[operator]


def _field(record: Mapping[str, Any], name: str) -> Any:
    for key, value in record.items():
        if key.lower() == name.lower():
            return value
    return None


class _Local:
    """The local CRM store's records."""

    def __init__(self, conn: Connection, mid: int) -> None:
        self.conn = conn
        self.mid = mid

    def records(self, object_type: str) -> list[dict[str, Any]]:
        kind = object_type.lower()
        if kind == "campaign":
            rows = self.conn.execute(select(crm_campaigns).where(crm_campaigns.c.mid == self.mid))
            return [{"Id": r.sf_id, "Name": r.name} for r in rows]
        if kind not in ("contact", "lead"):
            raise CrmFailure(f"the local CRM store has no {object_type} records")
        rows = self.conn.execute(
            select(crm_people).where(
                crm_people.c.mid == self.mid, crm_people.c.kind == kind.title()
            )
        )
        return [
            {
                **r.fields,
                "Id": r.sf_id,
                "FirstName": r.first_name,
                "LastName": r.last_name,
                "Email": r.email,
                "HasOptedOutOfEmail": r.opted_out,
            }
            for r in rows
        ]

    def create(self, object_type: str, values: Mapping[str, str]) -> str:
        kind = object_type.lower()
        if kind not in ("contact", "lead"):
            raise CrmFailure(f"the local CRM store cannot create {object_type} records")
        new_id = to18(_PREFIXES[kind] + "".join(secrets.choice(_ID_CHARS) for _ in range(12)))
        self.conn.execute(
            insert(crm_people).values(
                mid=self.mid, sf_id=new_id, kind=kind.title(), **_person(values, {})
            )
        )
        return new_id

    def update(self, object_type: str, record_id: str, values: Mapping[str, str]) -> bool:
        kind = object_type.lower()
        rows = self.conn.execute(
            select(crm_people).where(
                crm_people.c.mid == self.mid, crm_people.c.kind == kind.title()
            )
        ).all()
        for row in rows:
            if same_id(row.sf_id, record_id):
                self.conn.execute(
                    update(crm_people)
                    .where(crm_people.c.id == row.id)
                    .values(**_person(values, row.fields))
                )
                return True
        return False


def _person(values: Mapping[str, str], fields: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**fields, **values}
    columns = {column: _field(merged, name) for name, column in _COLUMNS.items()}
    opted = str(_field(merged, "HasOptedOutOfEmail") or "").lower() in ("true", "1")
    return {**columns, "opted_out": opted, "fields": merged}


def _soql(object_type: str, fields: Sequence[str], conditions: Conditions) -> str:
    def quoted(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    where = " AND ".join(f"{f} {op} {quoted(v)}" for f, op, v in conditions)
    return f"SELECT {', '.join(fields or ['Id'])} FROM {object_type}" + (
        f" WHERE {where}" if where else ""
    )


class AccountCrm:
    """The account's Salesforce data for a send job (``job_id``: creates and updates once)."""

    def __init__(
        self, engine: Engine, mid: int, secret_key: str, job_id: int | None = None
    ) -> None:
        self.engine = engine
        self.mid = mid
        self.secret_key = secret_key
        self.job_id = job_id

    def retrieve(
        self, object_type: str, fields: Sequence[str], conditions: Conditions
    ) -> Sequence[Mapping[str, object]]:
        """The matching records, with the fields asked for."""
        try:
            with self.engine.connect() as conn:
                connector = connector_for(conn, self.mid, self.secret_key)
                if isinstance(connector, SalesforceApiConnector):
                    found = list(connector._query(_soql(object_type, fields, conditions)))
                else:
                    found = [
                        r
                        for r in _Local(conn, self.mid).records(object_type)
                        if all(_compare(_field(r, f), op, v) for f, op, v in conditions)
                    ]
        except SendwellError as exc:
            raise CrmFailure(exc.message) from None
        return [{f: _field(r, f) for f in fields} if fields else r for r in found]

    def create(self, object_type: str, values: Sequence[tuple[str, str]], key: str | None) -> str:
        """The new record's ID, once per key."""
        return self._once(
            key, lambda conn, c: _create(conn, c, self.mid, object_type, dict(values))
        )

    def update(
        self, object_type: str, record_id: str, values: Sequence[tuple[str, str]], key: str | None
    ) -> bool:
        """Whether the record was updated, once per key."""
        done = self._once(
            key,
            lambda conn, c: (
                "1" if _update(conn, c, self.mid, object_type, record_id, dict(values)) else "0"
            ),
        )
        return done == "1"

    def _once(self, key: str | None, act: Any) -> str:
        recorded = key is not None and self.job_id is not None
        try:
            with self.engine.begin() as conn:
                if recorded:
                    done = conn.execute(
                        select(ampscript_writes.c.result).where(
                            ampscript_writes.c.job_id == self.job_id,
                            ampscript_writes.c.write_key == f"crm:{key}"[:200],
                        )
                    ).scalar()
                    if done is not None:
                        return str(done)
                result = act(conn, connector_for(conn, self.mid, self.secret_key))
                if recorded:
                    conn.execute(
                        insert(ampscript_writes).values(
                            job_id=self.job_id,
                            write_key=f"crm:{key}"[:200],
                            rows=1,
                            result=result,
                            created_at=utcnow(),
                        )
                    )
                return str(result)
        except SendwellError as exc:
            raise CrmFailure(exc.message) from None


def _create(
    conn: Connection, connector: Any, mid: int, object_type: str, values: dict[str, str]
) -> str:
    if isinstance(connector, SalesforceApiConnector):
        made = connector._call(lambda sf: getattr(sf, object_type).create(values))
        return to18(str(made["id"]))
    return _Local(conn, mid).create(object_type, values)


def _update(
    conn: Connection,
    connector: Any,
    mid: int,
    object_type: str,
    record_id: str,
    values: dict[str, str],
) -> bool:
    if isinstance(connector, SalesforceApiConnector):
        status = connector._call(lambda sf: getattr(sf, object_type).update(record_id, values))
        return int(status) < 300
    return _Local(conn, mid).update(object_type, record_id, values)


class PreviewCrm(AccountCrm):
    """Previews: records are read; creates and updates change nothing."""

    def create(self, object_type: str, values: Sequence[tuple[str, str]], key: str | None) -> str:
        """A made-up ID: nothing is created in a preview."""
        return to18(_PREFIXES.get(object_type.lower(), "001") + "0" * 12)

    def update(
        self, object_type: str, record_id: str, values: Sequence[tuple[str, str]], key: str | None
    ) -> bool:
        """True: nothing is updated in a preview."""
        return True
