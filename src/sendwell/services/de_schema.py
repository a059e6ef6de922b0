"""A data extension's fields: what Update does to them, and their reading as DataExtensionField.

Marketing Cloud's Update of a ``DataExtension`` with ``Fields`` *adds* the fields it names to
the existing ones; a field that carries the ``ObjectID`` of an existing field changes that
field, and one that repeats an existing name without an ObjectID is an error ("Update Column
Properties for a Data Extension", "Add Column to a Data Extension"). Nothing removes a field
here, so rows stored under the old fields stay readable.

Each field has an ObjectID (a GUID given at create or add); fields stored before Sendwell kept
one get a stable ID derived from their data extension's ObjectID and their name.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, exists, select

from sendwell.domain import errors as e
from sendwell.domain.errors import Invalid, shown
from sendwell.domain.filters import Filter
from sendwell.domain.secrets import new_guid
from sendwell.services.catalog import CatalogKind, Unsupported, page, rows_of
from sendwell.services.rules import de_fields
from sendwell.store.tables import de_rows

# What an Update may change in an existing field it names by ObjectID (inferred: the type, the
# key and the name are what stored rows depend on, so those stay as they are).
CHANGEABLE = ("MaxLength", "DefaultValue", "Description", "Label", "IsRequired", "Scale")
FIXED = ("FieldType", "IsPrimaryKey", "Name")
_LEGACY_IDS = uuid.UUID("9a0c3a52-8b55-4c6c-9d3f-5c1de1d4f1a7")


def field_object_id(de_object_id: str, field: Mapping[str, Any]) -> str:
    """The ObjectID of a data extension's field (stored, or derived for older fields)."""
    stored = field.get("ObjectID")
    if stored:
        return str(stored)
    return str(uuid.uuid5(_LEGACY_IDS, f"{de_object_id}/{str(field.get('Name', '')).lower()}"))


def merged_fields(
    de_object_id: str, existing: list[dict[str, Any]], given: list[dict[str, Any]], has_rows: bool
) -> list[dict[str, Any]]:
    """The field list after an Update that names ``given``: existing fields first, in their
    order, changed where ``given`` names one by ObjectID; the new fields after them."""
    out = [dict(f, ObjectID=field_object_id(de_object_id, f)) for f in existing]
    by_id = {f["ObjectID"].lower(): f for f in out}
    for field in given:
        ref = field.get("ObjectID")
        if ref:
            target = by_id.get(str(ref).lower())
            if target is None:
                raise Invalid(
                    f"The data extension has no field with ObjectID {shown(ref)}.",
                    e.DE_FIELDS_INVALID,
                )
            _change(target, field)
            continue
        name = field.get("Name")
        if name and any(f["Name"].lower() == str(name).lower() for f in out):
            raise Invalid(
                f"The data extension already has a field named {shown(name)}; to change it, "
                "give the field's ObjectID.",
                e.DE_FIELDS_INVALID,
            )
        if has_rows and _needs_value(field):
            raise Invalid(
                f"The field {shown(name)} cannot be added as a primary key or required field "
                "without a DefaultValue: the data extension already has rows.",
                e.DE_FIELDS_INVALID,
            )
        added = {k: v for k, v in field.items() if k != "Ordinal"}
        added.update(ObjectID=new_guid(), Ordinal=len(out))
        out.append(added)
    return out


def _change(target: dict[str, Any], field: Mapping[str, Any]) -> None:
    for key in FIXED:
        if key in field and str(field[key]).lower() != str(target.get(key)).lower():
            raise Invalid(
                f"The {key} of the existing field {shown(target['Name'])} cannot be changed.",
                e.DE_FIELDS_INVALID,
            )
    for key in CHANGEABLE:
        if key in field:
            target[key] = field[key]


def _needs_value(field: Mapping[str, Any]) -> bool:
    required = str(field.get("IsRequired", "")).lower() in ("true", "1")
    primary = str(field.get("IsPrimaryKey", "")).lower() in ("true", "1")
    return primary or (required and field.get("DefaultValue") in (None, ""))


class DataExtensionKind(CatalogKind):
    """DataExtension: a catalog object whose Update adds fields instead of replacing them."""

    def update(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        row = self.find(conn, mid, obj)
        given = de_fields(obj) if obj.get("Fields") is not None else []
        has_rows = bool(
            given and conn.execute(select(exists().where(de_rows.c.de_id == row.id))).scalar()
        )
        # Always written back with their ObjectIDs, so that an older field keeps the ID it
        # was read with.
        fields = merged_fields(row.object_id, de_fields(row.props), given, has_rows)
        return super().update(conn, mid, {**obj, "Fields": {"Field": fields}})


class DataExtensionFieldKind(Unsupported):
    """The fields of every data extension of an account, as ``DataExtensionField`` objects
    (Retrieve only; fields are added and changed through their DataExtension)."""

    type_name = "DataExtensionField"

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        return page(self._fields(conn, mid), tree, offset, limit)

    @staticmethod
    def _fields(conn: Connection, mid: int) -> Any:
        for de in rows_of(conn, mid, "DataExtension"):
            parent = {
                "__type__": "DataExtension",
                "ObjectID": de.object_id,
                "CustomerKey": de.customer_key,
                "Name": de.name,
            }
            for ordinal, field in enumerate(de_fields(de.props)):
                yield field_object(de.mid, parent, field, ordinal)


def field_object(
    mid: int, parent: Mapping[str, Any], field: Mapping[str, Any], ordinal: int
) -> dict[str, Any]:
    """One stored field as a DataExtensionField. Its CustomerKey is ``[DE key].[field name]``,
    the form Marketing Cloud gives its fields (inferred from exports; not documented)."""
    out: dict[str, Any] = {
        "__type__": "DataExtensionField",
        "Client": {"ID": mid},
        "ObjectID": field_object_id(parent["ObjectID"], field),
        "CustomerKey": f"[{parent['CustomerKey']}].[{field['Name']}]",
        "Name": field["Name"],
        "Ordinal": int(field.get("Ordinal", ordinal)),
        "FieldType": field.get("FieldType", "Text"),
        "IsPrimaryKey": _flag(field.get("IsPrimaryKey")),
        "IsRequired": _flag(field.get("IsRequired")),
        "DataExtension": dict(parent),
    }
    for key in ("MaxLength", "Scale", "DefaultValue", "Description", "Label"):
        if field.get(key) not in (None, ""):
            out[key] = field[key]
    return out


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")
