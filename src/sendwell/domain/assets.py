"""Content Builder assets as Sendwell keeps them: the types it stores and what a request may say.

An email asset (``htmlemail``, ``templatebasedemail``, ``textonlyemail``) *is* a partner API
``Email``: its views map onto the Email's parts (``VIEW_PARTS``) and its ``legacyData.legacyId`` is
the Email's ID. A content block (``htmlblock``, ``codesnippetblock``, ``textblock``,
``freeformblock``) is content that AMPscript's ``ContentBlockBy*`` functions read. The ids and
names are Marketing Cloud's ("List of Asset Types", mc-apis base-asset-types); the display names
are those live replies carry (sfmc-devtools fixtures), inferred where no reply showed one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sendwell.domain.errors import (
    REST_INVALID_TYPE,
    REST_INVALID_VALUE,
    REST_MISSING_FIELD,
    Duplicate,
    Invalid,
    shown,
)
from sendwell.domain.limits import parse_id


class AssetInvalid(Invalid):
    """Content Builder refused the asset; REST lists the problem under ``validationErrors``."""

    listed = True


class AssetDuplicate(Duplicate):
    """Another asset of the account already has that customer key or name."""

    listed = True


@dataclass(frozen=True)
class AssetType:
    """One of Content Builder's asset types that Sendwell stores."""

    id: int
    name: str
    display_name: str
    is_email: bool
    content_type: str | None = None  # the contentType Marketing Cloud gives assets of the type

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "displayName": self.display_name}


_EMAIL_MESSAGE = "application/vnd.etmc.email.Message; kind="
ASSET_TYPES: dict[int, AssetType] = {
    t.id: t
    for t in (
        AssetType(
            207, "templatebasedemail", "Template-Based Email", True, _EMAIL_MESSAGE + "template"
        ),
        AssetType(208, "htmlemail", "HTML Email", True, _EMAIL_MESSAGE + "paste"),
        AssetType(209, "textonlyemail", "Text Only Email", True),
        AssetType(195, "freeformblock", "Free Form Block", False),
        AssetType(196, "textblock", "Text Block", False),
        AssetType(197, "htmlblock", "HTML Block", False),
        AssetType(220, "codesnippetblock", "Code Snippet Block", False),
    )
}
_BY_NAME = {t.name: t for t in ASSET_TYPES.values()}
HTML_EMAIL = ASSET_TYPES[208]  # what an Email created over SOAP is in Content Builder

# An email asset's views and the partner API Email fields that hold their content.
VIEW_PARTS: dict[str, str] = {
    "html": "HTMLBody",
    "text": "TextBody",
    "subjectline": "Subject",
    "preheader": "PreHeader",
}

# Lengths: a name of 200 characters (createAsset: "Name ... 200 character maximum"), a customer
# key of 36 (sfmc-devtools' asset definition: "maxKeyLength: 36, // confirmed"); the
# description's limit is Sendwell's choice, as for the partner API's Description.
NAME_LIMIT = 200
KEY_LIMIT = 36
DESCRIPTION_LIMIT = 4000

# What the server owns: never taken from a request body.
SERVER_FIELDS = frozenset(
    {
        "id",
        "objectID",
        "createdDate",
        "modifiedDate",
        "createdBy",
        "modifiedBy",
        "owner",
        "memberId",
        "enterpriseId",
        "legacyData",
        "thumbnail",
        "sharingProperties",
    }
)
_TEXT_FIELDS = ("name", "customerKey", "description", "content", "contentType", "design")
_OBJECT_FIELDS = ("views", "category", "data", "meta", "slots", "blocks", "status", "template")
_LIST_FIELDS = ("tags", "availableViews")


def asset_type_of(value: Any) -> AssetType:
    """The stored type an ``assetType`` object names: by ``id`` (Content Builder's rule: the
    name is set from the id), else by ``name``."""
    if value is None:
        raise AssetInvalid("An asset needs an assetType with an id.", REST_MISSING_FIELD)
    if not isinstance(value, Mapping):
        raise AssetInvalid("assetType must be an object with an id.", REST_INVALID_TYPE)
    if value.get("id") is not None:
        found = ASSET_TYPES.get(parse_id(value["id"]) or 0)
        named = f"assetType id {shown(value['id'])}"
    elif value.get("name") is not None:
        found = _BY_NAME.get(str(value["name"]).strip().lower())
        named = f"assetType name {shown(value['name'])}"
    else:
        raise AssetInvalid("An asset needs an assetType with an id.", REST_MISSING_FIELD)
    if found is None:
        stored = ", ".join(f"{t.name} ({t.id})" for t in ASSET_TYPES.values())
        raise AssetInvalid(
            f"The {named} is not an asset type Sendwell stores; it stores {stored}.",
            REST_INVALID_VALUE,
        )
    return found


def check_body(body: Mapping[str, Any], *, whole: bool) -> None:
    """Refuse fields of the wrong JSON type or too long; ``whole`` bodies (create, PUT) also
    need a name and an asset type."""
    for field in _TEXT_FIELDS:
        if body.get(field) is not None and not isinstance(body[field], str):
            raise AssetInvalid(f"{field} must be a string.", REST_INVALID_TYPE)
    for field in _OBJECT_FIELDS:
        if body.get(field) is not None and not isinstance(body[field], Mapping):
            raise AssetInvalid(f"{field} must be an object.", REST_INVALID_TYPE)
    for field in _LIST_FIELDS:
        if body.get(field) is not None and not isinstance(body[field], list):
            raise AssetInvalid(f"{field} must be an array.", REST_INVALID_TYPE)
    if (whole or "name" in body) and not (body.get("name") or "").strip():
        raise AssetInvalid("An asset needs a name.", REST_MISSING_FIELD)
    if whole:
        asset_type_of(body.get("assetType"))
    _check_limits(body)
    for view, part in (body.get("views") or {}).items():
        if not isinstance(part, Mapping):
            raise AssetInvalid(f"views.{view} must be an object.", REST_INVALID_TYPE)
        if part.get("content") is not None and not isinstance(part["content"], str):
            raise AssetInvalid(f"views.{view}.content must be a string.", REST_INVALID_TYPE)
    category = body.get("category")
    if category and category.get("id") is not None and parse_id(category["id"]) is None:
        raise AssetInvalid(
            f"category.id {shown(category['id'])} is not a category id.", REST_INVALID_VALUE
        )


def _check_limits(body: Mapping[str, Any]) -> None:
    for field, limit in (
        ("name", NAME_LIMIT),
        ("customerKey", KEY_LIMIT),
        ("description", DESCRIPTION_LIMIT),
    ):
        value = body.get(field)
        if isinstance(value, str) and len(value) > limit:
            raise AssetInvalid(
                f"The {field} of an asset is {len(value):,} characters long; at most {limit} "
                "are allowed.",
                REST_INVALID_VALUE,
            )


def email_parts(views: Mapping[str, Any]) -> dict[str, str | None]:
    """The partner API Email fields an email asset's ``views`` set; a view whose ``content`` is
    null clears its part, a view without ``content`` leaves it."""
    parts: dict[str, str | None] = {}
    for view, field in VIEW_PARTS.items():
        part = views.get(view)
        if isinstance(part, Mapping) and "content" in part:
            parts[field] = part["content"]
    return parts


def content_parts(props: Mapping[str, Any]) -> dict[str, str]:
    """An Email's parts under their asset names, for a located AMPscript error."""
    return {
        f"views.{view}.content": props[field]
        for view, field in VIEW_PARTS.items()
        if isinstance(props.get(field), str)
    }
