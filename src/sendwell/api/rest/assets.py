"""Content Builder's asset routes: emails and content blocks under ``/asset/v1/content/assets``.

Create, get, update (PATCH a part, PUT the whole), delete, list (``$filter``, ``$orderBy``,
``$fields``, ``$page``, ``$pageSize``) and the advanced query, as Marketing Cloud's asset API
(mc-apis content-api). Email assets are the account's partner API Emails, those made over SOAP
included (``services/assets.py``). Reading needs ``email_read``, changing ``email_write``.
Clients also send these paths with a trailing slash (sfmc-devtools posts to
``/asset/v1/content/assets/``): those are served too, outside the schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from sendwell.api.docs import body_doc
from sendwell.api.rest.auth import object_scoped
from sendwell.api.rest.errors import RestError
from sendwell.api.rest.json_body import json_object
from sendwell.domain.asset_query import (
    compile_query,
    parse_fields,
    parse_filter,
    parse_order_by,
    parse_sort,
)
from sendwell.domain.errors import REST_INVALID_TYPE, REST_INVALID_VALUE
from sendwell.domain.limits import MAX_PAGE
from sendwell.domain.permissions import Access
from sendwell.services import assets
from sendwell.services.accounts import Principal

router = APIRouter(tags=["Content Builder assets"])
READ = object_scoped("Email", Access.READ)
WRITE = object_scoped("Email", Access.WRITE)
BASE = "/asset/v1/content/assets"
MAX_PAGE_SIZE = 500


class AssetBody(BaseModel):
    """An asset as created or updated (any other Content Builder field is kept as given)."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(..., description="200 characters at most; unique per type and category")
    assetType: dict[str, Any] = Field(
        ...,
        description="{id}: htmlemail 208, templatebasedemail 207, textonlyemail 209, "
        "htmlblock 197, codesnippetblock 220, textblock 196, freeformblock 195",
    )
    customerKey: str | None = Field(None, description="36 characters at most; a GUID if none")
    description: str | None = None
    content: str | None = Field(None, description="A block's content (AMPscript is checked)")
    views: dict[str, Any] | None = Field(
        None, description="An email's html, text, subjectline and preheader {content}"
    )
    category: dict[str, Any] | None = Field(None, description="{id} of the folder")


class QueryBody(BaseModel):
    """An advanced asset query."""

    query: dict[str, Any] | None = Field(
        None,
        description="{property, simpleOperator, value} or {leftOperand, logicalOperator, "
        "rightOperand}",
    )
    page: dict[str, Any] | None = Field(None, description="{page, pageSize}")
    sort: list[dict[str, Any]] | None = Field(None, description="[{property, direction}]")
    fields: list[str] | None = Field(None, description="The properties to return")


def _offset(request: Request) -> int:
    return request.app.state.settings.system_utc_offset_minutes


