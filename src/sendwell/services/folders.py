"""Folders (``DataFolder``): a tree per content type, and the ``CategoryID`` of what lives in it.

Every account has one root folder per content type, made the first time its folders are used:
``ParentFolder`` ID 0, CustomerKey ``<content type>_default``, not editable, children allowed,
as Marketing Cloud's own roots read (mcdev's retrieve fixtures). Folders made under a root take
its content type; an object that lives in folders (an Email, a DataExtension, a List …) goes to
its root unless its ``CategoryID`` names a folder of its own content type.

A folder that holds folders or objects is not deleted (inferred: Marketing Cloud's UI refuses
it), and neither is a root.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from sendwell.domain import errors as e
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import Invalid, WrongState, clipped, shown
from sendwell.domain.filters import Filter
from sendwell.domain.limits import parse_id
from sendwell.domain.secrets import new_guid
from sendwell.services.catalog import CatalogKind, Normalise, describe_ref, find_ref, page
from sendwell.store.tables import objects

FOLDER = "DataFolder"
# The roots Sendwell keeps, in the order Retrieve lists them: content type and name.
ROOTS: tuple[tuple[str, str], ...] = (
    ("email", "my emails"),
    ("template", "my templates"),
    ("content", "my contents"),
    ("dataextension", "Data Extensions"),
    ("list", "my lists"),
    ("publication", "Publication Lists"),
    ("suppression_list", "Suppression Lists"),
    ("filterdefinition", "Data Filters"),
    ("userinitiatedsends", "User-Initiated Emails"),
    ("triggered_send", "Triggered Sends"),
)
ROOT_TYPES = frozenset(content_type for content_type, _ in ROOTS)


def ensure_roots(conn: Connection, mid: int) -> dict[str, Any]:
    """The account's root folders by content type, made first if missing."""
    rows = _roots(conn, mid)
    missing = [(ct, name) for ct, name in ROOTS if ct not in rows]
    for content_type, name in missing:
        try:  # another request may make the same root at the same time: the key is unique
            with conn.begin_nested():
                _insert_root(conn, mid, content_type, name)
        except IntegrityError:
            pass
    return _roots(conn, mid) if missing else rows


def _roots(conn: Connection, mid: int) -> dict[str, Any]:
    keys = [f"{ct}_default" for ct, _ in ROOTS]
    found = conn.execute(
        select(objects).where(
            objects.c.mid == mid, objects.c.type == FOLDER, objects.c.customer_key.in_(keys)
        )
    )
    return {row.props["ContentType"]: row for row in found}


def _insert_root(conn: Connection, mid: int, content_type: str, name: str) -> None:
    stamp = utcnow()
    props = {
        "ParentFolder": {"ID": 0},
        "Name": name,
        "Description": "",
        "ContentType": content_type,
        "IsActive": True,
        "IsEditable": False,
        "AllowChildren": True,
    }
    conn.execute(
        insert(objects).values(
            mid=mid,
            type=FOLDER,
            object_id=new_guid(),
            customer_key=f"{content_type}_default",
            name=name,
            props=props,
            created_at=stamp,
            modified_at=stamp,
        )
    )


def folder_for(conn: Connection, mid: int, category_id: Any, content_types: tuple[str, ...]) -> int:
    """The folder an object of one of ``content_types`` goes to: the one ``category_id`` names
    (it must exist and hold that content), else the root of the first content type."""
    roots = ensure_roots(conn, mid)
    if category_id in (None, "", 0, "0"):
        return int(roots[content_types[0]].id)
    row = find_ref(conn, mid, FOLDER, {"ID": category_id})
    if row is None:
        raise Invalid(f"The folder with ID {clipped(category_id)} was not found.", e.ERR_NOT_FOUND)
    if row.props.get("ContentType") not in content_types:
        raise Invalid(
            f"The folder {shown(row.name)} holds {row.props.get('ContentType')} content, not "
            f"{' or '.join(content_types)}.",
            e.ERR_GENERAL,
        )
    return int(row.id)


def placed(
    content_types: tuple[str, ...], normalise: Normalise | None, field: str, content_builder: bool
) -> Normalise:
    """A catalog normaliser that also puts the object in a folder (its ``field``)."""

    def normalise_in_folder(conn: Connection, mid: int, props: dict, old: Mapping | None) -> dict:
        if normalise is not None:
            props = normalise(conn, mid, props, old)
        given = props.get(field)
        if old is not None and given == old.get(field) and given:
            return props  # unchanged: its folder was checked when it was put there
        if content_builder and (given in (None, "") or parse_id(given) == mid):
            return props  # in Content Builder's root, whose id is the MID (services.assets)
        props[field] = folder_for(conn, mid, given, content_types)
        return props

    return normalise_in_folder


def in_folders(
    kind: CatalogKind,
    *content_types: str,
    field: str = "CategoryID",
    content_builder: bool = False,
) -> CatalogKind:
    """``kind`` with its objects kept in folders of ``content_types`` (the first is the root
    an object goes to when it names none). An object that is also a Content Builder asset
    (``content_builder``: an Email) stays in Content Builder's root unless it names a folder."""
    kind.normalise = placed(content_types, kind.normalise, field, content_builder)
    return kind


