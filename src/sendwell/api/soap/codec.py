"""One codec for every partner API type, driven by the type description in `types`.

Values are plain dicts keyed by partner API field names. A dict read from (or written as) a
named complex type carries its concrete type under "__type__"; keys starting with "__" are
metadata and never written. Repeated fields are lists; absent fields are absent keys.

Decoding is lenient where real clients differ (child order, prefixes, letter case, empty
elements for enums and numbers) and strict where ASMX is (unknown elements, bad enum values,
bad numbers), raising `DecodeError` with an ASMX-like message. Encoding writes strict
`xsd:sequence` order in the partner API default namespace, with an unprefixed `xsi:type` where
a client needs it, as Marketing Cloud does.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from lxml import etree

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

__all__ = ["XSI_NS", "DecodeError", "decode", "encode", "encode_into", "field_lookup"]

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_XSI_TYPE = f"{{{XSI_NS}}}type"
_XSI_NIL = f"{{{XSI_NS}}}nil"
_NSMAP = {None: PARTNER_NS, "xsi": XSI_NS}
_INT_RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class DecodeError(Exception):
    """A request element that does not fit the partner API schema."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---- Decoding -------------------------------------------------------------------------------


def decode(element: etree._Element, type_name: str) -> dict[str, Any]:
    """Read `element`, declared as complex type `type_name`, into a dict."""
    return _decode_complex(element, type_name)


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


def _decode_complex(element: etree._Element, type_name: str) -> dict[str, Any]:
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
        value = _decode_value(child, field, concrete.name)
        if value is _ABSENT:
            continue
        if field.many:
            result.setdefault(field.name, []).append(value)
        else:
            result[field.name] = value
    return result


_ABSENT = object()


def _decode_value(child: etree._Element, field: Field, owner: str) -> Any:
    if child.get(_XSI_NIL) in ("true", "1"):
        return _ABSENT
    if field.type == "string":
        return child.text or ""
    parse = _SCALAR_DECODERS.get(field.type)
    if parse is not None:
        text = (child.text or "").strip()
        return _ABSENT if not text else parse(text, field, owner)
    target = lookup_type(field.type)
    if isinstance(target, ComplexType):
        if len(child) == 0 and child.get(_XSI_TYPE) is None:
            return _ABSENT  # <Options/>, <Filter/>: nothing to read
        return _decode_complex(child, target.name)
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


def _parse_int(text: str, field: Field, owner: str) -> int:
    try:
        if "_" in text:  # Python accepts 1_000; XML Schema does not
            raise ValueError(text)
        value = int(text)
    except ValueError:
        raise DecodeError(
            f"Input string was not in a correct format: '{text}' is not a valid "
            f"{field.type} for {owner}.{field.name}."
        ) from None
    low, high = _INT_RANGES[field.type]
    if not low <= value <= high:
        raise DecodeError(f"Value '{text}' was either too large or too small for {field.type}.")
    return value


def _parse_bool(text: str, field: Field, owner: str) -> bool:
    value = _BOOLEANS.get(text.lower())
    if value is None:
        raise DecodeError(f"'{text}' is not a valid boolean for {owner}.{field.name}.")
    return value


