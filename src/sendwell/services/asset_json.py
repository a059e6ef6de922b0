"""Content Builder's asset JSON of a stored Email or block, and where assets are stored.

See ``services/assets.py``: an email asset is the partner API Email (type ``Email``), a block an
object of type ``Asset``; what an asset has beyond the partner API's fields is kept under
``__asset__`` in the object's properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sendwell.domain.assets import ASSET_TYPES, HTML_EMAIL, VIEW_PARTS, AssetType
from sendwell.domain.clock import to_system_time
from sendwell.domain.limits import parse_id

EMAIL_TYPE, BLOCK_TYPE = "Email", "Asset"  # objects.type of email assets and of blocks
STORED_TYPES = (EMAIL_TYPE, BLOCK_TYPE)
EXTRAS = "__asset__"
ROOT_CATEGORY = "Content Builder"
EMAIL_VIEWS = ("subjectline", "preheader", "html", "text")  # an email's, in live replies' order
# Extras that asset_json places itself.
_PLACED = frozenset({"views", "data", "assetType", "modifiedBy", "availableViews", "modelVersion"})


def type_of(row: Any) -> AssetType:
    """The asset type of a stored Email or block (an Email made over SOAP: htmlemail)."""
    stored = (row.props.get(EXTRAS) or {}).get("assetType") or {}
    found = ASSET_TYPES.get(parse_id(stored.get("id")) or 0)
    if found is not None and found.is_email == (row.type == EMAIL_TYPE):
        return found
    return HTML_EMAIL if row.type == EMAIL_TYPE else ASSET_TYPES[197]


# --- The asset JSON --------------------------------------------------------------------------


def asset_json(row: Any, account: tuple[int, int], offset: int) -> dict[str, Any]:
    """A stored Email or block as Content Builder's asset JSON, in the order live replies use."""
    props, extras, kind = row.props, dict(row.props.get(EXTRAS) or {}), type_of(row)
    mid, enterprise = account
    out: dict[str, Any] = {"id": row.id, "customerKey": row.customer_key, "objectID": row.object_id}
    if extras.get("contentType") or kind.content_type:
        out["contentType"] = extras.get("contentType") or kind.content_type
    out["assetType"] = kind.as_json()
    out["name"] = row.name or props.get("Name") or ""
    out["description"] = extras.pop("description", "") or ""
    for field in ("owner", "createdBy"):
        if field in extras:
            out[field] = extras[field]
    out["createdDate"] = _date(row.created_at, offset)
    if "modifiedBy" in extras:
        out["modifiedBy"] = extras["modifiedBy"]
    out["modifiedDate"] = _date(row.modified_at, offset)
    out["enterpriseId"], out["memberId"] = enterprise, mid
    out["status"] = extras.get("status") or {"id": 1, "name": "Draft"}
    out["category"] = _category(props.get("CategoryID"), extras.get("category") or {}, mid)
    for field, value in extras.items():
        if field not in out and field not in _PLACED:
            out[field] = value
    if kind.is_email:
        out["views"] = _email_views(props, extras.get("views") or {})
        out["availableViews"] = extras.get("availableViews") or list(EMAIL_VIEWS)
        legacy = _legacy(row, out["category"]["id"])
        data = dict(extras.get("data") or {})
        out["data"] = {**data, "email": {**(data.get("email") or {}), "legacy": legacy}}
        out["legacyData"] = legacy
    else:
        if "views" in extras:
            out["views"] = extras["views"]
        out["availableViews"] = extras.get("availableViews") or []
        if "data" in extras:
            out["data"] = extras["data"]
    out["modelVersion"] = extras.get("modelVersion", 2)
    return out


def _email_views(props: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    views = {view: dict(part) for view, part in stored.items()}
    for view, field in VIEW_PARTS.items():
        if props.get(field) is not None or view == "subjectline":
            views[view] = {**views.get(view, {}), "content": props.get(field) or ""}
    return views


def _legacy(row: Any, category_id: int) -> dict[str, Any]:
    return {
        "legacyId": row.id,
        "legacyKey": row.customer_key,
        "legacyType": "email",
        "legacyCategoryId": category_id,
    }


def _category(category_id: int | None, stored: Mapping[str, Any], mid: int) -> dict[str, Any]:
    """Sendwell has one folder per account, Content Builder's root: its id is the MID (inferred;
    Marketing Cloud's root folders have ids of their own). A category id a caller gave is kept
    and echoed, under the root."""
    if category_id is None or category_id == mid:
        return {"id": mid, "name": ROOT_CATEGORY, "parentId": 0}
    return {"id": category_id, "name": stored.get("name") or "", "parentId": mid}


def _date(moment: datetime, offset: int) -> str:
    """A stored moment as Content Builder writes dates: system time with its offset, to the
    millisecond without trailing zeros (``2025-02-12T11:06:57.63-06:00``)."""
    local = to_system_time(moment, offset)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    millis = f"{local.microsecond // 1000:03d}".rstrip("0")
    if millis:
        text += "." + millis
    hours, minutes = divmod(abs(offset), 60)
    return f"{text}{'-' if offset < 0 else '+'}{hours:02d}:{minutes:02d}"
