"""Marketing Cloud's campaign routes, ``/hub/v1/campaigns``: campaigns and their assets.

As FuelSDK's ``Campaign`` and ``CampaignAsset`` use them: create (``POST``, also with a
trailing slash, and ``POST`` with an ``id`` to change one: FuelSDK-Python "patches" that way),
get, list, change (``PATCH``), delete; associate assets (``POST …/{id}/assets`` with ``ids`` and
``type``), list, get and remove associations. Every answer is 200 (FuelSDK-Node's tests check
it); an unknown campaign or association is 400 (``services/campaigns.py``). Reading needs
``campaign_read``, changing ``campaign_write``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sendwell.api.docs import body_doc
from sendwell.api.rest.auth import scoped
from sendwell.api.rest.json_body import json_object
from sendwell.domain.limits import MAX_PAGE
from sendwell.domain.permissions import CAMPAIGNS, Access
from sendwell.services import campaigns
from sendwell.services.accounts import Principal

router = APIRouter(tags=["campaigns"])
READ = scoped(CAMPAIGNS, Access.READ)
WRITE = scoped(CAMPAIGNS, Access.WRITE)
BASE = "/hub/v1/campaigns"


class CampaignBody(BaseModel):
    """A campaign as created or changed."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(..., description="128 characters at most")
    description: str | None = Field(None, description="512 characters at most")
    campaignCode: str | None = Field(None, description="36 characters at most")
    color: str | None = Field(None, description="A hex color, RRGGBB")
    favorite: bool | None = None


class AssetsBody(BaseModel):
    """Assets to associate with a campaign."""

    ids: list[str] = Field(..., description="The assets' ids (a triggered send's ObjectID)")
    type: str = Field(
        ...,
        description="EMAIL, CMS_ASSET, LIST, DATA_EXTENSION, TRIGGERED, AUTOMATION_DEFINITION, …",
    )


def _offset(request: Request) -> int:
    return request.app.state.settings.system_utc_offset_minutes


@router.get(BASE, summary="List campaigns")
@router.get(BASE + "/", include_in_schema=False)
def list_campaigns(
    request: Request,
    page: int = Query(1, alias="$page", ge=1, le=MAX_PAGE),
    page_size: int = Query(50, alias="$pageSize", ge=1, le=500),
    principal: Principal = Depends(READ),
) -> dict[str, Any]:
    """The account's campaigns, paged by `$page` and `$pageSize` (50), with their `count`.
    Mirrors Marketing Cloud's `GET /hub/v1/campaigns`. Auth: Bearer token (`campaign_read`)."""
    with request.app.state.engine.connect() as conn:
        return campaigns.list_campaigns(conn, principal.mid, page, page_size, _offset(request))


@router.post(BASE, summary="Create a campaign", openapi_extra=body_doc(CampaignBody))
@router.post(BASE + "/", include_in_schema=False)
async def create_campaign(request: Request, principal: Principal = Depends(WRITE)) -> Any:
    """A new campaign (`name`; `description`, `campaignCode`, `color`, `favorite`), answered
    with its `id` and dates; a body with an `id` changes that campaign instead (FuelSDK-Python
    updates that way). Mirrors Marketing Cloud's `POST /hub/v1/campaigns`. Auth: Bearer token
    (`campaign_write`)."""
    body = await json_object(request)
    with request.app.state.engine.begin() as conn:
        if body.get("id") not in (None, ""):
            return campaigns.update_campaign(
                conn, principal.mid, body["id"], body, _offset(request)
            )
        return campaigns.create_campaign(conn, principal.mid, body, _offset(request))


@router.get(BASE + "/{campaign_id}", summary="Get a campaign")
def get_campaign(
    campaign_id: str, request: Request, principal: Principal = Depends(READ)
) -> dict[str, Any]:
    """One campaign by its `id`; an unknown one is 400. Mirrors Marketing Cloud's
    `GET /hub/v1/campaigns/{id}`. Auth: Bearer token (`campaign_read`)."""
    with request.app.state.engine.connect() as conn:
        return campaigns.get_campaign(conn, principal.mid, campaign_id, _offset(request))


