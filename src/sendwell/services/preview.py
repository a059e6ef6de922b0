"""Preview: what an email renders to for one subscriber, as Marketing Cloud's preview shows it.

Two callers: the REST route (an email and a subscriber of an account, lookups into the
account's data extensions) and ``sendwell render`` (a file, attributes given as JSON, lookups
into CSV files). Both render every part in Marketing Cloud's order with one shared context and
``%%_messagecontext%%`` = ``PREVIEW``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from sendwell.domain.ampscript import AmpscriptError, RenderEnvironment
from sendwell.domain.ampscript.data_functions import rows_matching
from sendwell.domain.ampscript.runtime import HttpSource
from sendwell.domain.clock import SYSTEM_UTC_OFFSET_MINUTES
from sendwell.domain.content import render_parts
from sendwell.domain.errors import REST_NOT_FOUND, NotFound
from sendwell.services.ampscript_api import PreviewApi
from sendwell.services.ampscript_crm import PreviewCrm
from sendwell.services.ampscript_writes import PreviewWrites
from sendwell.services.block_folder import DirectoryBlocks
from sendwell.services.catalog import find_ref
from sendwell.services.content_blocks import AccountContent
from sendwell.services.key_store import AccountKeys
from sendwell.services.lookups import DataExtensionLookups, system_strings
from sendwell.store.tables import subscribers

PARTS = {"subject": "Subject", "html": "HTMLBody", "text": "TextBody"}


def preview_email(
    engine: Engine,
    mid: int,
    email_id: int,
    subscriber_key: str | None,
    attributes: Mapping[str, Any],
    utc_offset_minutes: int = SYSTEM_UTC_OFFSET_MINUTES,
    secret_key: str = "",
    http: HttpSource | None = None,
    pages_url: str = "",
) -> dict[str, str | None]:
    """``{"subject", "html", "text"}`` of an account's email for one subscriber; ``Now()``
    is system time, UTC plus ``utc_offset_minutes``.

    Raises ``NotFound``, ``AmpscriptError`` (naming part, line and column) and
    ``RecipientSkipped`` (the content called ``RaiseError``).
    """
    with engine.connect() as conn:
        email = find_ref(conn, mid, "Email", {"ID": email_id})
        if email is None:
            raise NotFound(f"No email with Id {email_id}", REST_NOT_FOUND)
        subscriber = (
            conn.execute(
                select(subscribers.c.email, subscribers.c.attributes).where(
                    subscribers.c.mid == mid, subscribers.c.subscriber_key == subscriber_key
                )
            ).first()
            if subscriber_key
            else None
        )
    values: dict[str, object] = {}
    if subscriber is not None:
        values.update(_lowered(subscriber.attributes))
        values["emailaddr"] = subscriber.email
    values.update(_lowered(attributes))
    if subscriber_key:
        values["_subscriberkey"] = subscriber_key
    reader = DataExtensionLookups(engine, mid)
    environment = RenderEnvironment(
        data=reader,
        writes=PreviewWrites(reader),  # a preview changes no data
        api=PreviewApi(engine, mid),
        crm=PreviewCrm(engine, mid, secret_key),
        keys=AccountKeys(engine, mid, secret_key) if secret_key else None,
        http=http,
        pages_url=pages_url,
        content=AccountContent(engine, mid),
        system=system_strings(engine, mid, email.id, email.props.get("Name")),
        message_context="PREVIEW",
        utc_offset_minutes=utc_offset_minutes,
    )
    parts = {name: email.props.get(part) for name, part in PARTS.items()}
    rendered = render_parts({PARTS[k]: v for k, v in parts.items()}, values, environment)
    return {name: rendered.get(part) for name, part in PARTS.items()}


def _lowered(attributes: Mapping[str, Any]) -> dict[str, str | None]:
    return {
        str(k).lower(): None if v is None else v if isinstance(v, str) else json.dumps(v)
        for k, v in attributes.items()
    }


# --- sendwell render ---------------------------------------------------------------------


class CsvDataExtensions:
    """Data extensions read from CSV files (a header row of column names; empty cells null)."""

    def __init__(self, tables: Mapping[str, Sequence[Mapping[str, object]]]) -> None:
        self.tables = {name.strip().lower(): list(rows) for name, rows in tables.items()}

    @classmethod
    def from_options(cls, options: Sequence[str]) -> CsvDataExtensions:
        """From ``NAME=path.csv`` options; raises ValueError for a malformed one."""
        tables: dict[str, list[dict[str, object]]] = {}
        for option in options:
            name, sep, path = option.partition("=")
            if not sep or not name.strip() or not path:
                raise ValueError(f"--data-extension takes NAME=FILE.csv, not {option!r}")
            with Path(path).open(newline="", encoding="utf-8-sig") as handle:
                tables[name] = [
                    {k: (v if v != "" else None) for k, v in row.items() if k is not None}
                    for row in csv.DictReader(handle)
                ]
        return cls(tables)

    def rows(
        self, data_extension: str, filters: Sequence[tuple[str, str]], case_sensitive: bool
    ) -> Sequence[Mapping[str, object]] | None:
        rows = self.tables.get(data_extension.strip().lower())
        return None if rows is None else rows_matching(rows, filters, case_sensitive)


def render_file(
    content: str,
    part: str,
    attributes: Mapping[str, Any],
    data: CsvDataExtensions,
    utc_offset_minutes: int = SYSTEM_UTC_OFFSET_MINUTES,
    content_dir: Path | None = None,
    http: HttpSource | None = None,
    writes: PreviewWrites | None = None,
) -> str:
    """What ``content`` renders to as the given part (html, text or subject).

    ``content`` may also be a JSON email (``{"subject": …, "html": …, "text": …}``, or the
    partner API's ``Subject``/``HTMLBody``/``TextBody``): every part then runs, in Marketing
    Cloud's order, and ``part`` chooses the one printed. Content blocks are the files of
    ``content_dir`` (``NAME.EXT`` is the block named or keyed ``NAME``). Data extension writes
    change nothing: ``writes.log`` lists what they would write.
    """
    email = _email_parts(content)
    values = _lowered(attributes)
    environment = RenderEnvironment(
        data=data,
        content=DirectoryBlocks(content_dir) if content_dir is not None else None,
        http=http,
        writes=writes if writes is not None else PreviewWrites(data),
        api=PreviewApi(None, None),
        message_context="PREVIEW",
        utc_offset_minutes=utc_offset_minutes,
    )
    try:
        rendered = render_parts(email or {PARTS[part]: content}, values, environment)
    except AmpscriptError as exc:
        if email is None:  # one part: the file is the part, no need to name it
            raise AmpscriptError(exc.message, exc.line, exc.column) from None
        raise
    return rendered.get(PARTS[part]) or ""


def _email_parts(content: str) -> dict[str, str] | None:
    try:
        given = json.loads(content)
    except ValueError:
        return None
    if not isinstance(given, dict):
        return None
    names = {**{k: v for k, v in PARTS.items()}, **{v.lower(): v for v in PARTS.values()}}
    parts = {names[k.lower()]: v for k, v in given.items() if k.lower() in names}
    if not parts or not all(isinstance(v, str) or v is None for v in parts.values()):
        return None
    return parts
