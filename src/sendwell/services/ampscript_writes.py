"""Where AMPscript's data extension writes go.

* ``DataExtensionWrites``: a send's writes to the account's data extensions, each once per
  key (recipient, content, call site, run: ``ampscript_writes``), in one transaction with the
  record of it, so a retried chunk writes nothing twice. Rows are checked as every other row
  is (``audience_data``): unknown columns, values of the wrong type, missing required fields
  and duplicate primary keys are refused with the data extension's message.
* ``PreviewWrites``: previews and ``sendwell render``. Writes change nothing: they run against
  the data as read, give the counts they would give, and are listed in ``log`` (the CLI prints
  them on standard error).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, delete, func, insert, or_, select, update

from sendwell.domain.ampscript.data_functions import same_cell
from sendwell.domain.ampscript.runtime import DataSource, DataWrite, DataWriteFailure
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import SendwellError
from sendwell.services.audience_data import (  # the one validation of data extension rows
    _row_values,
    _sendable_columns,
    insert_rows,
    row_key,
    validate_row,
)
from sendwell.services.rules import de_fields
from sendwell.store.tables import ampscript_writes, de_rows, objects

Pairs = tuple[tuple[str, str], ...]
_TRUE = ("true", "1", "yes", "y")


def _matches(data: Mapping[str, object], pairs: Pairs) -> bool:
    cells = {str(k).lower(): v for k, v in data.items()}
    return all(
        column.lower() in cells and same_cell(cells[column.lower()], value, False)
        for column, value in pairs
    )


class _Reader(Protocol):
    def forget(self, data_extension: str) -> None: ...


class DataExtensionWrites:
    """A send job's writes to its account's data extensions."""

    def __init__(
        self, engine: Engine, mid: int, job_id: int, reader: _Reader | None = None
    ) -> None:
        self.engine = engine
        self.mid = mid
        self.job_id = job_id
        self.reader = reader

    def write(self, request: DataWrite) -> int:
        """Apply ``request`` once per key; the rows it changed (as the first time)."""
        try:
            with self.engine.begin() as conn:
                if request.key is not None:
                    done = conn.execute(
                        select(ampscript_writes.c.rows).where(
                            ampscript_writes.c.job_id == self.job_id,
                            ampscript_writes.c.write_key == request.key[:200],
                        )
                    ).scalar()
                    if done is not None:
                        return int(done)
                de = self._de(conn, request.data_extension)
                changed = _apply(conn, de, request)
                if request.key is not None:
                    conn.execute(
                        insert(ampscript_writes).values(
                            job_id=self.job_id,
                            write_key=request.key[:200],
                            rows=changed,
                            created_at=utcnow(),
                        )
                    )
        except SendwellError as exc:
            raise DataWriteFailure(str(exc)) from None
        self._forget(request.data_extension)
        return changed

    def claim(
        self, data_extension: str, claim_column: str, keys: Pairs, key: str | None
    ) -> Mapping[str, object] | None:
        """The row claimed with ``keys``, or the first unclaimed one, claimed now."""
        try:
            with self.engine.begin() as conn:
                de = self._de(conn, data_extension)
                rows = conn.execute(
                    select(de_rows.c.id, de_rows.c.data)
                    .where(de_rows.c.de_id == de.id)
                    .order_by(de_rows.c.id)
                    .with_for_update()
                ).all()
                flag = _column(de, claim_column)
                for row in rows:
                    if _claimed(row.data, flag) and _matches(row.data, keys):
                        return dict(row.data)
                for row in rows:
                    if not _claimed(row.data, flag):
                        given = [(flag, "true"), *keys]
                        merged = {**row.data, **_row_values(de.props, given, partial=True)}
                        conn.execute(
                            update(de_rows)
                            .where(de_rows.c.id == row.id)
                            .values(
                                data=merged,
                                row_key=row_key(de.props, merged),
                                **_sendable_columns(de.props, merged),
                            )
                        )
                        self._forget(data_extension)
                        return merged
        except SendwellError as exc:
            raise DataWriteFailure(str(exc)) from None
        return None

    def _de(self, conn: Connection, name: str) -> Any:
        lowered = name.strip().lower()
        de = conn.execute(
            select(objects)
            .where(
                objects.c.mid == self.mid,
                objects.c.type == "DataExtension",
                or_(
                    func.lower(objects.c.name) == lowered,
                    func.lower(objects.c.customer_key) == lowered,
                ),
            )
            .order_by(func.lower(objects.c.name) != lowered, objects.c.id)
        ).first()
        if de is None:
            raise DataWriteFailure(f"no data extension is named {name!r}")
        return de

    def _forget(self, name: str) -> None:
        if self.reader is not None:
            self.reader.forget(name)


def _column(de: Any, name: str) -> str:
    for field in de_fields(de.props):
        if str(field.get("Name", "")).lower() == name.strip().lower():
            return str(field["Name"])
    raise DataWriteFailure(f"the data extension has no column {name!r}")


def _claimed(data: Mapping[str, object], flag: str) -> bool:
    return str(data.get(flag) or "").strip().lower() in _TRUE


def _apply(conn: Connection, de: Any, request: DataWrite) -> int:
    if request.kind == "insert":
        data = validate_row(de.props, dict(request.values))
        _refuse_duplicate(conn, de, data)
        return insert_rows(conn, de, [data])
    rows = conn.execute(
        select(de_rows.c.id, de_rows.c.data).where(de_rows.c.de_id == de.id).order_by(de_rows.c.id)
    ).all()
    matching = [r for r in rows if _matches(r.data, request.filters)]
    if request.kind == "delete":
        if matching:
            conn.execute(delete(de_rows).where(de_rows.c.id.in_([r.id for r in matching])))
        return len(matching)
    changes = _row_values(de.props, list(request.values), partial=True)
    if not matching and request.kind == "upsert":
        data = validate_row(de.props, {**dict(request.filters), **changes})
        _refuse_duplicate(conn, de, data)
        return insert_rows(conn, de, [data])
    for row in matching:
        merged = {**row.data, **changes}
        conn.execute(
            update(de_rows)
            .where(de_rows.c.id == row.id)
            .values(
                data=merged,
                row_key=row_key(de.props, merged),
                **_sendable_columns(de.props, merged),
            )
        )
    return len(matching)


def _refuse_duplicate(conn: Connection, de: Any, data: Mapping[str, str]) -> None:
    key = row_key(de.props, data)
    if (
        key is not None
        and conn.execute(
            select(de_rows.c.id).where(de_rows.c.de_id == de.id, de_rows.c.row_key == key)
        ).first()
    ):
        raise DataWriteFailure("a row with that primary key already exists")


class PreviewWrites:
    """Writes that change nothing: counted against the data as read, and listed in ``log``."""

    def __init__(self, source: DataSource | None) -> None:
        self.source = source
        self.log: list[str] = []

    def _rows(self, name: str) -> Sequence[Mapping[str, object]]:
        found = self.source.rows(name, (), False) if self.source is not None else None
        if found is None:
            raise DataWriteFailure(f"no data extension is named {name!r}")
        return found

    def write(self, request: DataWrite) -> int:
        """The rows ``request`` would change; nothing changes."""
        rows = self._rows(request.data_extension)
        if request.kind == "insert":
            changed = 1
        else:
            changed = sum(1 for r in rows if _matches(r, request.filters))
            if request.kind == "upsert" and not changed:
                changed = 1
        self.log.append(_describe(request, changed))
        return changed

    def claim(
        self, data_extension: str, claim_column: str, keys: Pairs, key: str | None
    ) -> Mapping[str, object] | None:
        """The row a claim would take; nothing is claimed."""
        rows = self._rows(data_extension)
        flag = claim_column.strip().lower()
        lowered = [{str(k).lower(): v for k, v in r.items()} for r in rows]
        for row in lowered:
            if _claimed(row, flag) and _matches(row, keys):
                return row
        for row in lowered:
            if not _claimed(row, flag):
                self.log.append(f"would claim a row of {data_extension!r} for {dict(keys)}")
                return row
        return None


def _describe(request: DataWrite, changed: int) -> str:
    where = f" where {dict(request.filters)}" if request.filters else ""
    values = f" {dict(request.values)}" if request.values else ""
    return f"would {request.kind}{values} in {request.data_extension!r}{where} ({changed} rows)"
