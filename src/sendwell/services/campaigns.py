"""Campaigns (``/hub/v1/campaigns``) and the assets associated with them.

A campaign is a named group of an account's assets (emails, Content Builder assets, lists,
triggered sends, …); Sendwell keeps campaigns and their associations as objects of their own
(types ``Campaign`` and ``CampaignAsset``). The JSON follows Marketing Cloud's hub API reference:
ids are strings, dates system time without an offset (``2012-12-12T09:59:42``), an association
names its item by ``itemID`` or, for triggered sends and automations, ``objectID``.

An unknown campaign or association is answered 400, not 404: FuelSDK-Node's own tests record
that Marketing Cloud does so ("api is wrong").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from sendwell.domain.clock import to_system_time, utcnow
from sendwell.domain.errors import REST_GENERIC, Invalid, NotFound, clipped, shown
from sendwell.domain.limits import parse_id
from sendwell.domain.secrets import new_guid
from sendwell.store.tables import objects

CAMPAIGN, ASSOCIATION = "Campaign", "CampaignAsset"
LIMITS = {"name": 128, "description": 512, "campaignCode": 36}
COLOR = re.compile(r"^[0-9a-fA-F]{6}$")
# The association types the reference lists; for some, where their item lives in Sendwell:
# (object types, what identifies the item: the object's "id" or its "object_id").
ASSET_TYPES: dict[str, tuple[tuple[str, ...], str] | None] = {
    "EMAIL": (("Email",), "id"),
    "CMS_ASSET": (("Email", "Asset"), "id"),
    "LIST": (("List",), "id"),
    "DATA_EXTENSION": (("DataExtension",), "object_id"),
    "TRIGGERED": (("TriggeredSendDefinition",), "object_id"),
    "AUTOMATION_DEFINITION": None,
    "CALENDAR_EVENT": None,
    "GROUP": None,
    "SENDABLE_CUSTOM_OBJECT": None,
    "LANDING_PAGE": None,
    "FACEBOOK_TAB": None,
    "CT_FACEBOOK_POST": None,
    "CT_TWITTER_POST": None,
    "SMS_MESSAGE": None,
    "PUSH_MESSAGE": None,
}
# Items named by a GUID rather than a number (the reference's examples).
BY_OBJECT_ID = frozenset({"TRIGGERED", "AUTOMATION_DEFINITION"})


def _date(moment: datetime, offset: int) -> str:
    return to_system_time(moment, offset).strftime("%Y-%m-%dT%H:%M:%S")


def _campaign_json(row: Any, offset: int) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "createdDate": _date(row.created_at, offset),
        "modifiedDate": _date(row.modified_at, offset),
        **row.props,
    }


def _fields(body: Mapping[str, Any], old: Mapping[str, Any] | None) -> dict[str, Any]:
    """A campaign's stored fields from a request body (an update keeps what it omits)."""
    out = dict(old or {"description": "", "campaignCode": "", "color": "", "favorite": False})
    for name in ("name", "description", "campaignCode", "color"):
        if name in body and body[name] is not None:
            if not isinstance(body[name], str):
                raise Invalid(f"The campaign's {name} must be text.", REST_GENERIC)
            out[name] = body[name]
    if "favorite" in body:
        favorite = body["favorite"]
        if isinstance(favorite, str) and favorite.lower() in ("true", "false"):
            favorite = favorite.lower() == "true"  # FuelSDK-Python sends "false"
        if not isinstance(favorite, bool):
            raise Invalid("The campaign's favorite must be true or false.", REST_GENERIC)
        out["favorite"] = favorite
    if not out.get("name"):
        raise Invalid("A campaign needs a name.", REST_GENERIC)
    for name, limit in LIMITS.items():
        if len(out.get(name) or "") > limit:
            raise Invalid(f"The campaign's {name} is longer than {limit} characters.", REST_GENERIC)
    if out["color"] and not COLOR.match(out["color"]):
        raise Invalid(
            f"The campaign's color {shown(out['color'])} is not a hex color (RRGGBB).",
            REST_GENERIC,
        )
    return out


