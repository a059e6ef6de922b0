"""Content Builder assets: the account's emails and content blocks, one truth with SOAP.

Every asset is a row of the ``objects`` table. An email asset is the partner API ``Email`` itself
(type ``Email``): its name, category and views' content are the Email's ``Name``, ``CategoryID``,
``HTMLBody``, ``TextBody``, ``Subject`` and ``PreHeader``; its ``legacyData.legacyId`` is the
Email's ID, which ``EmailSendDefinition``, the Send API's ``EmailId`` and Retrieve take; an Email
created over SOAP is an ``htmlemail`` asset. A content block is an object of type ``Asset``.
What an asset has beyond the partner API's fields (its asset type, description, meta, slots,
the rest of its views, ...) is kept with the object's properties under ``__asset__``, a key the
SOAP codec never writes and a SOAP request cannot set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from sendwell.domain import errors as e
from sendwell.domain.asset_query import Predicate, Sort, project, sort_items
from sendwell.domain.assets import (
    SERVER_FIELDS,
    VIEW_PARTS,
    AssetDuplicate,
    AssetInvalid,
    AssetType,
    asset_type_of,
    check_body,
    content_parts,
    email_parts,
)
from sendwell.domain.clock import utcnow
from sendwell.domain.content import content_error
from sendwell.domain.errors import NotFound, shown
from sendwell.domain.limits import parse_id
from sendwell.domain.secrets import new_guid
from sendwell.services.accounts import Principal
from sendwell.services.asset_json import (
    BLOCK_TYPE,
    EMAIL_TYPE,
    EXTRAS,
    STORED_TYPES,
    asset_json,
    type_of,
)
from sendwell.services.catalog import to_json
from sendwell.store.tables import accounts, api_users, objects, packages

# Fields of the asset JSON that come from the row or the partner API properties.
_DERIVED = frozenset({"name", "customerKey", "category", "views", "assetType"})
_MAPPED_PROPS = ("Name", "CategoryID", *VIEW_PARTS.values())


@dataclass(frozen=True)
class AssetListing:
    """What a list or query asks for: a filter, an order, a page, the fields to keep."""

    predicate: Predicate
    sort: Sort
    page: int
    page_size: int
    fields: list[str] | None = None


def actor_of(conn: Connection, principal: Principal) -> dict[str, Any]:
    """The caller as Content Builder's ``owner`` / ``createdBy`` / ``modifiedBy`` shows one."""
    if principal.kind == "package":
        name = conn.execute(select(packages.c.name).where(packages.c.id == principal.id)).scalar()
        name = f"{name} app user"  # as Marketing Cloud names an installed package's user
    else:
        name = conn.execute(select(api_users.c.username).where(api_users.c.id == principal.id))
        name = name.scalar()
    return {"id": principal.id, "email": "", "name": name or "", "userId": str(principal.id)}


def create_asset(
    conn: Connection, mid: int, body: Mapping[str, Any], actor: Mapping[str, Any], offset: int
) -> dict[str, Any]:
    """Store a new asset (``POST /asset/v1/content/assets``) and return it."""
    check_body(body, whole=True)
    kind = asset_type_of(body["assetType"])
    key = body.get("customerKey") or new_guid()
    _check_key_free(conn, mid, key, None)
    props = _props(kind, body, None, replace=True)
    props[EXTRAS].update(owner=dict(actor), createdBy=dict(actor), modifiedBy=dict(actor))
    _check_content(kind, props)
    _check_name_free(conn, mid, kind, props, None)
    stamp = utcnow()
    try:
        row_id = conn.execute(
            insert(objects).values(
                mid=mid,
                type=EMAIL_TYPE if kind.is_email else BLOCK_TYPE,
                object_id=new_guid(),
                customer_key=key,
                name=props["Name"],
                props=to_json(props),
                created_at=stamp,
                modified_at=stamp,
            )
        ).inserted_primary_key[0]
    except IntegrityError:  # the same key created at the same moment
        raise _duplicate_key(key) from None
    return get_asset(conn, mid, row_id, offset)


