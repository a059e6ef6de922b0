"""Content Builder query rules over asset JSON, without a database: each operator, $filter,
$orderBy and sort, fields, and the asset body checks."""

from __future__ import annotations

from typing import Any

import pytest

from sendwell.domain.asset_query import (
    compile_query,
    parse_fields,
    parse_filter,
    parse_order_by,
    parse_sort,
    project,
    sort_items,
)
from sendwell.domain.assets import AssetInvalid, asset_type_of, check_body, email_parts
from sendwell.domain.errors import Invalid

ITEMS: list[dict[str, Any]] = [
    {
        "id": 5,
        "name": "Welcome",
        "assetType": {"id": 208, "name": "htmlemail"},
        "createdDate": "2026-11-30T10:00:00-06:00",
        "tags": ["news", "Spring"],
    },
    {
        "id": 12,
        "name": "footer",
        "assetType": {"id": 197, "name": "htmlblock"},
        "createdDate": "2026-12-01T10:00:00-06:00",
        "content": "<p>100% off</p>",
    },
    {"id": 40, "name": "Legal", "assetType": {"id": 196, "name": "textblock"}, "content": ""},
]


def ids(predicate: Any) -> list[int]:
    return [item["id"] for item in ITEMS if predicate(item)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"property": "name", "simpleOperator": "equal", "value": "WELCOME"}, [5]),
        ({"property": "Name", "simpleOperator": "equals", "value": "welcome"}, [5]),
        ({"property": "name", "simpleOperator": "notEqual", "value": "Welcome"}, [12, 40]),
        ({"property": "id", "simpleOperator": "greaterThan", "value": "12"}, [40]),
        ({"property": "id", "simpleOperator": "greaterThanOrEqual", "value": 12}, [12, 40]),
        ({"property": "id", "simpleOperator": "lessThan", "value": 12}, [5]),
        ({"property": "id", "simpleOperator": "lessThanOrEqual", "value": 12}, [5, 12]),
        ({"property": "assetType.id", "simpleOperator": "in", "value": [196, 197]}, [12, 40]),
        ({"property": "assetType.name", "simpleOperator": "in", "values": ["HTMLEMAIL"]}, [5]),
        ({"property": "name", "simpleOperator": "like", "value": "%oo%"}, [12]),
        ({"property": "name", "simpleOperator": "like", "value": "leg"}, [40]),
        ({"property": "content", "simpleOperator": "contains", "value": "100%"}, [12]),
        ({"property": "tags", "simpleOperator": "mustContain", "value": "spring"}, [5]),
        ({"property": "tags", "simpleOperator": "equal", "value": "news"}, [5]),
        ({"property": "content", "simpleOperator": "isNull"}, [5]),
        ({"property": "content", "simpleOperator": "isNotNull"}, [12, 40]),
        ({"property": "noSuchField", "simpleOperator": "equal", "value": "x"}, []),
        # A naive date is system time (UTC-6): 2026-12-01T00:00 is after the first item.
        (
            {"property": "createdDate", "simpleOperator": "greaterThan", "value": "2026-12-01"},
            [12],
        ),
        (
            {
                "property": "createdDate",
                "simpleOperator": "lessThan",
                "value": "2026-11-30T17:00:00Z",
            },
            [5],
        ),
        (
            {
                "leftOperand": {"property": "id", "simpleOperator": "greaterThan", "value": 5},
                "logicalOperator": "and",
                "rightOperand": {"property": "content", "simpleOperator": "isNotNull"},
            },
            [12, 40],
        ),
        (
            {
                "leftOperand": {"property": "id", "simpleOperator": "equal", "value": 5},
                "logicalOperator": "OR",
                "rightOperand": {
                    "leftOperand": {"property": "name", "simpleOperator": "equal", "value": "x"},
                    "logicalOperator": "OR",
                    "rightOperand": {"property": "id", "simpleOperator": "equal", "value": 40},
                },
            },
            [5, 40],
        ),
        (None, [5, 12, 40]),
    ],
)
def test_advanced_query_operators(query: Any, expected: list[int]) -> None:
    assert ids(compile_query(query)) == expected


