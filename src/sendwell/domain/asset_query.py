"""Content Builder's asset queries over asset JSON: the advanced ``query`` tree, ``$filter``,
sorting and ``fields``.

``POST /asset/v1/content/assets/query`` takes ``{"property", "simpleOperator", "value"}`` parts
joined by ``{"leftOperand", "logicalOperator", "rightOperand"}`` (assetAdvancedQuery); ``GET``
takes ``$filter=<property> <op> <value>`` and ``$orderBy=<property> asc|desc`` (assetSimpleQuery).
Properties are dotted paths into the asset JSON (``assetType.id``, ``legacyData.legacyId``),
matched without regard to case. A query is compiled once into a predicate; a bad one is refused
before any asset is read.

Inferred where the docs are silent: text compares without regard to case (Content Builder searches
through ElasticSearch), ``like`` takes ``%`` wildcards and otherwise matches a part of the text, a
naive date is system time, and a property no asset has matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sendwell.domain.clock import SYSTEM_UTC_OFFSET_MINUTES, from_incoming
from sendwell.domain.errors import REST_INVALID_TYPE, REST_INVALID_VALUE, Invalid, shown

Item = Mapping[str, Any]
Predicate = Callable[[Item], bool]

# $filter's operators (assetSimpleQuery; pysfmc lists eq, neq, lt, lte, gt, gte, like).
FILTER_OPERATORS = {
    "eq": "equal",
    "neq": "notEqual",
    "ne": "notEqual",
    "lt": "lessThan",
    "lte": "lessThanOrEqual",
    "gt": "greaterThan",
    "gte": "greaterThanOrEqual",
    "like": "like",
}
_FILTER = re.compile(r"^\s*([\w.]+)\s+(\w+)\s+(.*?)\s*$", re.DOTALL)
_ORDERINGS = {"equal": (0,), "lessThan": (-1,), "lessThanOrEqual": (-1, 0)}
_ORDERINGS |= {"greaterThan": (1,), "greaterThanOrEqual": (1, 0)}
# Always in a reply that names its fields: what identifies an asset (sfmc-devtools reads these
# from replies to queries whose fields list omits them).
BASE_FIELDS = ("id", "customerKey", "assetType", "name")


def value_at(item: Item, path: str) -> Any:
    """The value at a dotted path, names matched without regard to case; None when absent."""
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        if part in value:
            value = value[part]
            continue
        lowered = part.lower()
        value = next((v for k, v in value.items() if str(k).lower() == lowered), None)
    return value


def compile_query(query: Any, offset: int = SYSTEM_UTC_OFFSET_MINUTES) -> Predicate:
    """A predicate for an advanced query (None or ``{}``: every asset)."""
    if query is None or query == {}:
        return lambda _: True
    if not isinstance(query, Mapping):
        raise Invalid("query must be a JSON object.", REST_INVALID_TYPE)
    if "leftOperand" in query or "rightOperand" in query:
        operator = str(query.get("logicalOperator") or "").upper()
        if operator not in ("AND", "OR") or not query.get("rightOperand"):
            raise Invalid(
                "A query with a leftOperand needs a logicalOperator (AND or OR) and a "
                "rightOperand.",
                REST_INVALID_VALUE,
            )
        left = compile_query(query.get("leftOperand"), offset)
        right = compile_query(query["rightOperand"], offset)
        if operator == "AND":
            return lambda item: left(item) and right(item)
        return lambda item: left(item) or right(item)
    return _simple(query, offset)


def _simple(query: Mapping[str, Any], offset: int) -> Predicate:
    prop = query.get("property")
    if not isinstance(prop, str) or not prop.strip():
        raise Invalid("A query needs a property.", REST_INVALID_VALUE)
    operator = str(query.get("simpleOperator") or "equal")
    wanted = query["values"] if "values" in query else query.get("value")
    test = _operator(operator, wanted, offset)
    path = prop.strip()
    return lambda item: test(value_at(item, path))


def _operator(operator: str, wanted: Any, offset: int) -> Callable[[Any], bool]:
    name = {"equals": "equal", "notequals": "notEqual"}.get(operator.lower(), operator)
    lowered = name.lower()
    if lowered == "isnull":
        return lambda actual: actual is None
    if lowered == "isnotnull":
        return lambda actual: actual is not None
    if lowered == "in":
        choices = list(wanted) if isinstance(wanted, list) else [wanted]
        return lambda actual: any(_order(a, c, offset) == 0 for a in _each(actual) for c in choices)
    if lowered == "notequal":
        return lambda actual: (
            actual is not None and all(_order(a, wanted, offset) != 0 for a in _each(actual))
        )
    if lowered == "like":
        pattern = _like(wanted)
        return lambda actual: any(pattern.search(_text(a)) for a in _each(actual))
    if lowered in ("contains", "mustcontain"):
        part = _text(wanted)
        return lambda actual: any(part in _text(a) for a in _each(actual))
    for known, signs in _ORDERINGS.items():
        if lowered == known.lower():
            return lambda actual: any(_order(a, wanted, offset) in signs for a in _each(actual))
    raise Invalid(f"The simpleOperator {shown(operator)} is not supported.", REST_INVALID_VALUE)


def _each(actual: Any) -> list[Any]:
    if actual is None:
        return []
    return list(actual) if isinstance(actual, list) else [actual]


def _like(wanted: Any) -> re.Pattern[str]:
    text = _text(wanted)
    if "%" not in text:
        return re.compile(re.escape(text))
    return re.compile("^" + ".*".join(re.escape(p) for p in text.split("%")) + "$", re.DOTALL)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value).casefold()


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    text = str(value) if isinstance(value, int | float) else value
    if not isinstance(text, str) or len(text) >= 40:
        return None
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(value: Any, offset: int) -> datetime | None:
    if not isinstance(value, str) or not 10 <= len(value) <= 40 or value[4:5] != "-":
        return None
    try:
        return from_incoming(datetime.fromisoformat(value.replace("Z", "+00:00")), offset)
    except ValueError:
        return None


def _order(actual: Any, wanted: Any, offset: int) -> int | None:
    """-1, 0 or 1 as ``actual`` sorts before, with or after ``wanted``; None: not comparable."""
    if actual is None or wanted is None or isinstance(actual, Mapping | list):
        return None
    pair: tuple[Any, Any] | None = None
    numbers = (_number(actual), _number(wanted))
    if numbers[0] is not None and numbers[1] is not None:
        pair = numbers
    else:
        dates = (_date(actual, offset), _date(wanted, offset))
        pair = dates if dates[0] and dates[1] else (_text(actual), _text(wanted))
    return (pair[0] > pair[1]) - (pair[0] < pair[1])


def parse_filter(text: str | None, offset: int = SYSTEM_UTC_OFFSET_MINUTES) -> Predicate:
    """A predicate for ``$filter`` (``name eq 'Welcome'``, ``id gt 100``, ``Name like 'news'``)."""
    if text is None or not text.strip():
        return lambda _: True
    match = _FILTER.match(text)
    operator = FILTER_OPERATORS.get(match.group(2).lower()) if match else None
    if match is None or operator is None:
        raise Invalid(
            f"The $filter {shown(text)} is not <property> <operator> <value> with an operator "
            f"of {', '.join(FILTER_OPERATORS)}.",
            REST_INVALID_VALUE,
        )
    value = match.group(3)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return _simple({"property": match.group(1), "simpleOperator": operator, "value": value}, offset)


Sort = list[tuple[str, bool]]  # (property path, descending)


def parse_order_by(text: str | None) -> Sort:
    """``$orderBy`` (``name asc, createdDate desc``) as sort keys."""
    keys: Sort = []
    for part in (text or "").split(","):
        words = part.split()
        if not words:
            continue
        direction = words[1].lower() if len(words) > 1 else "asc"
        if len(words) > 2 or direction not in ("asc", "desc"):
            raise Invalid(
                f"The $orderBy {shown(part.strip())} is not <property> asc|desc.",
                REST_INVALID_VALUE,
            )
        keys.append((words[0], direction == "desc"))
    return keys


def parse_sort(sort: Any) -> Sort:
    """The advanced query's ``sort``: ``[{"property": "id", "direction": "ASC"}, ...]``."""
    if sort is None:
        return []
    entries = [sort] if isinstance(sort, Mapping) else sort
    if not isinstance(entries, list):
        raise Invalid("sort must be an array of {property, direction}.", REST_INVALID_TYPE)
    keys: Sort = []
    for entry in entries:
        prop = entry.get("property") if isinstance(entry, Mapping) else None
        direction = str(entry.get("direction") or "ASC").upper() if prop else ""
        if not isinstance(prop, str) or direction not in ("ASC", "DESC"):
            raise Invalid(
                "Each sort entry needs a property and a direction of ASC or DESC.",
                REST_INVALID_VALUE,
            )
        keys.append((prop, direction == "DESC"))
    return keys


