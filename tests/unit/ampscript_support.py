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
