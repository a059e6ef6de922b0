"""Retrieve's property paths and Describe's object definitions, read off the type description."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sendwell.api.soap.types import (
    ComplexType,
    EnumType,
    field_lookup,
    fields_of,
    is_subtype,
    lookup_type,
)
from sendwell.domain.errors import ERR_GENERAL, SendwellError, shown
from sendwell.services.catalog import Unsupported
from sendwell.services.registry import KINDS

Path = tuple[str, ...]
# Properties Marketing Cloud's Retrieve takes that no WSDL type has an element for: accepted,
# and never in a result (FuelSDK's ContentArea sample asks for RowObjectID).
UNLISTED = {"ContentArea": frozenset({"rowobjectid"})}


def resolve_properties(
    type_name: str, properties: Sequence[str], free_form: bool, what: str = "Request"
) -> list[Path]:
    """Canonical dotted paths for requested property names (any case); error on unknown ones.

    ``free_form`` is for data extension rows, whose properties are the DE's own fields.
    """
    if free_form:
        return [(p,) for p in properties]
    paths: list[Path] = []
    unknown: list[str] = []
    for prop in properties:
        if prop.strip().lower() in UNLISTED.get(type_name, ()):
            continue
        path = _resolve(type_name, prop)
        if path is None:
            unknown.append(prop)
        elif path not in paths:
            paths.append(path)
    if unknown:
        names = ", ".join(p if len(p) <= 80 else shown(p) for p in unknown[:20])
        raise SendwellError(
            f"The {what} Property(s) {names} do not match with the fields of {type_name} retrieve",
            ERR_GENERAL,
        )
    return paths


def _resolve(type_name: str, prop: str) -> Path | None:
    found = _walk(type_name, prop)
    return None if found is None else found[0]


def property_type(type_name: str, prop: str) -> str | None:
    """The partner WSDL type of a (dotted) property (``int`` for ``Send.ID``), or None."""
    found = _walk(type_name, prop)
    return None if found is None else found[1]


def _walk(type_name: str, prop: str) -> tuple[Path, str] | None:
    current = type_name
    out: list[str] = []
    for segment in prop.strip().split("."):
        definition = lookup_type(current)
        if not isinstance(definition, ComplexType):
            return None
        field = field_lookup(current, segment)
        if field is None:
            return None
        out.append(field.name)
        current = field.type
    return tuple(out), current


def read_filter_dates(
    type_name: str, part: Mapping[str, Any] | None, read: Callable[[str], datetime | None]
) -> Mapping[str, Any] | None:
    """The filter with its string ``Value``s on xsd:dateTime properties read by ``read``.

    ``DateValue``s are dates already (the codec read them); a date written as a ``Value`` string
    is read the same way, so ``"2026-11-30T08:00:00"`` means system time either way (inferred:
    Marketing Cloud's documents speak of DateTime properties only). Text that is no date stays.
    """
    if not part:
        return part
    kind = part.get("__type__")
    if kind == "ComplexFilterPart":
        out = dict(part)
        for key in ("LeftOperand", "RightOperand"):
            if part.get(key):
                out[key] = read_filter_dates(type_name, part[key], read)
        extra = part.get("AdditionalOperands")
        if isinstance(extra, Mapping) and extra.get("Operand"):
            operands = [read_filter_dates(type_name, o, read) for o in extra["Operand"]]
            out["AdditionalOperands"] = {**extra, "Operand": operands}
        return out
    if kind == "SimpleFilterPart" and part.get("Value") and _is_date(type_name, part["Property"]):
        values = [(read(v) or v) if isinstance(v, str) else v for v in part["Value"]]
        return {**part, "Value": values}
    return part


def _is_date(type_name: str, prop: Any) -> bool:
    path = _resolve(type_name, str(prop or ""))
    if path is None:
        return False
    owner = type_name
    for name in path[:-1]:
        found = field_lookup(owner, name)
        if found is None:
            return False
        owner = found.type
    last = field_lookup(owner, path[-1])
    return last is not None and last.type == "dateTime"


def project(item: Mapping[str, Any], paths: Sequence[Path]) -> dict[str, Any]:
    """Only the requested properties of a full object dict (keeping its ``__type__``)."""
    out: dict[str, Any] = {"__type__": item["__type__"]}
    for path in paths:
        if len(path) == 1 and path[0] not in item and item["__type__"] == "DataExtensionObject":
            continue
        _copy(item, out, path)
    if item["__type__"] == "DataExtensionObject" and paths:
        wanted = {p[0].lower() for p in paths}
        props = (item.get("Properties") or {}).get("Property") or []
        out["Properties"] = {"Property": [p for p in props if p["Name"].lower() in wanted]}
    return out


def _copy(src: Mapping[str, Any], dst: dict[str, Any], path: Path) -> None:
    key = path[0]
    value = src.get(key)
    if value is None:
        return
    if len(path) == 1 or not isinstance(value, Mapping):
        dst[key] = value
        return
    sub = dst.setdefault(key, {"__type__": value["__type__"]} if "__type__" in value else {})
    _copy(value, sub, path[1:])


_DATA_TYPES = {
    "string": "String",
    "int": "Int32",
    "long": "Int64",
    "short": "Int16",
    "byte": "Byte",
    "boolean": "Boolean",
    "double": "Double",
    "decimal": "Decimal",
    "dateTime": "DateTime",
    "time": "Time",
}


def describe(type_name: str) -> dict[str, Any]:
    """A Describe ObjectDefinition: every property a client may ask Retrieve for."""
    kind = KINDS[type_name]
    writable = type(kind).create is not Unsupported.create
    properties: list[dict[str, Any]] = []
    for field in fields_of(type_name):
        if field.many or field.name in ("PartnerProperties", "PartnerKey"):
            continue
        definition = lookup_type(field.type)
        if definition is None or isinstance(definition, EnumType):
            properties.append(
                _property(field.name, _DATA_TYPES.get(field.type, "String"), field.required)
            )
        elif field.type == "ClientID":
            properties.append(_property(f"{field.name}.ID", "Int32", False))
        elif isinstance(definition, ComplexType) and is_subtype(field.type, "APIObject"):
            for sub in ("ID", "ObjectID", "CustomerKey"):
                properties.append(_property(f"{field.name}.{sub}", "String", False))
    return {
        "ObjectType": type_name,
        "Name": type_name,
        "IsCreatable": writable,
        "IsUpdatable": writable,
        "IsRetrievable": True,
        "Properties": properties,
    }


def _property(name: str, data_type: str, required: bool) -> dict[str, Any]:
    return {
        "Name": name,
        "DataType": data_type,
        "IsCreatable": True,
        "IsUpdatable": True,
        "IsRetrievable": True,
        "IsFilterable": True,
        "IsRequired": required,
    }