def sort_items(items: list[Item], keys: Sort) -> list[Item]:
    """Items in the order of ``keys`` (stable; assets without the property go last)."""
    ordered = list(items)
    for path, descending in reversed(keys):
        present = [i for i in ordered if value_at(i, path) is not None]
        absent = [i for i in ordered if value_at(i, path) is None]
        present.sort(key=lambda i, p=path: _sort_key(value_at(i, p)), reverse=descending)
        ordered = present + absent
    return ordered


def _sort_key(value: Any) -> tuple[int, Any]:
    number = _number(value)
    if number is not None:
        return (0, number)
    return (1, _text(value))


def parse_fields(fields: Any) -> list[str] | None:
    """The field names a reply is cut to (``$fields`` text or the query's ``fields`` array)."""
    if fields is None:
        return None
    names = fields.split(",") if isinstance(fields, str) else fields
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise Invalid("fields must be an array of property names.", REST_INVALID_TYPE)
    cleaned = [n.strip() for n in names if n.strip()]
    return cleaned or None


def project(items: Iterable[Item], fields: Sequence[str] | None) -> list[dict[str, Any]]:
    """Items cut to ``fields`` (their first path segment) and the fields that name an asset."""
    if not fields:
        return [dict(i) for i in items]
    wanted = {f.split(".")[0].lower() for f in (*BASE_FIELDS, *fields)}
    return [{k: v for k, v in i.items() if k.lower() in wanted} for i in items]