def get_asset(conn: Connection, mid: int, asset_id: Any, offset: int) -> dict[str, Any]:
    """One asset of the account by its id; NotFound otherwise (another account's too)."""
    return asset_json(_row(conn, mid, asset_id), _account(conn, mid), offset)


def update_asset(
    conn: Connection,
    mid: int,
    asset_id: Any,
    body: Mapping[str, Any],
    actor: Mapping[str, Any],
    offset: int,
    *,
    replace: bool,
) -> dict[str, Any]:
    """Change an asset: the given fields (PATCH), or all of it (``replace``: PUT)."""
    row = _row(conn, mid, asset_id)
    check_body(body, whole=replace)
    old_kind = type_of(row)
    kind = asset_type_of(body["assetType"]) if body.get("assetType") is not None else old_kind
    if kind.is_email != old_kind.is_email:
        raise AssetInvalid(
            f"Asset {row.id} is a {old_kind.name}: an email cannot become a block, nor a block "
            f"an email (assetType {kind.name}).",
            e.REST_INVALID_VALUE,
        )
    key = body.get("customerKey") or row.customer_key
    if key != row.customer_key:
        _check_key_free(conn, mid, key, row.id)
    props = _props(kind, body, row.props, replace=replace)
    props[EXTRAS]["modifiedBy"] = dict(actor)
    _check_content(kind, props)
    _check_name_free(conn, mid, kind, props, row.id)
    try:
        conn.execute(
            update(objects)
            .where(objects.c.id == row.id)
            .values(
                props=to_json(props), name=props["Name"], customer_key=key, modified_at=utcnow()
            )
        )
    except IntegrityError:
        raise _duplicate_key(key) from None
    return get_asset(conn, mid, row.id, offset)


def delete_asset(conn: Connection, mid: int, asset_id: Any) -> None:
    """Delete an asset; an email asset is the Email, so the Email goes too."""
    row = _row(conn, mid, asset_id)
    conn.execute(delete(objects).where(objects.c.id == row.id))


def list_assets(conn: Connection, mid: int, listing: AssetListing, offset: int) -> dict[str, Any]:
    """One page of the account's assets that match, in Content Builder's collection shape."""
    account = _account(conn, mid)
    rows = conn.execute(
        select(objects)
        .where(objects.c.mid == mid, objects.c.type.in_(STORED_TYPES))
        .order_by(objects.c.id)
    )
    matched = [
        item for item in (asset_json(r, account, offset) for r in rows) if listing.predicate(item)
    ]
    matched = sort_items(matched, listing.sort)
    start = (listing.page - 1) * listing.page_size
    return {
        "count": len(matched),
        "page": listing.page,
        "pageSize": listing.page_size,
        "links": {},
        "items": project(matched[start : start + listing.page_size], listing.fields),
    }


def email_by_asset_key(conn: Connection, mid: int, key: str) -> Any | None:
    """The Email an email asset's customer key names (a transactional definition's
    ``content.customerKey``), or None when the account has no such email asset."""
    return conn.execute(
        select(objects)
        .where(objects.c.mid == mid, objects.c.type == EMAIL_TYPE, objects.c.customer_key == key)
        .limit(1)
    ).first()


# --- Storing ---------------------------------------------------------------------------------


