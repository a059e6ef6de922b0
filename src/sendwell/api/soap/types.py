"""The one type description behind the SOAP codec and the WSDL.

`partner_types.SCHEMA` declares the partner API types in a small schema language; this module
parses it once at import into `TYPES` and answers questions about it: which fields a type has
(base fields first, in `xsd:sequence` order), what derives from what, and case-insensitive
look-ups of type and field names for clients that do not spell them exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from sendwell.api.soap.partner_types import OPERATIONS as _OPERATIONS
from sendwell.api.soap.partner_types import SCHEMA

PARTNER_NS = "http://exacttarget.com/wsdl/partnerAPI"

PRIMITIVES = frozenset(
    {"string", "int", "long", "short", "byte", "boolean", "double", "decimal", "dateTime", "time"}
)

TypeKind = Literal["type", "element", "inline"]


@dataclass(frozen=True, slots=True)
class Field:
    """One element of a complex type's sequence."""

    name: str
    type: str
    many: bool = False  # maxOccurs="unbounded"
    nillable: bool = False
    required: bool = False  # minOccurs="1"


@dataclass(frozen=True, slots=True)
class ComplexType:
    """A complex type; `kind` says how the WSDL declares it.

    "type" is a named xsd:complexType, "element" a message element with an inline type, and
    "inline" the anonymous type of one field (named "<Owner>.<Field>", e.g.
    "EmailSendDefinition.TrackingUsers").
    """

    name: str
    base: str | None
    fields: tuple[Field, ...]
    abstract: bool = False
    kind: TypeKind = "type"