@router.patch(BASE + "/{campaign_id}", summary="Change a campaign")
@router.post(BASE + "/{campaign_id}", include_in_schema=False)
async def change_campaign(
    campaign_id: str, request: Request, principal: Principal = Depends(WRITE)
) -> dict[str, Any]:
    """Change the fields the body gives (FuelSDK-Node's `patch` POSTs here). Mirrors Marketing
    Cloud's `PATCH /hub/v1/campaigns/{id}`. Auth: Bearer token (`campaign_write`)."""
    body = await json_object(request)
    with request.app.state.engine.begin() as conn:
        return campaigns.update_campaign(conn, principal.mid, campaign_id, body, _offset(request))


@router.delete(BASE + "/{campaign_id}", summary="Delete a campaign")
def delete_campaign(
    campaign_id: str, request: Request, principal: Principal = Depends(WRITE)
) -> str:
    """Delete the campaign and its associations (not the assets) and answer `"OK"`. Mirrors
    Marketing Cloud's `DELETE /hub/v1/campaigns/{id}`. Auth: Bearer token (`campaign_write`)."""
    with request.app.state.engine.begin() as conn:
        campaigns.delete_campaign(conn, principal.mid, campaign_id)
    return "OK"


@router.post(
    BASE + "/{campaign_id}/assets",
    summary="Associate assets with a campaign",
    openapi_extra=body_doc(AssetsBody),
)
async def associate_assets(
    campaign_id: str, request: Request, principal: Principal = Depends(WRITE)
) -> list[dict[str, Any]]:
    """Associate the assets `ids` of one `type` (`CMS_ASSET`: Content Builder assets; `EMAIL`,
    `LIST`, `DATA_EXTENSION`, `TRIGGERED` are checked to exist in the account); answers the new
    associations. Mirrors Marketing Cloud's `POST /hub/v1/campaigns/{id}/assets`.
    Auth: Bearer token (`campaign_write`)."""
    body = await json_object(request)
    with request.app.state.engine.begin() as conn:
        return campaigns.associate(conn, principal.mid, campaign_id, body, _offset(request))


@router.get(BASE + "/{campaign_id}/assets", summary="List a campaign's assets")
def list_assets(
    campaign_id: str, request: Request, principal: Principal = Depends(READ)
) -> dict[str, Any]:
    """The campaign's associations (`entities`, `totalCount`). Mirrors Marketing Cloud's
    `GET /hub/v1/campaigns/{id}/assets`. Auth: Bearer token (`campaign_read`)."""
    with request.app.state.engine.connect() as conn:
        return campaigns.list_associations(conn, principal.mid, campaign_id, _offset(request))


@router.get(BASE + "/{campaign_id}/assets/{asset_id}", summary="Get a campaign asset")
def get_asset(
    campaign_id: str, asset_id: str, request: Request, principal: Principal = Depends(READ)
) -> dict[str, Any]:
    """One association of the campaign by its `id`. Mirrors Marketing Cloud's
    `GET /hub/v1/campaigns/{id}/assets/{assetId}`. Auth: Bearer token (`campaign_read`)."""
    with request.app.state.engine.connect() as conn:
        return campaigns.get_association(
            conn, principal.mid, campaign_id, asset_id, _offset(request)
        )


@router.delete(BASE + "/{campaign_id}/assets/{asset_id}", summary="Remove a campaign asset")
def remove_asset(
    campaign_id: str, asset_id: str, request: Request, principal: Principal = Depends(WRITE)
) -> str:
    """Remove one association (by its `id`, or by its item's id), not the asset; answers
    `"OK"`. Mirrors Marketing Cloud's `DELETE /hub/v1/campaigns/{id}/assets/{assetId}`.
    Auth: Bearer token (`campaign_write`)."""
    with request.app.state.engine.begin() as conn:
        campaigns.dissociate(conn, principal.mid, campaign_id, asset_id)
    return "OK"