def create_campaign(
    conn: Connection, mid: int, body: Mapping[str, Any], offset: int
) -> dict[str, Any]:
    """A new campaign of the account."""
    stamp = utcnow()
    row_id = conn.execute(
        insert(objects).values(
            mid=mid,
            type=CAMPAIGN,
            object_id=new_guid(),
            customer_key=None,
            name=None,
            props=_fields(body, None),
            created_at=stamp,
            modified_at=stamp,
        )
    ).inserted_primary_key[0]
    return _campaign_json(_row(conn, mid, CAMPAIGN, row_id), offset)


def update_campaign(
    conn: Connection, mid: int, campaign_id: Any, body: Mapping[str, Any], offset: int
) -> dict[str, Any]:
    """Change the fields the body gives; the others stay."""
    row = _campaign(conn, mid, campaign_id)
    props = _fields(body, row.props)
    conn.execute(
        update(objects).where(objects.c.id == row.id).values(props=props, modified_at=utcnow())
    )
    return _campaign_json(_row(conn, mid, CAMPAIGN, row.id), offset)


def get_campaign(conn: Connection, mid: int, campaign_id: Any, offset: int) -> dict[str, Any]:
    return _campaign_json(_campaign(conn, mid, campaign_id), offset)


def list_campaigns(
    conn: Connection, mid: int, page: int, page_size: int, offset: int
) -> dict[str, Any]:
    """One page of the account's campaigns, newest last, with the total ``count``."""
    where = (objects.c.mid == mid) & (objects.c.type == CAMPAIGN)
    count = conn.execute(select(func.count()).select_from(objects).where(where)).scalar_one()
    rows = conn.execute(
        select(objects)
        .where(where)
        .order_by(objects.c.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return {
        "count": count,
        "page": page,
        "pageSize": page_size,
        "links": {},
        "items": [_campaign_json(r, offset) for r in rows],
    }


def delete_campaign(conn: Connection, mid: int, campaign_id: Any) -> None:
    """Delete a campaign and its associations (the assets themselves stay)."""
    row = _campaign(conn, mid, campaign_id)
    for association in _associations(conn, mid, row.id):
        conn.execute(delete(objects).where(objects.c.id == association.id))
    conn.execute(delete(objects).where(objects.c.id == row.id))


# --- associations --------------------------------------------------------------------------


def associate(
    conn: Connection, mid: int, campaign_id: Any, body: Mapping[str, Any], offset: int
) -> list[dict[str, Any]]:
    """Associate the body's ``ids`` of one ``type`` with the campaign; the new associations."""
    campaign = _campaign(conn, mid, campaign_id)
    if not isinstance(body.get("type"), str):
        raise Invalid("type must be the asset type's name, such as CMS_ASSET.", REST_GENERIC)
    kind = body["type"].strip().upper()
    if kind not in ASSET_TYPES:
        raise Invalid(
            f"The asset type {shown(body.get('type'))} is not one of "
            + ", ".join(ASSET_TYPES)
            + ".",
            REST_GENERIC,
        )
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids:
        raise Invalid("ids must be a list of the assets' ids.", REST_GENERIC)
    items = [_item(conn, mid, kind, raw) for raw in ids]
    stamp = utcnow()
    made = []
    for item in items:
        props = {"campaignId": campaign.id, "type": kind, **item}
        made.append(
            conn.execute(
                insert(objects).values(
                    mid=mid,
                    type=ASSOCIATION,
                    object_id=new_guid(),
                    props=props,
                    created_at=stamp,
                    modified_at=stamp,
                )
            ).inserted_primary_key[0]
        )
    return [_association_json(_row(conn, mid, ASSOCIATION, i), offset) for i in made]


def _item(conn: Connection, mid: int, kind: str, raw: Any) -> dict[str, Any]:
    """How an association names its item, checked where Sendwell keeps such items."""
    where = ASSET_TYPES[kind]
    if kind in BY_OBJECT_ID:
        text = str(raw).strip().lower()
        if where is not None and _find_item(conn, mid, where, text) is None:
            raise Invalid(f"No {kind} asset has the id {shown(str(raw))}.", REST_GENERIC)
        return {"objectID": text}
    number = parse_id(raw)
    if number is None:
        raise Invalid(f"The asset id {shown(raw)} is not a number.", REST_GENERIC)
    if where is not None and _find_item(conn, mid, where, number) is None:
        raise Invalid(f"No {kind} asset has the id {number}.", REST_GENERIC)
    return {"itemID": number}


def _find_item(conn: Connection, mid: int, where: tuple[tuple[str, ...], str], key: Any) -> Any:
    types, column = where
    if column == "object_id" and not isinstance(key, str):
        key = str(key)
    return conn.execute(
        select(objects.c.id).where(
            objects.c.mid == mid,
            objects.c.type.in_(types),
            getattr(objects.c, column) == key,
        )
    ).first()


def list_associations(conn: Connection, mid: int, campaign_id: Any, offset: int) -> dict[str, Any]:
    campaign = _campaign(conn, mid, campaign_id)
    found = [_association_json(r, offset) for r in _associations(conn, mid, campaign.id)]
    return {"page": 1, "pageSize": max(len(found), 50), "totalCount": len(found), "entities": found}


def get_association(
    conn: Connection, mid: int, campaign_id: Any, association_id: Any, offset: int
) -> dict[str, Any]:
    return _association_json(_association(conn, mid, campaign_id, association_id), offset)


def dissociate(conn: Connection, mid: int, campaign_id: Any, asset_id: Any) -> None:
    """Remove an association, named by its own id or by the id of its item (FuelSDK-Node's
    test passes the Content Builder asset's id)."""
    row = _association(conn, mid, campaign_id, asset_id)
    conn.execute(delete(objects).where(objects.c.id == row.id))


def _association(conn: Connection, mid: int, campaign_id: Any, asset_id: Any) -> Any:
    campaign = _campaign(conn, mid, campaign_id)
    rows = _associations(conn, mid, campaign.id)
    number = parse_id(asset_id)
    for matches in (
        lambda r: r.id == number,
        lambda r: (
            r.props.get("itemID") == number or r.props.get("objectID") == str(asset_id).lower()
        ),
    ):
        found = next((r for r in rows if matches(r)), None)
        if found is not None:
            return found
    raise NotFound(f"The campaign {campaign.id} has no asset {clipped(asset_id)}.", REST_GENERIC)


def _associations(conn: Connection, mid: int, campaign_id: int) -> list[Any]:
    rows = conn.execute(
        select(objects)
        .where(objects.c.mid == mid, objects.c.type == ASSOCIATION)
        .order_by(objects.c.id)
    )
    return [r for r in rows if r.props.get("campaignId") == campaign_id]


def _association_json(row: Any, offset: int) -> dict[str, Any]:
    props = row.props
    out: dict[str, Any] = {
        "id": str(row.id),
        "campaignId": props["campaignId"],
        "type": props["type"],
    }
    for name in ("itemID", "objectID"):
        if name in props:
            out[name] = props[name]
    out["createdDate"] = _date(row.created_at, offset)
    return out


def _campaign(conn: Connection, mid: int, campaign_id: Any) -> Any:
    if isinstance(campaign_id, bool) or not isinstance(campaign_id, str | int):
        raise Invalid("The campaign id must be a number.", REST_GENERIC)
    row = _row(conn, mid, CAMPAIGN, parse_id(campaign_id))
    if row is None:
        # 400, not 404: what Marketing Cloud answers (see the module docstring).
        raise NotFound(f"The campaign {clipped(campaign_id)} was not found.", REST_GENERIC)
    return row


def _row(conn: Connection, mid: int, type_name: str, row_id: int | None) -> Any:
    if row_id is None:
        return None
    return conn.execute(
        select(objects).where(
            objects.c.mid == mid, objects.c.type == type_name, objects.c.id == row_id
        )
    ).first()