def _normalise_folder(conn: Connection, mid: int, props: dict, old: Mapping | None) -> dict:
    if not props.get("Name"):
        raise Invalid("A DataFolder needs a Name.")
    if old is not None:
        _check_unchanged(props, old)
        return props
    roots = ensure_roots(conn, mid)
    content_type = str(props.get("ContentType") or "").strip().lower()
    parent_ref = props.get("ParentFolder") or {}
    if any(parent_ref.get(k) for k in ("ID", "CustomerKey", "ObjectID")):
        parent = find_ref(conn, mid, FOLDER, parent_ref)
        if parent is None:
            raise Invalid(f"The ParentFolder {describe_ref(parent_ref)} was not found.")
    elif content_type in roots:
        parent = roots[content_type]
    else:
        raise Invalid("A DataFolder needs a ParentFolder (or the ContentType of a root folder).")
    parent_type = parent.props.get("ContentType")
    if content_type and content_type != parent_type:
        raise Invalid(
            f"The ContentType {shown(props['ContentType'])} is not that of the ParentFolder "
            f"({parent_type})."
        )
    if not parent.props.get("AllowChildren"):
        raise Invalid(f"The folder {shown(parent.name)} does not allow child folders.")
    props.update(ParentFolder={"ID": parent.id}, ContentType=parent_type)
    # Marketing Cloud's defaults for a created folder ("Create, Retrieve, Update, and Delete
    # Folders": IsEditable and AllowChildren false).
    for name, default in (("IsActive", True), ("IsEditable", False), ("AllowChildren", False)):
        props.setdefault(name, default)
    return props


def _check_unchanged(props: dict, old: Mapping) -> None:
    """A folder keeps its place and content type (moving folders is not supported)."""
    if str(props.get("ContentType", "")).lower() != str(old.get("ContentType", "")).lower():
        raise Invalid("The ContentType of a folder cannot be changed.")
    props["ContentType"] = old.get("ContentType")
    parent = props.get("ParentFolder") or {}
    if parse_id(parent.get("ID")) not in (None, old["ParentFolder"]["ID"]):
        raise Invalid("Moving a folder to another ParentFolder is not supported.")
    props["ParentFolder"] = old["ParentFolder"]


class FolderKind(CatalogKind):
    """``DataFolder`` Create / Retrieve / Update / Delete over the account's folder tree."""

    def __init__(self, contents: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(FOLDER, _normalise_folder)
        # (object type, field) pairs that hold a folder ID, checked before a folder goes.
        self.contents = tuple(contents)

    def update(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        row = self.find(conn, mid, obj)
        if row.customer_key == f"{row.props.get('ContentType')}_default":
            raise WrongState(f"The root folder {shown(row.name)} cannot be changed.")
        return self._expanded(conn, mid, super().update(conn, mid, obj))

    def create(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        return self._expanded(conn, mid, super().create(conn, mid, obj))

    def delete(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        row = self.find(conn, mid, obj)
        if row.customer_key == f"{row.props.get('ContentType')}_default":
            raise WrongState(f"The root folder {shown(row.name)} cannot be deleted.")
        if self._holds_something(conn, mid, row.id):
            raise WrongState(
                f"The folder {shown(row.name)} is not empty: move or delete what it holds first."
            )
        return super().delete(conn, mid, obj)

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        if len(_roots(conn, mid)) < len(ROOTS):
            ensure_roots(conn, mid)
            # Retrieve reads on a connection of its own, never committed: the roots it made
            # must stay, or their IDs would name nothing on the next request.
            conn.commit()
        folders = [self.to_api(r) for r in _folder_rows(conn, mid)]
        by_id = {f["ID"]: f for f in folders}
        return page((_with_parent(f, by_id) for f in folders), tree, offset, limit)

    def _expanded(self, conn: Connection, mid: int, folder: dict[str, Any]) -> dict[str, Any]:
        parent_id = folder["ParentFolder"]["ID"]
        parent = find_ref(conn, mid, FOLDER, {"ID": parent_id}) if parent_id else None
        by_id = {parent.id: self.to_api(parent)} if parent is not None else {}
        return _with_parent(folder, by_id)

    def _holds_something(self, conn: Connection, mid: int, folder_id: int) -> bool:
        for row in _folder_rows(conn, mid):
            if row.props.get("ParentFolder", {}).get("ID") == folder_id:
                return True
        for type_name, field in self.contents:
            for row in conn.execute(
                select(objects.c.props).where(objects.c.mid == mid, objects.c.type == type_name)
            ):
                if parse_id(row.props.get(field)) == folder_id:
                    return True
        return False


def _folder_rows(conn: Connection, mid: int) -> list[Any]:
    return list(
        conn.execute(
            select(objects)
            .where(objects.c.mid == mid, objects.c.type == FOLDER)
            .order_by(objects.c.id)
        )
    )


def _with_parent(folder: dict[str, Any], by_id: Mapping[int, dict[str, Any]]) -> dict[str, Any]:
    """The folder with its ParentFolder filled in (a root's parent is ID 0 and nothing else)."""
    parent = by_id.get(folder["ParentFolder"]["ID"])
    if parent is None:
        return {**folder, "ParentFolder": {"__type__": FOLDER, "ID": 0}}
    shallow = {k: v for k, v in parent.items() if k != "ParentFolder"}
    return {**folder, "ParentFolder": {**shallow, "__type__": FOLDER}}