@pytest.mark.parametrize(
    "query",
    [
        "name eq x",
        {"property": "", "simpleOperator": "equal"},
        {"property": "name", "simpleOperator": "between", "value": [1, 2]},
        {"leftOperand": {"property": "id"}, "logicalOperator": "XOR", "rightOperand": {}},
        {"leftOperand": {"property": "id"}},
    ],
)
def test_bad_queries_are_refused_before_any_asset_is_read(query: Any) -> None:
    with pytest.raises(Invalid):
        compile_query(query)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("customerKey eq footer", []),
        ("name eq 'Welcome'", [5]),
        ('name eq "legal"', [40]),
        ("id gt 5", [12, 40]),
        ("id lte 12", [5, 12]),
        ("id neq 12", [5, 40]),
        ("Name like 'welc'", [5]),
        ("assetType.name like '%block'", [12, 40]),
        ("", [5, 12, 40]),
    ],
)
def test_filter_parameter(text: str, expected: list[int]) -> None:
    assert ids(parse_filter(text)) == expected


@pytest.mark.parametrize("text", ["name", "name is x", "name eq", "eq x y"])
def test_bad_filters(text: str) -> None:
    with pytest.raises(Invalid):
        parse_filter(text)


def test_order_by_and_sort_put_missing_values_last() -> None:
    by_name = sort_items(ITEMS, parse_order_by("name desc"))
    assert [i["id"] for i in by_name] == [5, 40, 12]
    by_content = sort_items(ITEMS, parse_sort([{"property": "content", "direction": "ASC"}]))
    assert [i["id"] for i in by_content] == [40, 12, 5]
    by_type_then_id = sort_items(ITEMS, parse_order_by("assetType.id asc, id desc"))
    assert [i["id"] for i in by_type_then_id] == [40, 12, 5]
    assert sort_items(ITEMS, parse_sort({"property": "id", "direction": "DESC"}))[0]["id"] == 40
    for bad in ("name upward", "name asc desc"):
        with pytest.raises(Invalid):
            parse_order_by(bad)
    with pytest.raises(Invalid):
        parse_sort([{"direction": "ASC"}])


def test_fields_keep_what_names_an_asset() -> None:
    (cut, *_) = project(ITEMS, parse_fields("content, tags"))
    assert cut == {
        "id": 5,
        "name": "Welcome",
        "assetType": {"id": 208, "name": "htmlemail"},
        "tags": ["news", "Spring"],
    }
    assert project(ITEMS, parse_fields(" , ")) == ITEMS
    with pytest.raises(Invalid):
        parse_fields([1, 2])


def test_asset_types_and_bodies() -> None:
    assert asset_type_of({"id": "208", "name": "wrong"}).name == "htmlemail"  # the id decides
    assert asset_type_of({"name": "CodeSnippetBlock"}).id == 220
    for bad in ({"id": 28}, {"name": "png"}, {"id": True}, {}, None, 208):
        with pytest.raises(AssetInvalid):
            asset_type_of(bad)
    check_body({"name": "x", "assetType": {"id": 197}, "content": "c"}, whole=True)
    check_body({"description": "only this"}, whole=False)
    for bad in (
        {"name": " ", "assetType": {"id": 197}},
        {"name": "x", "assetType": {"id": 197}, "views": {"html": "text"}},
        {"name": "x", "assetType": {"id": 197}, "views": {"html": {"content": 1}}},
        {"name": "x", "assetType": {"id": 197}, "category": {"id": "root"}},
        {"name": "x" * 201, "assetType": {"id": 197}},
        {"name": "x", "assetType": {"id": 197}, "tags": "a,b"},
    ):
        with pytest.raises(AssetInvalid):
            check_body(bad, whole=True)
    assert email_parts({"html": {"content": "h"}, "text": {"content": None}, "preheader": {}}) == {
        "HTMLBody": "h",
        "TextBody": None,
    }
