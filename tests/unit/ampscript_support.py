"""Helpers for the AMPscript tests: an in-memory data source and a fixed clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sendwell.domain.ampscript import RenderEnvironment
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