def _parse_double(text: str, field: Field, owner: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise DecodeError(f"'{text}' is not a valid double for {owner}.{field.name}.") from None


def _parse_decimal(text: str, field: Field, owner: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise DecodeError(f"'{text}' is not a valid decimal for {owner}.{field.name}.") from None


def _parse_datetime(text: str, field: Field, owner: str) -> datetime:
    """xsd:dateTime to a naive UTC datetime; a value without an offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise DecodeError(
            f"The string '{text}' is not a valid AllXsd value ({owner}.{field.name})."
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _parse_time(text: str, field: Field, owner: str) -> time:
    """xsd:time to a naive time; an offset, if any, is dropped."""
    try:
        return time.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise DecodeError(
            f"The string '{text}' is not a valid time value ({owner}.{field.name})."
        ) from None


_SCALAR_DECODERS: dict[str, Callable[[str, Field, str], Any]] = {
    "int": _parse_int,
    "long": _parse_int,
    "short": _parse_int,
    "byte": _parse_int,
    "boolean": _parse_bool,
    "double": _parse_double,
    "decimal": _parse_decimal,
    "dateTime": _parse_datetime,
    "time": _parse_time,
}


# ---- Encoding -------------------------------------------------------------------------------


def encode(value: Mapping[str, Any], element_name: str, type_name: str) -> etree._Element:
    """Write `value` as a new element `element_name` of declared complex type `type_name`.

    The element declares the partner API namespace as its default, so every descendant is
    unprefixed, and binds the `xsi` prefix.
    """
    element = etree.Element(f"{{{PARTNER_NS}}}{element_name}", nsmap=_NSMAP)
    _fill(element, value, type_name)
    return element


def encode_into(
    parent: etree._Element, element_name: str, value: Mapping[str, Any], type_name: str
) -> etree._Element:
    """Append `value` to `parent` as element `element_name`; return the new element."""
    inherits = parent.nsmap.get(None) == PARTNER_NS and parent.nsmap.get("xsi") == XSI_NS
    element = etree.SubElement(
        parent, f"{{{PARTNER_NS}}}{element_name}", nsmap=None if inherits else _NSMAP
    )
    _fill(element, value, type_name)
    return element


@cache
def _plan(type_name: str) -> tuple[tuple[tuple[str, str, Field, Callable], ...], frozenset[str]]:
    """Per type: (key, tag, field, writer) in sequence order, and the set of known keys."""
    steps = []
    for field in fields_of(type_name):
        steps.append((field.name, f"{{{PARTNER_NS}}}{field.name}", field, _writer(field.type)))
    return tuple(steps), frozenset(field.name for field in fields_of(type_name))


def _fill(element: etree._Element, value: Mapping[str, Any], declared_name: str) -> None:
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
            raise ValueError(f"{concrete_name} has no field {key!r}")
    for key, tag, field, write in steps:
        if key not in value:
            continue
        item = value[key]
        if field.many and item is not None:
            if not isinstance(item, list | tuple):
                raise ValueError(f"{concrete_name}.{key} is repeated: give a list")
            for each in item:
                _write_one(element, tag, field, write, each, concrete_name)
        else:
            _write_one(element, tag, field, write, item, concrete_name)


def _write_one(
    parent: etree._Element, tag: str, field: Field, write: Callable, item: Any, owner: str
) -> None:
    if item is None:
        if field.nillable:
            etree.SubElement(parent, tag).set(_XSI_NIL, "true")
        return
    try:
        write(etree.SubElement(parent, tag), item, field.type)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{owner}.{field.name}: {exc}") from exc


def _writer(type_name: str) -> Callable[[etree._Element, Any, str], None]:
    scalar = _SCALAR_ENCODERS.get(type_name)
    if scalar is not None:

        def write_scalar(element: etree._Element, item: Any, _: str) -> None:
            element.text = scalar(item)

        return write_scalar
    target = lookup_type(type_name)
    if isinstance(target, ComplexType):
        return _fill
    if isinstance(target, EnumType):
        allowed = frozenset(target.values)

        def write_enum(element: etree._Element, item: Any, name: str) -> None:
            text = item.value if isinstance(item, enum.Enum) else item
            if text not in allowed:
                raise ValueError(f"{text!r} is not a valid value for {name}")
            element.text = text

        return write_enum
    return _write_string  # a pattern-restricted string


def _write_string(element: etree._Element, item: Any, _: str) -> None:
    element.text = _format_string(item)


def _format_string(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, int) and not isinstance(item, bool):
        return str(item)
    raise TypeError(f"expected a string, got {type(item).__name__}")


def _format_int(item: Any) -> str:
    if isinstance(item, int) and not isinstance(item, bool):
        return str(item)
    raise TypeError(f"expected an int, got {type(item).__name__}")


def _format_bool(item: Any) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    raise TypeError(f"expected a bool, got {type(item).__name__}")


def _format_number(item: Any) -> str:
    if isinstance(item, int | float | Decimal) and not isinstance(item, bool):
        return str(item)
    raise TypeError(f"expected a number, got {type(item).__name__}")


def _format_datetime(item: Any) -> str:
    """Naive UTC with milliseconds, as Marketing Cloud writes it: 2022-11-14T12:27:29.963."""
    if not isinstance(item, datetime):
        raise TypeError(f"expected a datetime, got {type(item).__name__}")
    if item.tzinfo is not None:
        item = item.astimezone(UTC).replace(tzinfo=None)
    return item.isoformat(timespec="milliseconds")


def _format_time(item: Any) -> str:
    if not isinstance(item, time):
        raise TypeError(f"expected a time, got {type(item).__name__}")
    precision = "milliseconds" if item.microsecond else "seconds"
    return item.replace(tzinfo=None).isoformat(timespec=precision)


_SCALAR_ENCODERS: dict[str, Callable[[Any], str]] = {
    "string": _format_string,
    "int": _format_int,
    "long": _format_int,
    "short": _format_int,
    "byte": _format_int,
    "boolean": _format_bool,
    "double": _format_number,
    "decimal": _format_number,
    "dateTime": _format_datetime,
    "time": _format_time,
}