@dataclass(frozen=True, slots=True)
class EnumType:
    """A string restricted to a list of values."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PatternType:
    """A string restricted by a regular expression (not enforced when decoding, as in ASMX)."""

    name: str
    pattern: str


TypeDef = ComplexType | EnumType | PatternType


@dataclass(frozen=True, slots=True)
class Operation:
    """A SOAP operation: its SOAPAction name and request/response message elements."""

    name: str
    request: str
    response: str
    message_stem: str  # WSDL message names are f"{stem}Request" / f"{stem}Response"


# ---- Parsing the schema language ------------------------------------------------------------

_HEADER = re.compile(r"(type|element|enum|pattern)\s+(\w+)(?:\((\w+)\))?\s*(.*)")
_FIELD = re.compile(r"\s*(\w+)(?::(\w+)|\{([^{}]*)\})([!*+~]*)")


def _parse_fields(text: str, owner: str, out: dict[str, TypeDef]) -> tuple[Field, ...]:
    """Parse a field list; inline `{...}` types are registered in `out` as they are met."""
    fields: list[Field] = []
    pos, text = 0, text.rstrip()
    while pos < len(text):
        match = _FIELD.match(text, pos)
        if not match:
            raise ValueError(f"Cannot parse field list of {owner} at: {text[pos : pos + 40]!r}")
        name, type_name, inline, marks = match.groups()
        if inline is not None:
            type_name = f"{owner}.{name}"
            out[type_name] = ComplexType(
                type_name, None, _parse_fields(inline, type_name, out), kind="inline"
            )
        fields.append(
            Field(
                name,
                type_name,
                many="*" in marks or "+" in marks,
                nillable="~" in marks,
                required="!" in marks or "+" in marks,
            )
        )
        pos = match.end()
    return tuple(fields)


def _blocks(schema: str) -> list[str]:
    """Split the schema into declarations: a header line plus its indented continuation."""
    blocks: list[str] = []
    for line in schema.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            blocks[-1] += " " + line.strip()
        else:
            blocks.append(line.strip())
    return blocks


def parse_schema(schema: str) -> dict[str, TypeDef]:
    """Parse the schema language (see `partner_types`) into a name -> definition registry."""
    out: dict[str, TypeDef] = {}
    for block in _blocks(schema):
        match = _HEADER.fullmatch(block)
        if not match:
            raise ValueError(f"Cannot parse declaration: {block[:60]!r}")
        keyword, name, base, rest = match.groups()
        if name in out:
            raise ValueError(f"Type {name} declared twice")
        if keyword == "enum":
            out[name] = EnumType(name, tuple(rest.split()))
        elif keyword == "pattern":
            out[name] = PatternType(name, rest.strip())
        else:
            abstract = rest == "abstract" or rest.startswith("abstract ")
            body = rest.removeprefix("abstract") if abstract else rest
            kind: TypeKind = "element" if keyword == "element" else "type"
            out[name] = ComplexType(name, base, (), abstract, kind)  # holds its place in order
            out[name] = ComplexType(name, base, _parse_fields(body, name, out), abstract, kind)
    _check(out)
    return out


def _check(types: dict[str, TypeDef]) -> None:
    """Fail at import if a type references something undeclared or repeats a field name."""
    for t in types.values():
        if not isinstance(t, ComplexType):
            continue
        if t.base is not None and not isinstance(types.get(t.base), ComplexType):
            raise ValueError(f"{t.name}: unknown base type {t.base}")
        for f in t.fields:
            if f.type not in PRIMITIVES and f.type not in types:
                raise ValueError(f"{t.name}.{f.name}: unknown type {f.type}")
        names = [f.name for f in _flatten(t.name, types)]
        if len(names) != len(set(names)):
            raise ValueError(f"{t.name}: a field name repeats along the base chain")


def _flatten(name: str, types: dict[str, TypeDef]) -> tuple[Field, ...]:
    t = types[name]
    assert isinstance(t, ComplexType)
    inherited = _flatten(t.base, types) if t.base else ()
    return inherited + t.fields


TYPES: dict[str, TypeDef] = parse_schema(SCHEMA)
OPERATIONS: dict[str, Operation] = {
    name: Operation(name, *spec) for name, spec in _OPERATIONS.items()
}
_BY_LOWER_NAME = {name.lower(): t for name, t in TYPES.items()}


# ---- Questions about the registry -----------------------------------------------------------


def lookup_type(name: str) -> TypeDef | None:
    """The type called `name` (exact spelling first, then case-insensitively), or None."""
    found = TYPES.get(name)
    return found if found is not None else _BY_LOWER_NAME.get(name.lower())


def complex_type(name: str) -> ComplexType:
    """The complex type called exactly `name`; KeyError if there is none."""
    found = TYPES.get(name)
    if not isinstance(found, ComplexType):
        raise KeyError(f"No complex type named {name!r}")
    return found


@cache
def fields_of(type_name: str) -> tuple[Field, ...]:
    """All fields of a complex type, inherited ones first, in sequence order."""
    complex_type(type_name)
    return _flatten(type_name, TYPES)


@cache
def _field_maps(type_name: str) -> tuple[dict[str, Field], dict[str, Field]]:
    fields = fields_of(type_name)
    return {f.name: f for f in fields}, {f.name.lower(): f for f in fields}


def field_lookup(type_name: str, name: str) -> Field | None:
    """The field `name` of a complex type: exact spelling first, then case-insensitively."""
    exact, lower = _field_maps(type_name)
    found = exact.get(name)
    return found if found is not None else lower.get(name.lower())


@cache
def ancestors(type_name: str) -> tuple[str, ...]:
    """The type itself followed by its base types, nearest first."""
    chain = [type_name]
    while (base := complex_type(chain[-1]).base) is not None:
        chain.append(base)
    return tuple(chain)


def is_subtype(name: str, base: str) -> bool:
    """Whether complex type `name` is `base` or derives from it (False for unknown names)."""
    return isinstance(TYPES.get(name), ComplexType) and base in ancestors(name)


@cache
def subtypes_of(name: str) -> tuple[str, ...]:
    """`name` and every complex type deriving from it, in declaration order."""
    complex_type(name)
    return tuple(
        t.name for t in TYPES.values() if isinstance(t, ComplexType) and is_subtype(t.name, name)
    )


def operation_for_request(element_name: str) -> Operation | None:
    """The operation whose request message element is `element_name` (any case), or None."""
    lowered = element_name.lower()
    for op in OPERATIONS.values():
        if op.request.lower() == lowered:
            return op
    return None
