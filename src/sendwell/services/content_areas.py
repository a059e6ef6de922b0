"""Classic content areas (``ContentArea``): named pieces of content that emails pull in.

They are partner API catalog objects kept in the ``content`` folders (``my contents`` and the
folders below it). Their ``Content`` is checked as AMPscript when saved, as an Email's body is.
AMPscript's ``ContentArea(id)`` and ``ContentAreaByName("my contents\\folder\\name")`` read them
through ``area_content``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy import Connection, select

from sendwell.domain.errors import Invalid
from sendwell.domain.limits import parse_id
from sendwell.services.rules import check_content
from sendwell.store.tables import objects

CONTENT_AREA = "ContentArea"
LookupBy = Literal["area_id", "area_name"]


def normalise_content_area(conn: Connection, mid: int, props: dict, old: Mapping | None) -> dict:
    """A content area needs a Name; its Content (may be empty) must compile."""
    if not props.get("Name"):
        raise Invalid("ContentArea needs a Name.")
    props.setdefault("Content", "")
    props.setdefault("Layout", "HTMLWrapped")
    props["IsBlank"] = not props["Content"]
    check_content(props, "Content")
    return props


def area_content(conn: Connection, mid: int, by: LookupBy, ref: str | int) -> str | None:
    """The content of the account's content area named by ``ref``, or None if there is none.

    ``area_id``: its ID. ``area_name``: its Name, or a folder path from ``my contents`` with the
    name last (``my contents\\Promotions\\Banner``; ``/`` separates too), matched without regard
    to case, as ``ContentAreaByName`` takes it.
    """
    if by == "area_id":
        area_id = parse_id(ref)
        if area_id is None:
            return None
        row = conn.execute(
            select(objects.c.props).where(
                objects.c.mid == mid, objects.c.type == CONTENT_AREA, objects.c.id == area_id
            )
        ).first()
        return None if row is None else str(row.props.get("Content") or "")
    parts = [p.strip() for p in str(ref).replace("/", "\\").split("\\") if p.strip()]
    if not parts:
        return None
    for area in _areas(conn, mid):
        if str(area.props.get("Name", "")).lower() != parts[-1].lower():
            continue
        if len(parts) == 1 or _path_of(conn, mid, area) == [p.lower() for p in parts[:-1]]:
            return str(area.props.get("Content") or "")
    return None


def _areas(conn: Connection, mid: int) -> list[Any]:
    return list(
        conn.execute(
            select(objects.c.id, objects.c.props)
            .where(objects.c.mid == mid, objects.c.type == CONTENT_AREA)
            .order_by(objects.c.id)
        )
    )


def _path_of(conn: Connection, mid: int, area: Any) -> list[str]:
    """The lower-cased names of the folders from the root down to the area's folder."""
    folders = {
        row.id: row.props
        for row in conn.execute(
            select(objects.c.id, objects.c.props).where(
                objects.c.mid == mid, objects.c.type == "DataFolder"
            )
        )
    }
    path: list[str] = []
    folder = folders.get(parse_id(area.props.get("CategoryID")) or -1)
    while folder is not None and len(path) < 100:
        path.insert(0, str(folder.get("Name", "")).lower())
        folder = folders.get((folder.get("ParentFolder") or {}).get("ID") or -1)
    return path
