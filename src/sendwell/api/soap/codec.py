"""One codec for every partner API type, driven by the type description in `types`.

Values are plain dicts keyed by partner API field names. A dict read from (or written as) a
named complex type carries its concrete type under "__type__"; keys starting with "__" are
metadata and never written. Repeated fields are lists; absent fields are absent keys.

Decoding is lenient where real clients differ (child order, prefixes, letter case, empty
elements for enums and numbers) and strict where ASMX is (unknown elements, bad enum values,
bad numbers), raising `DecodeError` with an ASMX-like message. Encoding writes strict
`xsd:sequence` order in the partner API default namespace, with an unprefixed `xsi:type` where
a client needs it, as Marketing Cloud does.

Dates are converted here (by `scalars`) and nowhere else in the SOAP layer, wherever the type
description says xsd:dateTime (nested objects and filters' `DateValue` included): Sendwell keeps
naive UTC, Marketing Cloud
speaks its system time ("Incoming Date Normalization"). An incoming date ending in `Z` is UTC,
one with an offset is at that offset, one with neither is system time; every date written is
system time without an offset (`2022-11-14T12:27:29.963`), as Marketing Cloud writes them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from lxml import etree

from sendwell.api.soap.scalars import (
    SCALAR_DECODERS,
    SCALAR_ENCODERS,
    DecodeError,
    format_datetime,
    parse_datetime,
)
from sendwell.api.soap.types import (
    PARTNER_NS,
    ComplexType,
    EnumType,
    Field,
    complex_type,
    field_lookup,
    fields_of,
    is_subtype,
    lookup_type,
)
from sendwell.domain.clock import SYSTEM_UTC_OFFSET_MINUTES
from sendwell.domain.errors import shown

__all__ = [
    "XSI_NS",
    "DecodeError",
    "decode",
    "encode",
    "encode_into",
    "field_lookup",
    "format_datetime",
]

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_XSI_TYPE = f"{{{XSI_NS}}}type"
_XSI_NIL = f"{{{XSI_NS}}}nil"
_NSMAP = {None: PARTNER_NS, "xsi": XSI_NS}
# Writes one value into its element: (element, value, declared type, system offset minutes).
Writer = Callable[[etree._Element, Any, str, int], None]


# ---- Decoding -------------------------------------------------------------------------------


def decode(
    element: etree._Element,
    type_name: str,
    *,
    system_offset_minutes: int = SYSTEM_UTC_OFFSET_MINUTES,
) -> dict[str, Any]:
    """Read `element`, declared as complex type `type_name`, into a dict.

    Dates come out as naive UTC; one without a zone is read as system time, UTC plus
    `system_offset_minutes`.
    """
    return _decode_complex(element, type_name, system_offset_minutes)


def _concrete_type(element: etree._Element, declared: ComplexType) -> ComplexType:
    raw = element.get(_XSI_TYPE)
    if raw is None:
        concrete = declared
    else:
        local = raw.strip().rpartition(":")[2]
        found = lookup_type(local)
        if not isinstance(found, ComplexType) or found.kind != "type":
            raise DecodeError(f"The specified type was not recognized: name='{local}'.")
        if not is_subtype(found.name, declared.name):
            raise DecodeError(
                f"The specified type '{found.name}' is not a {declared.name} "
                f"(xsi:type on element '{etree.QName(element).localname}')."
            )
        concrete = found
    if concrete.abstract:
        raise DecodeError(
            f"The specified type is abstract: name='{concrete.name}'; "
            f"element '{etree.QName(element).localname}' needs an xsi:type naming a concrete type."
        )
    return concrete


def _decode_complex(element: etree._Element, type_name: str, offset: int) -> dict[str, Any]:
    concrete = _concrete_type(element, complex_type(type_name))
    result: dict[str, Any] = {} if concrete.kind == "inline" else {"__type__": concrete.name}
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # comments and processing instructions
        local = tag.rpartition("}")[2]
        field = field_lookup(concrete.name, local)
        if field is None:
            raise DecodeError(f"Unknown element '{local}' in {concrete.name}")
        value = _decode_value(child, field, concrete.name, offset)
        if value is _ABSENT:
            continue
        if field.many:
            result.setdefault(field.name, []).append(value)
        else:
            result[field.name] = value
    return result


_ABSENT = object()


def _decode_value(child: etree._Element, field: Field, owner: str, offset: int) -> Any:
    if child.get(_XSI_NIL) in ("true", "1"):
        return _ABSENT
    if field.type == "string":
        return child.text or ""
    if field.type == "dateTime":
        text = (child.text or "").strip()
        return _ABSENT if not text else parse_datetime(text, field, owner, offset)
    parse = SCALAR_DECODERS.get(field.type)
    if parse is not None:
        text = (child.text or "").strip()
        return _ABSENT if not text else parse(text, field, owner)
    target = lookup_type(field.type)
    if isinstance(target, ComplexType):
        if len(child) == 0 and child.get(_XSI_TYPE) is None:
            return _ABSENT  # <Options/>, <Filter/>: nothing to read
        return _decode_complex(child, target.name, offset)
    if isinstance(target, EnumType):
        text = (child.text or "").strip()
        return _ABSENT if not text else _enum_value(text, target)
    return child.text or ""  # a pattern-restricted string; ASMX does not check patterns


def _enum_value(text: str, enum_type: EnumType) -> str:
    canonical = _enum_index(enum_type.name).get(text.lower())
    if canonical is None:
        raise DecodeError(
            f"Instance validation error: '{text}' is not a valid value for {enum_type.name}."
        )
    return text if text in enum_type.values else canonical


@cache
def _enum_index(name: str) -> dict[str, str]:
    enum_type = lookup_type(name)
    assert isinstance(enum_type, EnumType)
    return {v.lower(): v for v in reversed(enum_type.values)}


# ---- Encoding -------------------------------------------------------------------------------


def encode(
    value: Mapping[str, Any],
    element_name: str,
    type_name: str,
    *,
    system_offset_minutes: int = SYSTEM_UTC_OFFSET_MINUTES,
) -> etree._Element:
    """Write `value` as a new element `element_name` of declared complex type `type_name`.

    The element declares the partner API namespace as its default, so every descendant is
    unprefixed, and binds the `xsi` prefix. Dates (naive UTC, or aware) are written in system
    time, UTC plus `system_offset_minutes`.
    """
    element = etree.Element(f"{{{PARTNER_NS}}}{element_name}", nsmap=_NSMAP)
    _fill(element, value, type_name, system_offset_minutes)
    return element


def encode_into(
    parent: etree._Element,
    element_name: str,
    value: Mapping[str, Any],
    type_name: str,
    *,
    system_offset_minutes: int = SYSTEM_UTC_OFFSET_MINUTES,
) -> etree._Element:
    """Append `value` to `parent` as element `element_name`; return the new element."""
    inherits = parent.nsmap.get(None) == PARTNER_NS and parent.nsmap.get("xsi") == XSI_NS
    element = etree.SubElement(
        parent, f"{{{PARTNER_NS}}}{element_name}", nsmap=None if inherits else _NSMAP
    )
    _fill(element, value, type_name, system_offset_minutes)
    return element


@cache
def _plan(type_name: str) -> tuple[tuple[tuple[str, str, Field, Writer], ...], frozenset[str]]:
    """Per type: (key, tag, field, writer) in sequence order, and the set of known keys."""
    steps = []
    for field in fields_of(type_name):
        steps.append((field.name, f"{{{PARTNER_NS}}}{field.name}", field, _writer(field.type)))
    return tuple(steps), frozenset(field.name for field in fields_of(type_name))


def _fill(
    element: etree._Element, value: Mapping[str, Any], declared_name: str, offset: int
) -> None:
    if not isinstance(value, Mapping):
        raise ValueError(f"{declared_name} value must be a mapping, not {type(value).__name__}")
    concrete_name = value.get("__type__") or declared_name
    if concrete_name != declared_name:
        if not is_subtype(concrete_name, declared_name):
            raise ValueError(f"{concrete_name} is not a subtype of {declared_name}")
        element.set(_XSI_TYPE, concrete_name)
    elif complex_type(declared_name).abstract:
        raise ValueError(f"{declared_name} is abstract: give the value a concrete __type__")
    steps, known = _plan(concrete_name)
    for key in value:
        if key not in known and not key.startswith("__"):
            raise ValueError(f"{concrete_name} has no field {shown(key)}")
    for key, tag, field, write in steps:
        if key not in value:
            continue
        item = value[key]
        if field.many and item is not None:
            if not isinstance(item, list | tuple):
                raise ValueError(f"{concrete_name}.{key} is repeated: give a list")
            for each in item:
                _write_one(element, tag, field, write, each, concrete_name, offset)
        else:
            _write_one(element, tag, field, write, item, concrete_name, offset)


def _write_one(
    parent: etree._Element,
    tag: str,
    field: Field,
    write: Writer,
    item: Any,
    owner: str,
    offset: int,
) -> None:
    if item is None:
        if field.nillable:
            etree.SubElement(parent, tag).set(_XSI_NIL, "true")
        return
    try:
        write(etree.SubElement(parent, tag), item, field.type, offset)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{owner}.{field.name}: {exc}") from exc


def _writer(type_name: str) -> Writer:
    if type_name == "dateTime":
        return _write_datetime
    scalar = SCALAR_ENCODERS.get(type_name)
    if scalar is not None:

        def write_scalar(element: etree._Element, item: Any, _: str, __: int) -> None:
            element.text = scalar(item)

        return write_scalar
    target = lookup_type(type_name)
    if isinstance(target, ComplexType):
        return _fill
    if isinstance(target, EnumType):
        allowed = frozenset(target.values)

        def write_enum(element: etree._Element, item: Any, name: str, _: int) -> None:
            text = item.value if isinstance(item, enum.Enum) else item
            if text not in allowed:
                raise ValueError(f"{shown(text)} is not a valid value for {name}")
            element.text = text

        return write_enum
    return _write_string  # a pattern-restricted string


def _write_string(element: etree._Element, item: Any, _: str, __: int) -> None:
    element.text = SCALAR_ENCODERS["string"](item)


def _write_datetime(element: etree._Element, item: Any, _: str, offset: int) -> None:
    element.text = format_datetime(item, offset)
