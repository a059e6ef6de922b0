"""Rowsets built from text: ``BuildRowsetFromString``, ``BuildRowsetFromJSON``,
``BuildRowsetFromXML``. Their rows are read with ``Row`` and ``Field`` like lookup results.

* From a string: one row per piece, with one field ``Value`` (``Field(row, 1)``).
* From JSON: the nodes a JSONPath selects (``$``, ``.name``, ``['name']``, ``[n]``, ``[*]``,
  ``..name``); an object's properties are its fields, any other value is a field ``Value``.
* From XML: the elements an XPath selects (ElementTree's subset: ``//Flight``,
  ``/root/Flight``, ``Flight[@dest='NYC']``), with the fields Marketing Cloud documents:
  ``Value`` (the element's own text), ``Xml`` (what it holds, as XML) and ``{name}_att`` for
  every attribute found on any selected element ("" where one lacks it).

The last argument (``true``: return an empty rowset on error) decides whether bad input is an
error. Documents with a DTD are refused: no entity expansion reaches the renderer.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from sendwell.domain.ampscript.errors import FunctionError
from sendwell.domain.ampscript.registry import function
from sendwell.domain.ampscript.runtime import Context
from sendwell.domain.ampscript.values import DB_NULL, Row, Rowset, Value, boolean, text

MAX_BUILT_ROWS = 2000


@function("BuildRowsetFromString", 2)
def _from_string(ctx: Context, args: Sequence[Value]) -> Value:
    source, delimiter = text(args[0]), text(args[1])
    if not source:
        return Rowset(())
    pieces = source.split(delimiter) if delimiter else [source]
    return Rowset(Row({"Value": piece}) for piece in pieces[:MAX_BUILT_ROWS])


def _empty_on_error(args: Sequence[Value]) -> bool:
    return len(args) > 2 and boolean(args[2])


@function("BuildRowsetFromJSON", 2, 3)
def _from_json(ctx: Context, args: Sequence[Value]) -> Value:
    try:
        document = json.loads(text(args[0]), parse_float=Decimal, parse_int=Decimal)
        nodes = list(_json_path(document, text(args[1])))
    except (ValueError, RecursionError) as exc:
        if _empty_on_error(args):
            return Rowset(())
        raise FunctionError(f"the JSON or its path is not valid: {exc}") from None
    return Rowset(_json_row(node) for node in nodes[:MAX_BUILT_ROWS])


def _json_row(node: Any) -> Row:
    if isinstance(node, dict):
        return Row({k: _json_cell(v) for k, v in node.items()})
    return Row({"Value": _json_cell(node)})


def _json_cell(value: Any) -> Value:
    if value is None:
        return DB_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | str):
        return value if isinstance(value, str) else str(value)
    return json.dumps(value, default=str)


_STEP = re.compile(
    r"\.\.([\w$-]+|\*)|\.([\w$-]+|\*)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*(\*|-?\d+)\s*\]"
)


def _json_path(document: Any, path: str) -> Iterator[Any]:
    path = path.strip()
    if not path.startswith("$"):
        raise ValueError(f"a JSONPath starts with $, not {path[:10]!r}")
    nodes = [document]
    position = 1
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None:
            raise ValueError(f"unexpected {path[position : position + 10]!r} in the JSONPath")
        position = step.end()
        deep, name, quoted, double, index = step.groups()
        if deep is not None:
            nodes = [n for node in nodes for n in _descendants(node, deep)]
        else:
            key = name if name is not None else quoted if quoted is not None else double
            nodes = [n for node in nodes for n in _children(node, key, index)]
    if len(nodes) == 1 and isinstance(nodes[0], list):
        return iter(nodes[0])  # a path to an array: its items are the rows
    return iter(nodes)


def _children(node: Any, key: str | None, index: str | None) -> Iterator[Any]:
    if key == "*" or index == "*":
        yield from (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
    elif key is not None:
        if isinstance(node, dict) and key in node:
            yield node[key]
    elif isinstance(node, list) and index is not None and -len(node) <= int(index) < len(node):
        yield node[int(index)]


def _descendants(node: Any, key: str) -> Iterator[Any]:
    stack = [node]
    while stack:
        current = stack.pop(0)
        children = (
            current.values()
            if isinstance(current, dict)
            else current
            if isinstance(current, list)
            else ()
        )
        if isinstance(current, dict) and (key == "*" or key in current):
            yield from current.values() if key == "*" else (current[key],)
        stack.extend(c for c in children if isinstance(c, dict | list))


@function("BuildRowsetFromXML", 2, 3)
def _from_xml(ctx: Context, args: Sequence[Value]) -> Value:
    source, path = text(args[0]), text(args[1]).strip()
    try:
        if "<!DOCTYPE" in source.upper():
            raise ValueError("documents with a DTD are not read")
        root = ElementTree.fromstring(source)
        elements = _select(root, path)
    except (ElementTree.ParseError, ValueError, SyntaxError, KeyError) as exc:
        if _empty_on_error(args):
            return Rowset(())
        raise FunctionError(f"the XML or its XPath is not valid: {exc}") from None
    elements = elements[:MAX_BUILT_ROWS]
    attributes = list(dict.fromkeys(a for e in elements for a in e.attrib))
    return Rowset(_xml_row(e, attributes) for e in elements)


def _select(root: ElementTree.Element, path: str) -> list[ElementTree.Element]:
    if path.startswith("//"):
        return [root] * (root.tag == path[2:]) + root.findall("." + path)
    if path.startswith("/"):
        first, _, rest = path[1:].partition("/")
        if first != root.tag:
            return []
        return [root] if not rest else root.findall("./" + rest)
    return root.findall(path)


def _xml_row(element: ElementTree.Element, attributes: list[str]) -> Row:
    inner = (element.text or "") + "".join(
        ElementTree.tostring(child, encoding="unicode") for child in element
    )
    fields: dict[str, Value] = {"Value": (element.text or "").strip(), "Xml": inner}
    for name in attributes:
        fields[f"{name}_att"] = element.attrib.get(name, "")
    return Row(fields)
