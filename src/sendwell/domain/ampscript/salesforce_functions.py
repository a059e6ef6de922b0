"""Salesforce from content: ``RetrieveSalesforceObjects``, ``CreateSalesforceObject``,
``UpdateSingleSalesforceObject`` (``LongSFID`` is a utility), through the environment's
``CrmSource``: the account's connected org, or the local CRM store. Creates and updates happen
once per recipient (the same once-only key as data extension writes). Signatures are
Marketing Cloud's:

* ``RetrieveSalesforceObjects(object, "Field1,Field2", field, operator, value, …)``: rows;
  the operators are ``=``, ``!=``, ``<``, ``>``, ``<=``, ``>=``;
* ``CreateSalesforceObject(object, number of fields, field, value, …)``: the new record's ID;
* ``UpdateSingleSalesforceObject(object, ID, field, value, …)``: 1 when it was updated.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sendwell.domain.ampscript.data_writes import _key
from sendwell.domain.ampscript.errors import FunctionError
from sendwell.domain.ampscript.registry import function
from sendwell.domain.ampscript.runtime import Context, CrmFailure, CrmSource
from sendwell.domain.ampscript.values import DB_NULL, Row, Rowset, Value, integer, text

OPERATORS = frozenset({"=", "!=", "<", ">", "<=", ">="})


def _crm(ctx: Context) -> CrmSource:
    if ctx.env.crm is None:
        raise FunctionError("no Salesforce data can be reached here")
    return ctx.env.crm


def _object_type(value: Value) -> str:
    name = text(value).strip()
    if not name or not name.replace("_", "").isalnum():
        raise FunctionError(f"{text(value)!r} is not a Salesforce object name")
    return name


def _pairs(args: Sequence[Value]) -> list[tuple[str, str]]:
    if len(args) % 2 or not args:
        raise FunctionError("fields must come in name/value pairs")
    return [(text(args[i]).strip(), text(args[i + 1])) for i in range(0, len(args), 2)]


@function("RetrieveSalesforceObjects", 5, None)
def _retrieve(ctx: Context, args: Sequence[Value]) -> Value:
    object_type = _object_type(args[0])
    fields = [f.strip() for f in text(args[1]).split(",") if f.strip()]
    rest = args[2:]
    if len(rest) % 3:
        raise FunctionError("conditions must come as field, operator, value")
    conditions = [
        (text(rest[i]).strip(), text(rest[i + 1]).strip(), text(rest[i + 2]))
        for i in range(0, len(rest), 3)
    ]
    for _, operator, _ in conditions:
        if operator not in OPERATORS:
            raise FunctionError(f"the operator must be one of = != < > <= >=, not {operator!r}")
    try:
        records = _crm(ctx).retrieve(object_type, fields, conditions)
    except CrmFailure as exc:
        raise FunctionError(exc.message) from None
    return Rowset(Row({k: DB_NULL if v is None else str(v) for k, v in r.items()}) for r in records)


@function("CreateSalesforceObject", 4, None, sited=True)
def _create(ctx: Context, args: Sequence[Value]) -> Value:
    site, object_type = args[0], _object_type(args[1])
    count = integer(args[2], "the number of fields")
    values = _pairs(args[3:])
    if count != len(values):
        raise FunctionError(f"{count} fields were announced, {len(values)} given")
    try:
        return _crm(ctx).create(object_type, values, _key(ctx, site))  # type: ignore[arg-type]
    except CrmFailure as exc:
        raise FunctionError(exc.message) from None


@function("UpdateSingleSalesforceObject", 4, None, sited=True)
def _update(ctx: Context, args: Sequence[Value]) -> Value:
    site, object_type, record_id = args[0], _object_type(args[1]), text(args[2]).strip()
    try:
        done = _crm(ctx).update(object_type, record_id, _pairs(args[3:]), _key(ctx, site))  # type: ignore[arg-type]
    except CrmFailure as exc:
        raise FunctionError(exc.message) from None
    return Decimal(1 if done else 0)
