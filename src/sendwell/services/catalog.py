"""Partner API objects that live in the ``objects`` table, and the registry of every kind.

A *kind* knows how to create, update, delete and retrieve one partner API object type. Most
types are "catalog" kinds: their decoded property dict is stored as JSON, with per-type rules
(``services.rules``) that validate it and resolve references. Subscribers, data extension rows,
sends and send events have kinds of their own over their own tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection, Select, bindparam, delete, insert, select, update

from sendwell.domain.clock import utcnow
from sendwell.domain.errors import (
    DE_NOT_FOUND,
    ERR_CANNOT_PERFORM,
    ERR_DUPLICATE,
    ERR_NOT_FOUND,
    Duplicate,
    Invalid,
    NotFound,
    SendwellError,
    shown,
)
from sendwell.domain.filters import Filter, evaluate
from sendwell.domain.limits import parse_id
from sendwell.domain.secrets import new_guid
from sendwell.store.tables import objects

SYSTEM_FIELDS = ("Client", "CreatedDate", "ModifiedDate", "ID", "ObjectID", "CustomerKey")


class Kind(Protocol):
    """What every object type offers to the API layers."""

    type_name: str

    def create(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]: ...
    def update(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]: ...
    def delete(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]: ...
    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]: ...


class Unsupported:
    """Base for kinds that allow only some operations."""

    type_name = ""

    def _refuse(self, op: str) -> dict[str, Any]:
        raise SendwellError(
            f"Cannot perform {op} on objects of type {self.type_name}", ERR_CANNOT_PERFORM
        )

    def create(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        return self._refuse("Create")

    def update(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        return self._refuse("Update")

    def delete(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        return self._refuse("Delete")

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        self._refuse("Retrieve")
        return [], False


# Rules: validate and normalise a property dict before it is stored (None = no rules).
Normalise = Callable[[Connection, int, dict[str, Any], Mapping[str, Any] | None], dict[str, Any]]
DeleteCheck = Callable[[Connection, int, Mapping[str, Any]], None]


class CatalogKind(Unsupported):
    """A partner API type stored as a property dict in the ``objects`` table."""

    def __init__(
        self,
        type_name: str,
        normalise: Normalise | None = None,
        name_field: str = "Name",
        before_delete: DeleteCheck | None = None,
        not_found_code: int = ERR_NOT_FOUND,
    ) -> None:
        self.type_name = type_name
        self.normalise = normalise
        self.name_field = name_field
        self.before_delete = before_delete
        self.not_found_code = not_found_code

    def create(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        props = _user_props(obj)
        if self.normalise:
            props = self.normalise(conn, mid, props, None)
        key = obj.get("CustomerKey") or new_guid()
        if _find(conn, mid, self.type_name, {"CustomerKey": key}) is not None:
            raise Duplicate(_in_use(self.type_name, key), ERR_DUPLICATE)
        stamp = utcnow()
        row_id = conn.execute(
            insert(objects).values(
                mid=mid,
                type=self.type_name,
                object_id=new_guid(),
                customer_key=key,
                name=props.get(self.name_field),
                props=to_json(props),
                created_at=stamp,
                modified_at=stamp,
            )
        ).inserted_primary_key[0]
        return self.to_api(conn.execute(select(objects).where(objects.c.id == row_id)).one())

    def update(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        row = self.find(conn, mid, obj)
        props = {**row.props, **_user_props(obj)}
        if self.normalise:
            props = self.normalise(conn, mid, props, row.props)
        values: dict[str, Any] = {
            "props": to_json(props),
            "name": props.get(self.name_field),
            "modified_at": utcnow(),
        }
        new_key = obj.get("CustomerKey")
        if new_key and new_key != row.customer_key and (obj.get("ObjectID") or obj.get("ID")):
            if _find(conn, mid, self.type_name, {"CustomerKey": new_key}) is not None:
                raise Duplicate(_in_use(self.type_name, new_key))
            values["customer_key"] = new_key
        conn.execute(update(objects).where(objects.c.id == row.id).values(**values))
        return self.to_api(conn.execute(select(objects).where(objects.c.id == row.id)).one())

    def delete(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        row = self.find(conn, mid, obj)
        if self.before_delete:
            self.before_delete(conn, mid, row)
        conn.execute(delete(objects).where(objects.c.id == row.id))
        return {
            "__type__": self.type_name,
            "ObjectID": row.object_id,
            "CustomerKey": row.customer_key,
        }

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        rows = rows_of(conn, mid, self.type_name)
        return page((self.to_api(r) for r in rows), tree, offset, limit)

    def find(self, conn: Connection, mid: int, ref: Mapping[str, Any]) -> Any:
        """The stored row ``ref`` names (by ID, ObjectID or CustomerKey); NotFound otherwise."""
        row = _find(conn, mid, self.type_name, ref)
        if row is None:
            raise NotFound(
                f"{self.type_name} {describe_ref(ref)} was not found.", self.not_found_code
            )
        return row

    def to_api(self, row: Any) -> dict[str, Any]:
        return {
            "__type__": self.type_name,
            "Client": {"ID": row.mid},
            "CreatedDate": row.created_at,
            "ModifiedDate": row.modified_at,
            "ID": row.id,
            "ObjectID": row.object_id,
            "CustomerKey": row.customer_key,
            **row.props,
        }


def rows_of(conn: Connection, mid: int, type_name: str) -> list[Any]:
    """The account's stored objects of one type, in ID order."""
    return list(
        conn.execute(
            select(objects)
            .where(objects.c.mid == mid, objects.c.type == type_name)
            .order_by(objects.c.id)
        )
    )