def _props(
    kind: AssetType, body: Mapping[str, Any], old: Mapping[str, Any] | None, *, replace: bool
) -> dict[str, Any]:
    """The object's properties after ``body``: partner API fields for what they hold, the rest
    of the asset under ``__asset__``. Partner API fields an asset does not show are kept."""
    props = dict(old or {})
    old_extras = dict(props.get(EXTRAS) or {})
    if replace:
        for name in _MAPPED_PROPS:
            props.pop(name, None)
        extras = {k: old_extras[k] for k in ("owner", "createdBy") if k in old_extras}
    else:
        extras = old_extras
    for field, value in body.items():
        if field not in SERVER_FIELDS and field not in _DERIVED:
            extras[field] = _without_legacy(value) if field == "data" else value
    extras["assetType"] = {"id": kind.id, "name": kind.name}
    if "name" in body:
        props["Name"] = body["name"].strip()
    category = body.get("category")
    if isinstance(category, Mapping):
        props["CategoryID"] = parse_id(category.get("id"))
        extras["category"] = {k: category[k] for k in ("name",) if k in category}
    views = body.get("views")
    if isinstance(views, Mapping):
        kept = {} if replace else dict(extras.get("views") or {})
        for view, part in views.items():
            if kind.is_email and view in VIEW_PARTS:
                part = {k: v for k, v in part.items() if k != "content"}
            kept[view] = dict(part)
        extras["views"] = kept
        if kind.is_email:
            for field, content in email_parts(views).items():
                props[field] = content
    props[EXTRAS] = extras
    return {k: v for k, v in props.items() if v is not None}


def _without_legacy(data: Any) -> Any:
    """``data`` without ``data.email.legacy``, which the server owns."""
    if not isinstance(data, Mapping) or not isinstance(data.get("email"), Mapping):
        return data
    return {**data, "email": {k: v for k, v in data["email"].items() if k != "legacy"}}


def _check_content(kind: AssetType, props: Mapping[str, Any]) -> None:
    """Compile the content's AMPscript, as an Email's is at save; the error names the part."""
    if kind.is_email:
        subject = props.get("Subject")
        if isinstance(subject, str) and ("\r" in subject or "\n" in subject):
            raise AssetInvalid(
                "views.subjectline.content must not contain line breaks.", e.REST_INVALID_VALUE
            )
        parts = content_parts(props)
    else:
        content = props[EXTRAS].get("content")
        parts = {"content": content} if isinstance(content, str) else {}
    error = content_error(parts)
    if error is not None:
        raise AssetInvalid(f"Invalid AMPscript in {error}", e.REST_INVALID_VALUE)


def _check_key_free(conn: Connection, mid: int, key: str, own_id: int | None) -> None:
    query = select(objects.c.id).where(
        objects.c.mid == mid, objects.c.type.in_(STORED_TYPES), objects.c.customer_key == key
    )
    if own_id is not None:
        query = query.where(objects.c.id != own_id)
    if conn.execute(query.limit(1)).first() is not None:
        raise _duplicate_key(key)


def _duplicate_key(key: str) -> AssetDuplicate:
    return AssetDuplicate(
        f"An asset with the customerKey {shown(key)} already exists: customer keys must be unique.",
        e.REST_EXISTS,
    )


def _check_name_free(
    conn: Connection, mid: int, kind: AssetType, props: Mapping[str, Any], own_id: int | None
) -> None:
    """Content Builder's rule: "Asset names within a category and asset type must be unique"
    (sfmc-devtools #341); names are compared without regard to case, as SQL Server's default
    collation does (inferred)."""
    name = props["Name"]
    query = select(objects).where(
        objects.c.mid == mid,
        objects.c.type.in_(STORED_TYPES),
        func.lower(objects.c.name) == name.lower(),
    )
    if own_id is not None:
        query = query.where(objects.c.id != own_id)
    for row in conn.execute(query):
        if type_of(row).id == kind.id and row.props.get("CategoryID") == props.get("CategoryID"):
            raise AssetDuplicate(
                "Asset names within a category and asset type must be unique. "
                f"{shown(name)} is already taken.",
                e.REST_EXISTS,
            )


def _row(conn: Connection, mid: int, asset_id: Any) -> Any:
    number = parse_id(asset_id)
    row = None
    if number is not None:
        row = conn.execute(
            select(objects).where(
                objects.c.id == number, objects.c.mid == mid, objects.c.type.in_(STORED_TYPES)
            )
        ).first()
    if row is None:
        raise NotFound(f"The asset with id {shown(str(asset_id))} was not found.", e.REST_NOT_FOUND)
    return row


def _account(conn: Connection, mid: int) -> tuple[int, int]:
    parent = conn.execute(select(accounts.c.parent_mid).where(accounts.c.mid == mid)).scalar()
    return mid, parent or mid
