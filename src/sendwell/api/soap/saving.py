"""``Options/SaveOptions/SaveOption``: how Create and Update save an object.

A SaveOption names a ``PropertyName`` and a ``SaveAction``. For the whole object (``*``, or the
object's type name) the action decides what the operation does, with Marketing Cloud's upsert
semantics (FuelSDK-Ruby's upsert sends ``*`` / ``UpdateAdd``):

- ``Default``: the operation as asked;
- ``AddOnly``: create it; one that exists is an error;
- ``UpdateOnly``: update it; one that does not exist is an error;
- ``UpdateAdd``: update it if it exists, else create it;
- ``Nothing``: leave it as it is;
- ``Delete``: delete it.

For one property, ``Nothing`` leaves that property out of the write; the other actions are the
operation's own way of saving a property (inferred: Marketing Cloud documents the object-level
form only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from sendwell.domain.errors import Duplicate, NotFound
from sendwell.services.catalog import Kind

# For each (operation, SaveAction): the kind's method to call, and the one to fall back to
# when the first says the object exists (Duplicate) or does not (NotFound).
PLAN: dict[tuple[str, str], tuple[str, str | None]] = {
    ("Create", "AddOnly"): ("create", None),
    ("Create", "UpdateOnly"): ("update", None),
    ("Create", "UpdateAdd"): ("create", "update"),
    ("Update", "AddOnly"): ("create", None),
    ("Update", "UpdateOnly"): ("update", None),
    ("Update", "UpdateAdd"): ("update", "create"),
}
PAST = {"create": "created", "update": "updated", "delete": "deleted"}


def save_action(options: Mapping[str, Any] | None, type_name: str) -> str:
    """The object-level SaveAction of a request's Options (``Default`` without one)."""
    for option in _options(options):
        name = str(option.get("PropertyName") or "").strip()
        if name == "*" or name.lower() == type_name.lower():
            return str(option.get("SaveAction") or "Default")
    return "Default"


def without_unsaved(options: Mapping[str, Any] | None, obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without the properties a SaveOption says ``Nothing`` for."""
    skipped = {
        str(o.get("PropertyName") or "").strip().lower()
        for o in _options(options)
        if o.get("SaveAction") == "Nothing"
    }
    return {k: v for k, v in obj.items() if k.lower() not in skipped}


def _options(options: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return list(((options or {}).get("SaveOptions") or {}).get("SaveOption") or [])


def save(
    kind: Kind, op: str, action: str, conn: Connection, mid: int, obj: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """Write ``obj`` as ``op`` under ``action``; the stored object and what was done
    ("created", "updated", "deleted", or "left as it was")."""
    if action == "Nothing":
        return dict(obj), "left as it was"
    if action == "Delete":
        return kind.delete(conn, mid, obj), PAST["delete"]
    first, fallback = PLAN.get((op, action), (op.lower(), None))
    if first == "update" and action == "UpdateOnly":
        obj = {**obj, "__update_only__": True}  # data extension rows: no upsert
    if fallback is None:
        return getattr(kind, first)(conn, mid, obj), PAST[first]
    expected = Duplicate if first == "create" else NotFound
    try:
        with conn.begin_nested():  # the first try leaves nothing behind when it fails
            return getattr(kind, first)(conn, mid, obj), PAST[first]
    except expected:
        return getattr(kind, fallback)(conn, mid, obj), PAST[fallback]
