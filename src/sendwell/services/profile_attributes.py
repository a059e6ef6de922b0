"""Profile attributes (SOAP ``Configure`` of ``PropertyDefinition``): a subscriber attribute an
account declares, as FuelSDK's ``ET_ProfileAttribute`` makes them.

Subscribers take any attribute in Sendwell; a declared one is listed by Describe of
``Subscriber`` and kept here with its type and default. Actions are Marketing Cloud's
``create``, ``update`` and ``delete``, the attribute named by its ``Name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from sendwell.domain import errors as e
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import Duplicate, Invalid, NotFound, shown
from sendwell.domain.secrets import new_guid
from sendwell.services.catalog import to_json
from sendwell.store.tables import objects

PROFILE_ATTRIBUTE = "ProfileAttribute"
# What a declaration keeps (PropertyDefinition's fields that describe an attribute).
KEPT = (
    "Name",
    "DataType",
    "PropertyType",
    "Description",
    "DefaultValue",
    "IsRequired",
    "MaxLength",
    "IsViewable",
    "IsEditable",
    "IsSendTime",
    "Label",
    "DisplayOrder",
)
ACTIONS = ("create", "update", "delete")


def configure(conn: Connection, mid: int, action: str, definition: Mapping[str, Any]) -> dict:
    """Apply one Configure action to a profile attribute; the attribute as stored."""
    verb = action.strip().lower()
    if verb not in ACTIONS:
        raise Invalid(
            f"The Configure action {shown(action)} is not supported; use create, update or delete.",
            e.ERR_CANNOT_PERFORM,
        )
    name = definition.get("Name")
    if not name:
        raise Invalid("A profile attribute needs a Name.", e.ERR_GENERAL)
    row = _find(conn, mid, str(name))
    props = {k: definition[k] for k in KEPT if k in definition}
    if verb == "create":
        if row is not None:
            raise Duplicate(f"The profile attribute {shown(name)} already exists.")
        props.setdefault("PropertyType", "string")
        stamp = utcnow()
        conn.execute(
            insert(objects).values(
                mid=mid,
                type=PROFILE_ATTRIBUTE,
                object_id=new_guid(),
                customer_key=str(name)[:200],
                name=str(name)[:200],
                props=to_json(props),
                created_at=stamp,
                modified_at=stamp,
            )
        )
        return _definition(_find(conn, mid, str(name)))
    if row is None:
        raise NotFound(f"The profile attribute {shown(name)} was not found.", e.ERR_NOT_FOUND)
    if verb == "delete":
        conn.execute(delete(objects).where(objects.c.id == row.id))
        return _definition(row)
    props = {**row.props, **to_json(props), "Name": row.props["Name"]}
    conn.execute(
        update(objects).where(objects.c.id == row.id).values(props=props, modified_at=utcnow())
    )
    return _definition(_find(conn, mid, str(name)))


def declared(conn: Connection, mid: int) -> list[dict[str, Any]]:
    """The account's profile attributes, as PropertyDefinitions (for Describe)."""
    rows = conn.execute(
        select(objects)
        .where(objects.c.mid == mid, objects.c.type == PROFILE_ATTRIBUTE)
        .order_by(objects.c.id)
    )
    return [_definition(r) for r in rows]


def _find(conn: Connection, mid: int, name: str) -> Any:
    return conn.execute(
        select(objects).where(
            objects.c.mid == mid,
            objects.c.type == PROFILE_ATTRIBUTE,
            func.lower(objects.c.name) == name.lower(),
        )
    ).first()


def _definition(row: Any) -> dict[str, Any]:
    return {"__type__": "PropertyDefinition", "ObjectID": row.object_id, **row.props}
