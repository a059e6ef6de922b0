"""AMPscript's SOAP API (``InvokeCreate`` … ``InvokeRetrieve``): Sendwell's own object layer
(``registry.KINDS``) for the sending account only.

* ``AccountApi``: a send's calls. Create, Update, Delete and Perform run once per key (the
  recipient, content and call site, recorded in ``ampscript_writes`` with the data extension
  writes), so a retried recipient does not repeat them. A ``Client`` in the object is
  dropped: content acts for its own account, never another. Perform knows what the SOAP API's
  Perform does: ``start``, ``pause``, ``restart`` and ``stop`` an EmailSendDefinition.
* ``PreviewApi``: previews and ``sendwell render`` retrieve, but create, change and perform
  nothing (the call answers OK and says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from sendwell.domain.ampscript.runtime import ApiResult
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import SendwellError
from sendwell.domain.filters import parse_filter
from sendwell.domain.secrets import new_guid
from sendwell.services.registry import DATA_EXTENSION_OBJECT, KINDS
from sendwell.services.send_control import control, latest_job_of_definition
from sendwell.services.sends import start_send
from sendwell.store.tables import ampscript_writes

MAX_RETRIEVED = 2500  # objects one InvokeRetrieve returns (a SOAP Retrieve's page)
_CONTROL = {"pause": "pause", "restart": "resume", "resume": "resume", "stop": "cancel"}


def _own(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object without a Client: it acts for the sending account only."""
    return {k: _own(v) if isinstance(v, Mapping) else v for k, v in obj.items() if k != "Client"}


def _apply(conn: Connection, mid: int, method: str, obj: dict[str, Any], options: Any) -> str:
    type_name = obj.get("__type__", "")
    if method == "Perform":
        return _perform(conn, mid, obj, str((options or {}).get("Action") or ""))
    kind = KINDS.get(type_name)
    if kind is None:
        raise SendwellError(f"Sendwell's API has no object type {type_name!r}")
    getattr(kind, method.lower())(conn, mid, obj)
    return f"{type_name} {method.lower()}d" if method != "Delete" else f"{type_name} deleted"


def _perform(conn: Connection, mid: int, obj: dict[str, Any], action: str) -> str:
    if obj.get("__type__") != "EmailSendDefinition":
        raise SendwellError(f"Cannot perform {action!r} on objects of type {obj.get('__type__')}")
    verb = action.strip().lower()
    if verb == "start":
        return f"started job {start_send(conn, mid, obj, obj.get('SenderProfile')).job_id}"
    if verb not in _CONTROL:
        raise SendwellError(
            f"The action {action!r} is not supported: use start, pause, restart or stop"
        )
    row = KINDS["EmailSendDefinition"].find(conn, mid, obj)  # type: ignore[attr-defined]
    return control(conn, mid, latest_job_of_definition(conn, mid, row.id), _CONTROL[verb])


class AccountApi:
    """A send job's SOAP calls, for its account."""

    def __init__(self, engine: Engine, mid: int, job_id: int | None = None) -> None:
        self.engine = engine
        self.mid = mid
        self.job_id = job_id

    def invoke(
        self,
        method: str,
        obj: Mapping[str, Any],
        options: Mapping[str, Any] | None,
        key: str | None,
    ) -> ApiResult:
        """Create, Update, Delete or Perform ``obj`` once per ``key``."""
        recorded = key is not None and self.job_id is not None
        try:
            with self.engine.begin() as conn:
                if recorded:
                    done = conn.execute(
                        select(ampscript_writes.c.rows).where(
                            ampscript_writes.c.job_id == self.job_id,
                            ampscript_writes.c.write_key == f"api:{key}"[:200],
                        )
                    ).scalar()
                    if done is not None:
                        return ApiResult("OK", f"{method} was done for this recipient before")
                message = _apply(conn, self.mid, method, _own(obj), options)
                if recorded:
                    conn.execute(
                        insert(ampscript_writes).values(
                            job_id=self.job_id,
                            write_key=f"api:{key}"[:200],
                            rows=1,
                            created_at=utcnow(),
                        )
                    )
        except SendwellError as exc:
            return ApiResult("Error", exc.message, exc.code)
        return ApiResult("OK", message)

    def retrieve(self, request: Mapping[str, Any]) -> ApiResult:
        """The objects a RetrieveRequest names, with the properties it asks for."""
        return retrieve(self.engine, self.mid, request)


def retrieve(engine: Engine, mid: int, request: Mapping[str, Any]) -> ApiResult:
    """A RetrieveRequest (ObjectType, Properties, Filter) against the account's objects."""
    type_name = str(request.get("ObjectType") or "")
    wanted = request.get("Properties") or []
    wanted = [wanted] if isinstance(wanted, str) else [str(w) for w in wanted]
    try:
        tree = parse_filter(_filter(request.get("Filter")))
        with engine.connect() as conn:
            if type_name.startswith("DataExtensionObject[") and type_name.endswith("]"):
                found, _ = DATA_EXTENSION_OBJECT.retrieve_rows(
                    conn, mid, type_name[20:-1], tree, 0, MAX_RETRIEVED
                )
                found = [_row_properties(f) for f in found]
            elif type_name in KINDS:
                found, _ = KINDS[type_name].retrieve(conn, mid, tree, 0, MAX_RETRIEVED)
            else:
                raise SendwellError(f"Sendwell's API has no object type {type_name!r}")
    except SendwellError as exc:
        return ApiResult("Error", exc.message, exc.code, new_guid())
    objects = tuple(
        {k: v for k, v in o.items() if not wanted or k.lower() in {w.lower() for w in wanted}}
        for o in found
    )
    return ApiResult("OK", "OK", 0, new_guid(), objects)


def _filter(part: Any) -> Any:
    """A filter built in content: its Value (one string or a list) as the codec gives it."""
    if not isinstance(part, Mapping):
        return None
    out = dict(part)
    if "Value" in out and not isinstance(out["Value"], list):
        out["Value"] = [out["Value"]]
    for side in ("LeftOperand", "RightOperand"):
        if side in out:
            out[side] = _filter(out[side])
    return out


def _row_properties(row: Mapping[str, Any]) -> dict[str, Any]:
    props = (row.get("Properties") or {}).get("Property") or []
    return {p["Name"]: p["Value"] for p in props}


class PreviewApi:
    """Previews: retrieve, never create, change or perform."""

    def __init__(self, engine: Engine | None, mid: int | None) -> None:
        self.engine = engine
        self.mid = mid

    def invoke(
        self,
        method: str,
        obj: Mapping[str, Any],
        options: Mapping[str, Any] | None,
        key: str | None,
    ) -> ApiResult:
        """Nothing is done: the answer says so."""
        return ApiResult("OK", f"{method} does not run in a preview")

    def retrieve(self, request: Mapping[str, Any]) -> ApiResult:
        """The account's objects, when the preview has an account."""
        if self.engine is None or self.mid is None:
            return ApiResult("Error", "no account's objects can be read here", 2)
        return retrieve(self.engine, self.mid, request)
