"""The Send API's prerequisite look-up over REST of send classifications.

``/sendwell/v1/sendclassifications`` is Sendwell's own route (Marketing Cloud has no public REST
one), deliberately outside any Marketing Cloud prefix. Emails are listed by Content Builder's
asset routes (``api/rest/assets.py``), with the numeric ID the Send API takes in
``legacyData.legacyId``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from sendwell.api.rest.auth import object_scoped
from sendwell.domain.limits import MAX_PAGE
from sendwell.domain.permissions import Access
from sendwell.services.accounts import Principal
from sendwell.services.catalog import rows_of

router = APIRouter(tags=["look-ups"])
READ_CLASSIFICATIONS = object_scoped("SendClassification", Access.READ)


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
