"""What AMPscript reads during a send or a preview: an account's data extensions and the
system strings of the job.

``DataExtensionLookups`` is the ``DataSource`` behind ``Lookup``, ``LookupRows`` and
``LookupOrderedRows``: the first lookup into a data extension reads its rows once and indexes
them by the columns looked up, so a job's later lookups (one or more per recipient) cost a
dictionary access. ``job_environment`` keeps one per job, shared by the workers of a process.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence

from sqlalchemy import Engine, func, or_, select

from sendwell.domain.ampscript import RenderEnvironment
from sendwell.domain.ampscript.data_functions import same_cell
from sendwell.domain.ampscript.runtime import HttpSource
from sendwell.domain.ampscript.values import decimal_text, number_or_none
from sendwell.domain.clock import SYSTEM_UTC_OFFSET_MINUTES
from sendwell.domain.jobs import JobSpec
from sendwell.services.ampscript_api import AccountApi
from sendwell.services.ampscript_crm import AccountCrm
from sendwell.services.ampscript_writes import DataExtensionWrites
from sendwell.services.content_blocks import AccountContent
from sendwell.services.key_store import AccountKeys
from sendwell.store.tables import accounts, de_rows, objects

Row = Mapping[str, object]


class DataExtensionLookups:
    """An account's data extensions, by name (case-insensitive; customer key as a fallback)."""

    def __init__(self, engine: Engine, mid: int) -> None:
        self.engine = engine
        self.mid = mid
        self._tables: dict[str, list[Row] | None] = {}
        self._indexes: dict[tuple[str, tuple[str, ...]], dict[tuple[str, ...], list[Row]]] = {}
        self._lock = threading.Lock()

    def rows(
        self, data_extension: str, filters: Sequence[tuple[str, str]], case_sensitive: bool
    ) -> Sequence[Row] | None:
        name = data_extension.strip().lower()
        columns = tuple(column.strip().lower() for column, _ in filters)
        with self._lock:
            table = self._table(name)
            if table is None:
                return None
            index = self._indexes.get((name, columns))
            if index is None:
                index = self._indexes[(name, columns)] = _index(table, columns)
        found = index.get(tuple(_key(value) for _, value in filters), [])
        if case_sensitive:
            found = [
                row
                for row in found
                if all(
                    same_cell(_cell(row, c), v, True)
                    for c, (_, v) in zip(columns, filters, strict=True)
                )
            ]
        return found

    def forget(self, data_extension: str) -> None:
        """Read the data extension anew next time: content wrote to it."""
        name = data_extension.strip().lower()
        with self._lock:
            if name in self._tables:
                self._tables.pop(name)
                self._indexes = {k: v for k, v in self._indexes.items() if k[0] != name}
            else:  # named another way (its customer key) than it was read: forget them all
                self._tables.clear()
                self._indexes.clear()

    def _table(self, name: str) -> list[Row] | None:
        if name not in self._tables:
            with self.engine.connect() as conn:
                de = conn.execute(
                    select(objects.c.id)
                    .where(
                        objects.c.mid == self.mid,
                        objects.c.type == "DataExtension",
                        or_(
                            func.lower(objects.c.name) == name,
                            func.lower(objects.c.customer_key) == name,
                        ),
                    )
                    .order_by(func.lower(objects.c.name) != name, objects.c.id)
                ).first()
                self._tables[name] = (
                    None
                    if de is None
                    else [
                        r.data
                        for r in conn.execute(
                            select(de_rows.c.data)
                            .where(de_rows.c.de_id == de.id)
                            .order_by(de_rows.c.id)
                        )
                    ]
                )
        return self._tables[name]


def _cell(row: Row, column: str) -> object:
    for key, value in row.items():
        if key.lower() == column:
            return value
    return _MISSING


_MISSING = object()


def _key(value: object) -> str:
    """How a value is indexed: numbers by value, text without regard to case."""
    if value is None or value is _MISSING:
        return ""
    shown = value if isinstance(value, str) else str(value)
    amount = number_or_none(shown)
    return decimal_text(amount) if amount is not None else shown.casefold()


def _index(table: list[Row], columns: tuple[str, ...]) -> dict[tuple[str, ...], list[Row]]:
    index: dict[tuple[str, ...], list[Row]] = {}
    for row in table:
        lowered = {str(k).lower(): v for k, v in row.items()}
        if all(c in lowered for c in columns):
            index.setdefault(tuple(_key(lowered[c]) for c in columns), []).append(row)
    return index


# --- One environment per job -------------------------------------------------------------

_JOBS_KEPT = 16
_environments: weakref.WeakKeyDictionary[Engine, OrderedDict[int, RenderEnvironment]] = (
    weakref.WeakKeyDictionary()
)
_environments_lock = threading.Lock()


def job_environment(
    engine: Engine,
    job_id: int,
    mid: int,
    spec: JobSpec,
    utc_offset_minutes: int = SYSTEM_UTC_OFFSET_MINUTES,
    http: HttpSource | None = None,
    secret_key: str = "",
    pages_url: str = "",
) -> RenderEnvironment:
    """The AMPscript environment of a send job, made once and kept for its next chunks;
    ``Now()`` is system time, UTC plus ``utc_offset_minutes``; ``http`` serves HTTPGet and
    HTTPPost (None: they are refused); ``secret_key`` opens the account's key store;
    ``pages_url`` is where CloudPagesURL links."""
    with _environments_lock:
        jobs = _environments.setdefault(engine, OrderedDict())
        found = jobs.get(job_id)
        if found is not None:
            jobs.move_to_end(job_id)
            return found
    system = system_strings(
        engine,
        mid,
        spec.email.id,
        spec.email.name,
        reply_name=spec.from_name,
        reply_address=spec.reply_to or spec.from_address,
    )
    reader = DataExtensionLookups(engine, mid)
    made = RenderEnvironment(
        data=reader,
        content=AccountContent(engine, mid),
        http=http,
        writes=DataExtensionWrites(engine, mid, job_id, reader),
        api=AccountApi(engine, mid, job_id),
        crm=AccountCrm(engine, mid, secret_key, job_id),
        pages_url=pages_url,
        keys=AccountKeys(engine, mid, secret_key) if secret_key else None,
        system=system,
        utc_offset_minutes=utc_offset_minutes,
    )
    with _environments_lock:
        jobs = _environments.setdefault(engine, OrderedDict())
        jobs[job_id] = made
        while len(jobs) > _JOBS_KEPT:
            jobs.popitem(last=False)
    return made


def system_strings(
    engine: Engine,
    mid: int,
    email_id: int,
    email_name: str | None,
    *,
    reply_name: str | None = None,
    reply_address: str | None = None,
) -> dict[str, str]:
    """The system strings of a send or preview: its email, its sender, its business unit."""
    with engine.connect() as conn:
        business = conn.execute(select(accounts.c.name).where(accounts.c.mid == mid)).scalar()
    strings = {
        "_emailid": email_id,
        "emailname_": email_name,
        "memberid": mid,
        "member_busname": business,
        "replyname": reply_name,
        "replyemailaddress": reply_address,
    }
    return {key: str(value) for key, value in strings.items() if value not in (None, "")}
