"""Helpers for the AMPscript tests: the table-case shape and its check, an in-memory data
source, content blocks and key store, and a fixed clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from sendwell.domain.ampscript import (
    AmpscriptError,
    RecipientSkipped,
    RenderEnvironment,
    compile_content,
)
from sendwell.domain.ampscript.data_functions import rows_matching

NOW = datetime(2024, 3, 5, 14, 7, 9)  # a Tuesday, in system time


class Tables:
    """Data extensions as lists of rows, by name (case-insensitive); counts every read."""

    def __init__(self, tables: Mapping[str, Sequence[Mapping[str, object]]]) -> None:
        self.tables = {name.lower(): list(rows) for name, rows in tables.items()}
        self.reads = 0

    def rows(
        self, data_extension: str, filters: Sequence[tuple[str, str]], case_sensitive: bool
    ) -> Sequence[Mapping[str, object]] | None:
        self.reads += 1
        rows = self.tables.get(data_extension.lower())
        return None if rows is None else rows_matching(rows, filters, case_sensitive)


def environment(
    tables: Mapping[str, Sequence[Mapping[str, object]]] | None = None,
    system: Mapping[str, str] | None = None,
    **options: object,
) -> RenderEnvironment:
    return RenderEnvironment(
        data=Tables(tables or {}),
        clock=lambda: NOW,
        system=dict(system or {}),
        **options,  # type: ignore[arg-type]
    )


class Blocks:
    """Content blocks by name, customer key and ID (``{by: {ref: content}}``)."""

    def __init__(self, blocks: Mapping[str, Mapping[str, str]]) -> None:
        self.blocks = {by: {k.lower(): v for k, v in refs.items()} for by, refs in blocks.items()}

    def block(self, by: str, ref: str) -> str | None:
        return self.blocks.get(by, {}).get(ref.lower())


class Keys:
    """A key store: values by external key."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        self.keys = dict(keys)

    def key(self, external_key: str) -> str | None:
        return self.keys.get(external_key)


@dataclass(frozen=True)
class Case:
    id: str
    template: str
    expected: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    data: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    error: tuple[int, int, str] | None = None  # line, column, words the message contains
    skipped: str | None = None  # RaiseError's message


def check(case: Case, env: RenderEnvironment) -> None:
    """Render the case's template in ``env``: its text, its located error or its RaiseError."""
    if case.error is not None:
        line, column, words = case.error
        with pytest.raises(AmpscriptError) as raised:
            compile_content(case.template).render(case.attrs, env)
        assert words in raised.value.message
        assert (raised.value.line, raised.value.column) == (line, column), str(raised.value)
    elif case.skipped is not None:
        with pytest.raises(RecipientSkipped) as skipped:
            compile_content(case.template).render(case.attrs, env)
        assert skipped.value.message == case.skipped
    else:
        assert compile_content(case.template).render(case.attrs, env) == case.expected


class MemoryWrites:
    """Data extension writes into ``Tables``' rows, once per key; every applied write is kept
    in ``applied`` (an in-memory ``DataWriter``, as ``Tables`` is a ``DataSource``)."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.done: dict[str, int] = {}
        self.applied: list[object] = []

    def _rows(self, name: str) -> list[dict[str, object]]:
        from sendwell.domain.ampscript.runtime import DataWriteFailure

        rows = self.tables.tables.get(name.lower())
        if rows is None:
            raise DataWriteFailure(f"no data extension is named {name!r}")
        return rows  # type: ignore[return-value]

    def write(self, request: Any) -> int:
        if request.key is not None and request.key in self.done:
            return self.done[request.key]
        rows = self._rows(request.data_extension)
        matching = rows_matching(rows, request.filters, False) if request.filters else []
        if request.kind == "insert" or (request.kind == "upsert" and not matching):
            rows.append({**dict(request.filters), **dict(request.values)})
            changed = 1
        elif request.kind == "delete":
            for row in matching:
                rows.remove(row)
            changed = len(matching)
        else:
            for row in matching:
                row.update(dict(request.values))
            changed = len(matching)
        self.applied.append(request)
        if request.key is not None:
            self.done[request.key] = changed
        return changed

    def claim(self, data_extension: str, claim_column: str, keys: Any, key: Any) -> Any:
        rows = self._rows(data_extension)
        claimed = [r for r in rows if str(r.get(claim_column)).lower() == "true"]
        for row in rows_matching(claimed, keys, False):
            return row
        for row in rows:
            if str(row.get(claim_column)).lower() != "true":
                row.update({claim_column: "true", **dict(keys)})
                return row
        return None
