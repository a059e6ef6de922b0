"""The SOAP API from content: ``CreateObject``, ``SetObjectProperty``, ``AddObjectArrayItem``,
``InvokeCreate``, ``InvokeUpdate``, ``InvokeDelete``, ``InvokePerform``, ``InvokeRetrieve``.

Objects are built in content and handed to the environment's ``ApiSource``, which runs them
against Sendwell's own SOAP object layer for the sending account only (a ``Client`` in the
object is ignored: no other account's objects, ever). Create, Update, Delete and Perform are
done once per recipient (the same once-only key as data extension writes). Signatures are
Marketing Cloud's:

* ``InvokeCreate(obj, @status message, @error code, [CreateOptions])`` → "OK" or "Error";
  ``InvokeUpdate`` and ``InvokeDelete`` alike;
* ``InvokePerform(obj, action, @status message, [PerformOptions])`` → "OK" or "Error";
* ``InvokeRetrieve(RetrieveRequest, @status, @request ID)`` → the objects as rows
  (``Row(@rows, 1)``, ``Field(@row, "Name")``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sendwell.domain.ampscript.data_writes import _key
from sendwell.domain.ampscript.errors import FunctionError
from sendwell.domain.ampscript.registry import OutputVariable, function
from sendwell.domain.ampscript.runtime import ApiSource, Context
from sendwell.domain.ampscript.values import DB_NULL, Row, Rowset, Value, text

MAX_PROPERTIES = 200  # properties (and array items) one object may hold


class ApiObject:
    """An object of the SOAP API built in content (``CreateObject("Subscriber")``)."""

    __slots__ = ("properties", "type_name")

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self.properties: dict[str, Any] = {}

    def shown(self) -> str:
        """How the object shows as text: its type's name, as .NET's ToString would."""
        return self.type_name

    def as_request(self) -> dict[str, Any]:
        """The object as the SOAP layer takes it (``__type__`` and its properties)."""
        return {"__type__": self.type_name, **{k: _plain(v) for k, v in self.properties.items()}}


def _plain(value: Any) -> Any:
    if isinstance(value, ApiObject):
        return value.as_request()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _object(value: Value, what: str = "the first argument") -> ApiObject:
    if not isinstance(value, ApiObject):
        raise FunctionError(f"{what} must be an object made with CreateObject")
    return value


def _source(ctx: Context) -> ApiSource:
    source = ctx.env.api
    if source is None:
        raise FunctionError("the SOAP API cannot be called here")
    return source


def _property_value(value: Value) -> Any:
    if isinstance(value, ApiObject):
        return value
    return text(value)


@function("CreateObject", 1)
def _create_object(ctx: Context, args: Sequence[Value]) -> Value:
    name = text(args[0]).strip()
    if not name.replace("_", "").isalnum():
        raise FunctionError(f"{text(args[0])!r} is not an API object type")
    return ApiObject(name)


@function("SetObjectProperty", 3)
def _set_object_property(ctx: Context, args: Sequence[Value]) -> Value:
    target, name = _object(args[0]), text(args[1]).strip()
    if not name:
        raise FunctionError("the property name is empty")
    if name not in target.properties and len(target.properties) >= MAX_PROPERTIES:
        raise FunctionError(f"an object holds at most {MAX_PROPERTIES} properties")
    target.properties[name] = _property_value(args[2])
    return ""


@function("AddObjectArrayItem", 3)
def _add_object_array_item(ctx: Context, args: Sequence[Value]) -> Value:
    target, name = _object(args[0]), text(args[1]).strip()
    items = target.properties.setdefault(name, [])
    if not isinstance(items, list):
        items = target.properties[name] = [items]
    if len(items) >= MAX_PROPERTIES:
        raise FunctionError(f"an array holds at most {MAX_PROPERTIES} items")
    items.append(_property_value(args[2]))
    return ""


def _set(target: Value, ctx: Context, value: Value) -> None:
    if isinstance(target, OutputVariable):
        target.set(ctx, value)


def _options(args: Sequence[Value], index: int) -> Mapping[str, Any] | None:
    if len(args) <= index or args[index] is None or args[index] is DB_NULL:
        return None
    return _object(args[index], f"argument {index + 1}").as_request()


def _invoke(method: str) -> Any:
    def run(ctx: Context, args: Sequence[Value]) -> Value:
        site, args = args[0], args[1:]
        obj = _object(args[0]).as_request()
        result = _source(ctx).invoke(method, obj, _options(args, 3), _key(ctx, site))  # type: ignore[arg-type]
        _set(args[1] if len(args) > 1 else None, ctx, result.message)
        _set(args[2] if len(args) > 2 else None, ctx, Decimal(result.error_code))
        return result.status

    return run


for _method in ("Create", "Update", "Delete"):
    function(f"Invoke{_method}", 1, 4, outputs=(1, 2), sited=True)(_invoke(_method))


@function("InvokePerform", 2, 4, outputs=(2,), sited=True)
def _invoke_perform(ctx: Context, args: Sequence[Value]) -> Value:
    site, args = args[0], args[1:]
    obj = _object(args[0]).as_request()
    options = {**(_options(args, 3) or {}), "Action": text(args[1])}
    result = _source(ctx).invoke("Perform", obj, options, _key(ctx, site))  # type: ignore[arg-type]
    _set(args[2] if len(args) > 2 else None, ctx, result.message)
    return result.status


@function("InvokeRetrieve", 1, 3, outputs=(1, 2))
def _invoke_retrieve(ctx: Context, args: Sequence[Value]) -> Value:
    request = _object(args[0])
    if request.type_name.lower() != "retrieverequest":
        raise FunctionError("InvokeRetrieve takes a RetrieveRequest object")
    result = _source(ctx).retrieve(request.as_request())
    _set(args[1] if len(args) > 1 else None, ctx, result.status)
    _set(args[2] if len(args) > 2 else None, ctx, result.request_id)
    if result.status != "OK":
        raise FunctionError(result.message)
    return Rowset(Row({k: _cell(v) for k, v in o.items()}) for o in result.objects)


def _cell(value: Any) -> Value:
    if value is None:
        return DB_NULL
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        made = ApiObject(str(value.get("__type__", "APIObject")))
        made.properties = {k: _cell(v) for k, v in value.items() if not k.startswith("__")}
        return made
    return str(value)