_REF_COLUMNS = {"ID": "id", "ObjectID": "object_id", "CustomerKey": "customer_key", "Name": "name"}


def _lookup(column: str) -> Select:
    return (
        select(objects)
        .where(
            objects.c.mid == bindparam("mid"),
            objects.c.type == bindparam("type"),
            objects.c[column] == bindparam("value"),
        )
        .limit(1)
    )


# Built once: a reference is resolved on every Perform and Create, and building the statement
# cost more than running it (SQLAlchemy's expression construction, ~0.1 ms a time).
_LOOKUPS = {field: _lookup(column) for field, column in _REF_COLUMNS.items()}


def _find(conn: Connection, mid: int, type_name: str, ref: Mapping[str, Any]) -> Any:
    if ref.get("ID"):
        field, value = "ID", parse_id(ref["ID"]) or -1  # -1: no such row
    elif ref.get("ObjectID"):
        field, value = "ObjectID", str(ref["ObjectID"]).lower()
    elif ref.get("CustomerKey"):
        field, value = "CustomerKey", ref["CustomerKey"]
    elif ref.get("Name"):
        field, value = "Name", ref["Name"]
    else:
        raise Invalid(f"{type_name} needs an ID, ObjectID or CustomerKey.", DE_NOT_FOUND)
    return conn.execute(_LOOKUPS[field], {"mid": mid, "type": type_name, "value": value}).first()


def _in_use(type_name: str, key: str) -> str:
    """The message of a duplicate CustomerKey. Clients written against Marketing Cloud look
    for "already in use" in it (FuelSDKWrapper's check_response raises ObjectAlreadyExists on
    that phrase), so the phrase is Marketing Cloud's (inferred from that client)."""
    return f"The Customer Key {shown(key)} is already in use: a {type_name} already exists with it."


def find_ref(conn: Connection, mid: int, type_name: str, ref: Mapping[str, Any] | None) -> Any:
    """Resolve a reference stub to its row, or None when absent or unknown."""
    if not ref:
        return None
    try:
        return _find(conn, mid, type_name, ref)
    except Invalid:
        return None


def ref_stub(row: Any) -> dict[str, Any]:
    """The canonical reference stored for a resolved object: ID, ObjectID, CustomerKey."""
    return {"ID": row.id, "ObjectID": row.object_id, "CustomerKey": row.customer_key}


def describe_ref(ref: Mapping[str, Any]) -> str:
    for field in ("CustomerKey", "ObjectID", "ID", "Name"):
        if ref.get(field):
            return f"with {field} {shown(ref[field])}"
    return "(no key given)"


def _user_props(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("__") and k not in SYSTEM_FIELDS}


def page(
    items: Iterable[dict[str, Any]], tree: Filter | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Filter in Python and cut one page; the bool says whether more remain."""
    out: list[dict[str, Any]] = []
    skipped = 0
    for item in items:
        if not evaluate(tree, lambda path, item=item: get_path(item, path)):
            continue
        if skipped < offset:
            skipped += 1
            continue
        if len(out) == limit:
            return out, True
        out.append(item)
    return out, False


def get_path(obj: Mapping[str, Any], path: str) -> Any:
    """Value at a dotted property path, matching names case-insensitively."""
    value: Any = obj
    for part in path.split("."):
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, Mapping):
            return None
        if part in value:
            value = value[part]
            continue
        lowered = part.lower()
        value = next((v for k, v in value.items() if k.lower() == lowered), None)
    return value


def to_json(value: Any) -> Any:
    """Make decoded values (datetimes, decimals) storable as JSON."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"Cannot store {type(value).__name__}")
