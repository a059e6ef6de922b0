"""Translate a domain filter tree into a SQL condition over a JSON column.

Used to build audiences set-based in the database: a FilterDefinition over a data extension's
rows or over subscriber attributes becomes one WHERE clause. String comparisons are
case-insensitive (as Marketing Cloud's database collation is).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import Numeric, and_, cast, false, func, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from sendwell.domain.errors import Invalid, shown
from sendwell.domain.filters import COMPARISONS, Complex, Filter, Simple, finite_number

# property name -> (text-valued SQL expression, Marketing Cloud field type)
ColumnFor = Callable[[str], tuple[ColumnElement, str]]


def to_sql(tree: Filter | None, column_for: ColumnFor) -> ColumnElement[bool]:
    """A SQL boolean expression equivalent to ``tree``."""
    if tree is None:
        return true()
    if isinstance(tree, Complex):
        parts = [to_sql(o, column_for) for o in tree.operands]
        return and_(*parts) if tree.operator == "AND" else or_(*parts)
    return _simple(tree, column_for)


def _simple(node: Simple, column_for: ColumnFor) -> ColumnElement[bool]:
    expr, field_type = column_for(node.property)
    op, values = node.operator, node.values
    if op == "isNull":
        return or_(expr.is_(None), expr == "")
    if op == "isNotNull":
        return and_(expr.is_not(None), expr != "")
    if field_type in ("Number", "Decimal") and op in COMPARISONS:
        col = cast(func.nullif(expr, ""), Numeric(38, 10))
        nums = [_number(v, node.property) for v in values]
        return _ordered(col, op, nums)
    if field_type == "Boolean":
        col = func.lower(expr)
        wanted = ["true" if str(v).strip().lower() in ("true", "1") else "false" for v in values]
        wanted_alt = {"true": "1", "false": "0"}
        if op in ("equals", "IN"):
            return or_(*[col.in_([w, wanted_alt[w]]) for w in wanted])
        if op == "notEquals":
            return not_(col.in_([wanted[0], wanted_alt[wanted[0]]]))
    col = func.lower(expr)
    texts = [_text(v) for v in values]
    if op in COMPARISONS:
        return _ordered(col, op, texts)
    needle = texts[0]
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if op == "like":
        return col.like(needle)
    if op == "beginsWith":
        return col.like(escaped + "%", escape="\\")
    if op == "endsWith":
        return col.like("%" + escaped, escape="\\")
    if op in ("contains", "existsInString"):
        return col.like("%" + escaped + "%", escape="\\")
    if op in ("notContains", "notExistsInString"):
        return or_(expr.is_(None), not_(col.like("%" + escaped + "%", escape="\\")))
    raise Invalid(f"SimpleOperator {op} is not supported in a data filter.")


def _ordered(col: ColumnElement, op: str, values: list) -> ColumnElement[bool]:
    if op == "equals":
        return col == values[0]
    if op == "IN":
        return col.in_(values) if values else false()
    if op == "notEquals":
        return or_(col.is_(None), col != values[0])
    if op == "between":
        return and_(col >= values[0], col <= values[1])
    return {
        "greaterThan": col > values[0],
        "lessThan": col < values[0],
        "greaterThanOrEqual": col >= values[0],
        "lessThanOrEqual": col <= values[0],
    }[op]


def _number(value: object, prop: str) -> Decimal:
    number = finite_number(value)
    if number is None:  # NaN and infinities compare with nothing in SQL
        raise Invalid(f"The value {shown(value)} for {shown(prop)} is not a finite number.")
    return number


def _text(value: object) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ").lower()  # type: ignore[union-attr]
    return str(value).lower()
