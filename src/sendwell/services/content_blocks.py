"""What AMPscript's ``ContentBlockByName``, ``ContentBlockByKey`` and ``ContentBlockByID`` read
during a send: the account's Content Builder content blocks, and its emails (an email's content is
its HTML view); ``ContentArea`` and ``ContentAreaByName`` read its classic content areas
(``services.content_areas``).

``AccountContent`` is made once per job (or preview) and asked once per recipient or more, so it
keeps every answer, found or not: a block costs one query per job, however many recipients use it.
Within an account a block is found before an email of the same key or name. Sendwell keeps no
folders, so a name given as a Content Builder path (``Content Builder\\Shared\\Footer``) is looked
up by its last part (inferred: the path only places the block in Marketing Cloud's folders).
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, case, func, select

from sendwell.domain.limits import parse_id
from sendwell.services.asset_json import BLOCK_TYPE, EMAIL_TYPE, EXTRAS, STORED_TYPES
from sendwell.services.content_areas import area_content
from sendwell.store.tables import objects

LOOKUPS = ("name", "key", "id")
AREA_LOOKUPS = ("area_id", "area_name")  # classic content areas (services.content_areas)


class AccountContent:
    """The content blocks and emails of one account, read by name, customer key or ID."""

    def __init__(self, engine: Engine, mid: int) -> None:
        self.engine = engine
        self.mid = mid
        self._found: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()

    def block(self, by: str, ref: str) -> str | None:
        """The content of the block (or email) that ``ref`` names; ``by`` is "name", "key" or
        "id". None when the account has none."""
        if by not in LOOKUPS + AREA_LOOKUPS:
            choices = ", ".join(LOOKUPS + AREA_LOOKUPS)
            raise ValueError(f"by must be one of {choices}, not {by!r}")
        wanted = (by, str(ref))
        with self._lock:
            if wanted in self._found:
                return self._found[wanted]
        content = self._read(by, str(ref))
        with self._lock:
            self._found[wanted] = content
        return content

    def _read(self, by: str, ref: str) -> str | None:
        if by in AREA_LOOKUPS:
            with self.engine.connect() as conn:
                return area_content(conn, self.mid, by, ref)  # type: ignore[arg-type]
        query = select(objects.c.type, objects.c.props).where(
            objects.c.mid == self.mid, objects.c.type.in_(STORED_TYPES)
        )
        if by == "id":
            number = parse_id(ref)
            if number is None:
                return None
            query = query.where(objects.c.id == number)
        elif by == "key":
            # An exact key first, then one that differs in case only.
            query = query.where(func.lower(objects.c.customer_key) == ref.strip().lower())
            query = query.order_by(case((objects.c.customer_key == ref.strip(), 0), else_=1))
        else:
            name = ref.replace("/", "\\").rsplit("\\", 1)[-1].strip()
            query = query.where(func.lower(objects.c.name) == name.lower())
        query = query.order_by(case((objects.c.type == BLOCK_TYPE, 0), else_=1), objects.c.id)
        with self.engine.connect() as conn:
            row = conn.execute(query.limit(1)).first()
        return None if row is None else content_of(row.type, row.props)


def content_of(type_name: str, props: dict[str, Any]) -> str:
    """What a block (its ``content``) or an email (its HTML view) gives a ContentBlock call."""
    if type_name == EMAIL_TYPE:
        return props.get("HTMLBody") or ""
    content = (props.get(EXTRAS) or {}).get("content")
    return content if isinstance(content, str) else ""
