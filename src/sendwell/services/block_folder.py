"""Content blocks of ``sendwell render --content-dir DIR``: the file ``DIR/NAME.EXT`` (any
extension) is the block named or keyed ``NAME`` (or with the ID ``NAME``). Sends and previews
read the account's blocks and emails instead (``content_blocks.AccountContent``). There are no
classic content areas (``ContentArea``): those refuse with a located error.
"""

from __future__ import annotations

from pathlib import Path

_FIELDS = ("name", "key", "id")
MAX_BLOCK_BYTES = 1_000_000  # a block bigger than this is not read


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