def _whole(value: Any, name: str) -> int:
    """A JSON number or digit string as an int (not a boolean, not a fraction)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip()) if len(value.strip()) < 20 else MAX_PAGE + 1
    raise RestError(400, f"{name} must be a number", REST_INVALID_TYPE)


@router.get(BASE, summary="List assets")
@router.get(BASE + "/", include_in_schema=False)
def list_assets(
    request: Request,
    page: int = Query(1, alias="$page", ge=1, le=MAX_PAGE),
    page_size: int | None = Query(None, alias="$pageSize", ge=1, le=MAX_PAGE_SIZE),
    page_size_lower: int | None = Query(None, alias="$pagesize", ge=1, le=MAX_PAGE_SIZE),
    order_by: str | None = Query(None, alias="$orderBy", description="e.g. `name desc`"),
    filter_text: str | None = Query(None, alias="$filter", description="e.g. `name eq 'Hi'`"),
    fields: str | None = Query(None, alias="$fields", description="comma-separated"),
    principal: Principal = Depends(READ),
) -> dict[str, Any]:
    """The account's Content Builder assets: its emails (those made over SOAP too, as
    `htmlemail`, with the classic ID the Send API's `EmailId` takes in `legacyData.legacyId`)
    and its content blocks. `$filter` is `<property> eq|neq|lt|lte|gt|gte|like <value>`,
    `$orderBy` `<property> asc|desc` (by id without it), `$fields` cuts each item; paged by
    `$page` and `$pageSize` (50). Mirrors Marketing Cloud's `GET /asset/v1/content/assets`.
    Auth: Bearer token (`email_read`)."""
    offset = _offset(request)
    listing = assets.AssetListing(
        predicate=parse_filter(filter_text, offset),
        sort=parse_order_by(order_by),
        page=page,
        page_size=page_size or page_size_lower or 50,
        fields=parse_fields(fields),
    )
    with request.app.state.engine.connect() as conn:
        return assets.list_assets(conn, principal.mid, listing, offset)


@router.post(BASE + "/query", summary="Query assets", openapi_extra=body_doc(QueryBody))
async def query_assets(request: Request, principal: Principal = Depends(READ)) -> dict[str, Any]:
    """The account's assets matching an advanced `query` (`{"property", "simpleOperator",
    "value"}` with equal, notEqual, lessThan, lessThanOrEqual, greaterThan, greaterThanOrEqual,
    like, contains, mustContain, in, isNull, isNotNull; or `{"leftOperand", "logicalOperator":
    "AND"|"OR", "rightOperand"}`), sorted by `sort`, cut to `fields`, paged by
    `page {page, pageSize}`. Mirrors Marketing Cloud's `POST /asset/v1/content/assets/query`.
    Auth: Bearer token (`email_read`)."""
    body = await json_object(request)
    paging = body.get("page") or {}
    if not isinstance(paging, dict):
        raise RestError(400, "page must be a JSON object", REST_INVALID_TYPE)
    page = _whole(paging.get("page", 1), "page.page")
    size = _whole(paging.get("pageSize", 50), "page.pageSize")
    if not (1 <= page <= MAX_PAGE and size >= 1):
        raise RestError(
            400,
            f"page.page must be from 1 to {MAX_PAGE}; page.pageSize positive",
            REST_INVALID_VALUE,
        )
    offset = _offset(request)
    listing = assets.AssetListing(
        predicate=compile_query(body.get("query"), offset),
        sort=parse_sort(body.get("sort")),
        page=page,
        page_size=min(size, MAX_PAGE_SIZE),
        fields=parse_fields(body.get("fields")),
    )
    with request.app.state.engine.connect() as conn:
        return assets.list_assets(conn, principal.mid, listing, offset)


@router.post(
    BASE,
    summary="Create an asset",
    status_code=201,
    openapi_extra=body_doc(AssetBody),
)
@router.post(BASE + "/", status_code=201, include_in_schema=False)
async def create_asset(request: Request, principal: Principal = Depends(WRITE)) -> Any:
    """Store an email (`htmlemail`, `templatebasedemail`, `textonlyemail`: a partner API Email,
    its views being the Email's HTML and text bodies, subject and preheader) or a content
    block (`htmlblock`, `codesnippetblock`, `textblock`, `freeformblock`). The content's
    AMPscript is compiled at save: an error names the view, line and column. Answers 201 with
    the asset. Mirrors Marketing Cloud's `POST /asset/v1/content/assets`.
    Auth: Bearer token (`email_write`)."""
    body = await json_object(request)
    with request.app.state.engine.begin() as conn:
        actor = assets.actor_of(conn, principal)
        created = assets.create_asset(conn, principal.mid, body, actor, _offset(request))
    return JSONResponse(created, status_code=201)


@router.get(BASE + "/{asset_id}", summary="Get an asset")
def get_asset(
    asset_id: str, request: Request, principal: Principal = Depends(READ)
) -> dict[str, Any]:
    """One asset of the account by its `id` (an email asset's `id` is also its
    `legacyData.legacyId`); another account's asset is not found (404, errorcode 30003).
    Mirrors Marketing Cloud's `GET /asset/v1/content/assets/{id}`. Auth: Bearer token
    (`email_read`)."""
    with request.app.state.engine.connect() as conn:
        return assets.get_asset(conn, principal.mid, asset_id, _offset(request))


@router.patch(BASE + "/{asset_id}", summary="Update part of an asset")
async def patch_asset(
    asset_id: str, request: Request, principal: Principal = Depends(WRITE)
) -> dict[str, Any]:
    """Change the fields given and keep the others (`views` are changed view by view); an
    email's new content is the Email's at once, for SOAP and the next send alike. Mirrors
    Marketing Cloud's `PATCH /asset/v1/content/assets/{id}`. Auth: Bearer token
    (`email_write`)."""
    return await _update(asset_id, request, principal, replace=False)


@router.put(BASE + "/{asset_id}", summary="Update a whole asset", openapi_extra=body_doc(AssetBody))
async def put_asset(
    asset_id: str, request: Request, principal: Principal = Depends(WRITE)
) -> dict[str, Any]:
    """Replace the asset with the body (it needs a name and an asset type, as a create does);
    its id, object id and owner stay. Mirrors Marketing Cloud's
    `PUT /asset/v1/content/assets/{id}`. Auth: Bearer token (`email_write`)."""
    return await _update(asset_id, request, principal, replace=True)


async def _update(
    asset_id: str, request: Request, principal: Principal, *, replace: bool
) -> dict[str, Any]:
    body = await json_object(request)
    with request.app.state.engine.begin() as conn:
        actor = assets.actor_of(conn, principal)
        return assets.update_asset(
            conn, principal.mid, asset_id, body, actor, _offset(request), replace=replace
        )


@router.delete(BASE + "/{asset_id}", summary="Delete an asset")
def delete_asset(asset_id: str, request: Request, principal: Principal = Depends(WRITE)) -> str:
    """Delete the asset (an email asset is the Email: it is deleted too) and answer `"OK"`.
    Mirrors Marketing Cloud's `DELETE /asset/v1/content/assets/{id}`. Auth: Bearer token
    (`email_write`)."""
    with request.app.state.engine.begin() as conn:
        assets.delete_asset(conn, principal.mid, asset_id)
    return "OK"
