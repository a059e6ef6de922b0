"""Content blocks for AMPscript's ``ContentBlockByName``/``ByKey``/``ByID``: what a send or
preview reads them from.

* ``EmailBlocks``: the account's Emails (by Name, CustomerKey or ID), the HTML body being the
  block's content. It stands in until Content Builder assets are stored; a source with those
  takes its place in ``lookups.job_environment``.
* ``DirectoryBlocks``: ``sendwell render --content-dir DIR``, where the file ``DIR/NAME.EXT``
  (any extension) is the block named or keyed ``NAME`` (or with the ID ``NAME``).

Neither has classic content areas (``ContentArea``): those refuse with a located error.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine

from sendwell.services.catalog import find_ref

_FIELDS = {"name": "Name", "key": "CustomerKey", "id": "ID"}
MAX_BLOCK_BYTES = 1_000_000  # a block bigger than this is not read


class EmailBlocks:
    """An account's Emails as content blocks; each block is read once per instance (a job)."""

    def __init__(self, engine: Engine, mid: int) -> None:
        self.engine = engine
        self.mid = mid
        self._found: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()

    def block(self, by: str, ref: str) -> str | None:
        """The HTML body of the Email whose Name, CustomerKey or ID is ``ref``, or None."""
        field = _FIELDS.get(by)
        if field is None:
            return None
        with self._lock:
            if (by, ref) not in self._found:
                with self.engine.connect() as conn:
                    row = find_ref(conn, self.mid, "Email", {field: ref})
                body = row.props.get("HTMLBody") if row is not None else None
                self._found[(by, ref)] = body if isinstance(body, str) else None
            return self._found[(by, ref)]


class DirectoryBlocks:
    """Files of a folder as content blocks: ``NAME.EXT`` is the block named ``NAME``."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise ValueError(f"--content-dir {folder} is not a folder")
        self.files: dict[str, Path] = {}
        for path in sorted(folder.iterdir()):
            if path.is_file():
                self.files.setdefault(path.stem.lower(), path)

    def block(self, by: str, ref: str) -> str | None:
        """The file's text for a name, key or ID; None for content areas and unknown names."""
        if by not in _FIELDS:
            return None
        path = self.files.get(ref.strip().lower())
        if path is None or path.stat().st_size > MAX_BLOCK_BYTES:
            return None
        return path.read_text(encoding="utf-8-sig")
