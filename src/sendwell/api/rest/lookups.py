"""The Send API's prerequisite look-ups over REST: emails and send classifications.

``/asset/v1/content/assets`` lists emails the way Content Builder does, with the numeric classic
ID the Send API takes in ``legacyData.legacyId``. ``/sendwell/v1/sendclassifications`` is
Sendwell's own route (Marketing Cloud has no public REST one), deliberately outside any
Marketing Cloud prefix.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from sendwell.api.rest.auth import object_scoped
from sendwell.api.rest.errors import RestError
from sendwell.api.rest.json_body import json_object
from sendwell.domain.errors import REST_INVALID_TYPE, REST_INVALID_VALUE, shown
from sendwell.domain.limits import MAX_PAGE
from sendwell.domain.permissions import Access
from sendwell.services.accounts import Principal
from sendwell.services.catalog import rows_of

router = APIRouter(tags=["look-ups"])
READ_EMAILS = object_scoped("Email", Access.READ)
READ_CLASSIFICATIONS = object_scoped("SendClassification", Access.READ)


def _emails(request: Request, mid: int) -> list[dict[str, Any]]:
    with request.app.state.engine.connect() as conn:
        rows = rows_of(conn, mid, "Email")
    return [
        {
            "id": row.id,
            "customerKey": row.customer_key,
            "objectID": row.object_id,
            "name": row.props.get("Name"),
            "assetType": {"id": 208, "name": "htmlemail"},
            "views": {"subjectline": {"content": row.props.get("Subject") or ""}},
            "createdDate": row.created_at.isoformat(),
            "modifiedDate": row.modified_at.isoformat(),
            "legacyData": {
                "legacyId": row.id,
                "legacyKey": row.customer_key,
                "legacyType": "email",
            },
        }
        for row in rows
    ]


FILTERABLE = {"id", "name", "customerkey", "assettype.name", "legacydata.legacyid"}


def _value(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        value = (
            next((v for k, v in value.items() if k.lower() == part.lower()), None)
            if isinstance(value, dict)
            else None
        )
    return value


def _matches(item: dict[str, Any], query: Any) -> bool:
    """Content Builder's simple and compound queries over the few fields emails have here."""
    if not query:
        return True
    if not isinstance(query, dict):
        raise RestError(400, "A query must be a JSON object", REST_INVALID_TYPE)
    if "leftOperand" in query:
        left, right = (
            _matches(item, query["leftOperand"]),
            _matches(item, query.get("rightOperand")),
        )
        return (
            left and right
            if str(query.get("logicalOperator", "AND")).upper() == "AND"
            else left or right
        )
    prop = str(query.get("property", ""))
    if prop.lower() not in FILTERABLE:
        raise RestError(
            400, f"Querying assets by {shown(prop)} is not supported here", REST_INVALID_VALUE
        )
    actual = _value(item, prop)
    op = str(query.get("simpleOperator", "equal")).lower()
    wanted = query.get("value")
    if op in ("equal", "equals"):
        return str(actual).lower() == str(wanted).lower()
    if op == "notequal":
        return str(actual).lower() != str(wanted).lower()
    if op == "like":
        return str(wanted).lower().strip("%") in str(actual).lower()
    if op == "in":
        choices = wanted if isinstance(wanted, list) else [wanted]
        return str(actual).lower() in {str(v).lower() for v in choices}
    raise RestError(400, f"The operator {shown(op)} is not supported here", REST_INVALID_VALUE)


def _whole(value: Any) -> int | None:
    """A JSON number or digit string as an int (not a boolean, not a fraction)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip()) if len(value.strip()) < 20 else MAX_PAGE + 1
    return None


def _page(items: list[dict[str, Any]], page: int, size: int) -> dict[str, Any]:
    return {
        "count": len(items),
        "page": page,
        "pageSize": size,
        "links": {},
        "items": items[(page - 1) * size : page * size],
    }


@router.get("/asset/v1/content/assets", summary="List emails (Content Builder form)")
def list_assets(
    request: Request,
    page: int = Query(1, alias="$page", ge=1, le=MAX_PAGE),
    page_size: int = Query(50, alias="$pageSize", ge=1, le=500),
    principal: Principal = Depends(READ_EMAILS),
) -> dict[str, Any]:
    """The account's emails in Content Builder's asset form, with the classic numeric ID the
    Send API's `EmailId` takes in `legacyData.legacyId`; paged by `$page` and `$pageSize`, as
    Marketing Cloud's `GET /asset/v1/content/assets`. Auth: Bearer token."""
    return _page(_emails(request, principal.mid), page, page_size)


@router.post("/asset/v1/content/assets/query", summary="Query emails (Content Builder form)")
async def query_assets(
    request: Request, principal: Principal = Depends(READ_EMAILS)
) -> dict[str, Any]:
    """The account's emails matching a Content Builder `query` (`{"property", "simpleOperator",
    "value"}`) with `page` paging, as Marketing Cloud's `POST /asset/v1/content/assets/query`.
    Auth: Bearer token."""
    body = await json_object(request)
    paging = body.get("page") or {}
    if not isinstance(paging, dict):
        raise RestError(400, "page must be a JSON object", REST_INVALID_TYPE)
    page, size = _whole(paging.get("page", 1)), _whole(paging.get("pageSize", 50))
    if page is None or size is None:
        raise RestError(400, "page.page and page.pageSize must be numbers", REST_INVALID_TYPE)
    if not (1 <= page <= MAX_PAGE and size >= 1):
        raise RestError(
            400,
            f"page.page must be from 1 to {MAX_PAGE}; page.pageSize positive",
            REST_INVALID_VALUE,
        )
    size = min(size, 500)
    items = [i for i in _emails(request, principal.mid) if _matches(i, body.get("query"))]
    return _page(items, page, size)


@router.get("/sendwell/v1/sendclassifications", summary="List send classifications (Sendwell)")
def send_classifications(
    request: Request,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(50, alias="pageSize", ge=1, le=500),
    principal: Principal = Depends(READ_CLASSIFICATIONS),
) -> dict[str, Any]:
    """The account's send classifications with their IDs (the Send API's
    `SendClassificationId`) and sender and delivery profiles. Sendwell's own: Marketing Cloud has
    no public REST route for them (SOAP `Retrieve` of `SendClassification` is the other way).
    Auth: Bearer token."""
    with request.app.state.engine.connect() as conn:
        rows = rows_of(conn, principal.mid, "SendClassification")
    items = [
        {
            "id": row.id,
            "key": row.customer_key,
            "name": row.props.get("Name"),
            "sendClassificationType": row.props.get("SendClassificationType", "Marketing"),
            "senderProfileId": (row.props.get("SenderProfile") or {}).get("ID"),
            "deliveryProfileId": (row.props.get("DeliveryProfile") or {}).get("ID"),
        }
        for row in rows
    ]
    return {
        "count": len(items),
        "page": page,
        "pageSize": page_size,
        "items": items[(page - 1) * page_size : page * page_size],
    }
