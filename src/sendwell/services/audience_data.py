"""Subscribers (with list memberships) and data extension rows: the data audiences come from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from sendwell.domain import errors as e
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import Duplicate, Invalid, NotFound, clipped, shown
from sendwell.domain.filters import Filter
from sendwell.domain.limits import parse_id
from sendwell.services.catalog import Unsupported, describe_ref, find_ref, page
from sendwell.services.row_values import check_row
from sendwell.services.rules import de_fields, email_field, sendable_key_field, valid_email
from sendwell.store.tables import de_rows, list_members, objects, subscribers

SUBSCRIBER_STATUSES = ("Active", "Bounced", "Held", "Unsubscribed", "Deleted")


def pairs(value: Any) -> list[tuple[str, Any]]:
    """(Name, Value) pairs from ``Properties/Property``, ``Keys/Key`` or ``Attributes`` forms."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        inner = next((v for k, v in value.items() if not k.startswith("__")), [])
        value = inner if isinstance(inner, list) else [inner]
    return [(p.get("Name"), p.get("Value")) for p in value if isinstance(p, Mapping)]


class SubscriberKind(Unsupported):
    type_name = "Subscriber"

    def create(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        email = obj.get("EmailAddress")
        _check_email(email)
        key = obj.get("SubscriberKey") or email
        if self._row(conn, mid, key) is not None:
            raise Duplicate(
                f"The subscriber with key {shown(key)} already exists.", e.SUBSCRIBER_DUPLICATE
            )
        status = obj.get("Status") or "Active"
        sid = conn.execute(
            insert(subscribers).values(
                mid=mid,
                subscriber_key=key,
                email=email,
                status=_status(status),
                attributes=dict(pairs(obj.get("Attributes"))),
                created_at=utcnow(),
            )
        ).inserted_primary_key[0]
        self._set_lists(conn, mid, sid, obj.get("Lists"))
        return self._to_api(conn, self._row(conn, mid, key))

    def update(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        row = self.find(conn, mid, obj)
        values: dict[str, Any] = {}
        if obj.get("EmailAddress"):
            _check_email(obj["EmailAddress"])
            values["email"] = obj["EmailAddress"]
        if obj.get("Status"):
            values["status"] = _status(obj["Status"])
            if values["status"] == "Unsubscribed":
                values["unsubscribed_at"] = utcnow()
        if obj.get("Attributes"):
            values["attributes"] = {**row.attributes, **dict(pairs(obj["Attributes"]))}
        if values:
            conn.execute(update(subscribers).where(subscribers.c.id == row.id).values(**values))
        self._set_lists(conn, mid, row.id, obj.get("Lists"))
        return self._to_api(conn, self._row(conn, mid, row.subscriber_key))

    def delete(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        row = self.find(conn, mid, obj)
        conn.execute(delete(list_members).where(list_members.c.subscriber_id == row.id))
        conn.execute(delete(subscribers).where(subscribers.c.id == row.id))
        return {"__type__": "Subscriber", "SubscriberKey": row.subscriber_key}

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        rows = conn.execute(
            select(subscribers).where(subscribers.c.mid == mid).order_by(subscribers.c.id)
        )
        return page((self._to_api(conn, r, lists=False) for r in rows), tree, offset, limit)

    def find(self, conn: Connection, mid: int, obj: Mapping[str, Any]) -> Any:
        """The subscriber ``obj`` names: by ``ID``, else ``SubscriberKey``, else
        ``EmailAddress`` (the key of a subscriber made without one); NotFound otherwise."""
        if obj.get("ID"):
            sid = parse_id(obj["ID"])
            row = conn.execute(
                select(subscribers).where(subscribers.c.mid == mid, subscribers.c.id == sid)
            ).first()
            what = f"with ID {clipped(obj['ID'])}"
        else:
            key = obj.get("SubscriberKey") or obj.get("EmailAddress")
            if not key:
                raise Invalid(
                    "The subscriber needs an ID, a SubscriberKey or an EmailAddress.",
                    e.ERR_NOT_FOUND,
                )
            row = self._row(conn, mid, key)
            what = f"with SubscriberKey {shown(key)}"
        if row is None:
            raise NotFound(f"The subscriber {what} was not found.", e.ERR_NOT_FOUND)
        return row

    @staticmethod
    def _row(conn: Connection, mid: int, key: str) -> Any:
        return conn.execute(
            select(subscribers).where(subscribers.c.mid == mid, subscribers.c.subscriber_key == key)
        ).first()

    @staticmethod
    def _set_lists(conn: Connection, mid: int, sid: int, lists: Any) -> None:
        for item in lists or []:
            ref = {"ID": item.get("ID")} if item.get("ID") else item.get("List") or item
            row = find_ref(conn, mid, "List", ref)
            if row is None:
                raise Invalid(f"List {describe_ref(ref)} was not found.", e.ESD_LIST_NOT_FOUND)
            status = _status(item.get("Status") or "Active")
            key = (list_members.c.list_id == row.id) & (list_members.c.subscriber_id == sid)
            if conn.execute(select(list_members.c.list_id).where(key)).first():
                conn.execute(update(list_members).where(key).values(status=status))
            else:
                conn.execute(
                    insert(list_members).values(
                        list_id=row.id,
                        subscriber_id=sid,
                        status=status,
                        created_at=utcnow(),
                    )
                )

    @staticmethod
    def _to_api(conn: Connection, row: Any, lists: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "__type__": "Subscriber",
            "Client": {"ID": row.mid},
            "CreatedDate": row.created_at,
            "ID": row.id,
            "EmailAddress": row.email,
            "SubscriberKey": row.subscriber_key,
            "Status": row.status,
            "UnsubscribedDate": row.unsubscribed_at,
            "Attributes": [{"Name": k, "Value": str(v)} for k, v in row.attributes.items()],
        }
        if lists:
            members = conn.execute(
                select(list_members.c.list_id, list_members.c.status).where(
                    list_members.c.subscriber_id == row.id
                )
            )
            out["Lists"] = [{"ID": m.list_id, "Status": m.status} for m in members]
        return out


def _check_email(email: Any) -> None:
    if not email:
        raise Invalid("The subscriber needs an EmailAddress.", e.SUBSCRIBER_EMAIL_INVALID)
    if not valid_email(email):
        raise Invalid(f"The EmailAddress {shown(email)} is not valid.", e.SUBSCRIBER_EMAIL_INVALID)


def _status(value: str) -> str:
    for status in SUBSCRIBER_STATUSES:
        if status.lower() == str(value).lower():
            return status
    raise Invalid(f"Subscriber Status {shown(value)} is not valid.", e.ERR_GENERAL)


class DataExtensionObjectKind(Unsupported):
    """Rows of a data extension, named by the DE's CustomerKey or Name."""

    type_name = "DataExtensionObject"

    def create(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        de = self._de(conn, mid, obj)
        data = _row_values(de.props, pairs(obj.get("Properties")), partial=False)
        key = row_key(de.props, data)
        if (
            key is not None
            and conn.execute(
                select(de_rows.c.id).where(de_rows.c.de_id == de.id, de_rows.c.row_key == key)
            ).first()
        ):
            raise Duplicate(
                "Violation of PRIMARY KEY constraint: the row already exists.", e.DE_ROW_INVALID
            )
        insert_rows(conn, de, [data])
        return _row_to_api(de, data)

    def update(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        de = self._de(conn, mid, obj)
        given = pairs(obj.get("Properties")) + pairs(obj.get("Keys"))
        data = _row_values(de.props, given, partial=True)
        if row_key(de.props, data) is None:
            raise Invalid(
                "Updating a row needs the data extension's primary key fields.", e.DE_ROW_INVALID
            )
        # Marketing Cloud's Update with UpdateAdd semantics: upsert; SaveAction UpdateOnly
        # (operations' "__update_only__") refuses a row that is not there.
        if obj.get("__update_only__") and not _row_exists(conn, de, data):
            raise NotFound("No row with that key exists.", e.DE_ROW_NOT_FOUND)
        return _row_to_api(de, upsert_row(conn, de, data))

    def delete(self, conn: Connection, mid: int, obj: dict[str, Any]) -> dict[str, Any]:
        de = self._de(conn, mid, obj)
        data = _row_values(de.props, pairs(obj.get("Keys")), partial=True)
        key = row_key(de.props, data)
        if key is None:
            raise Invalid(
                "Deleting a row needs the data extension's primary key fields.", e.DE_ROW_INVALID
            )
        deleted = conn.execute(
            delete(de_rows).where(de_rows.c.de_id == de.id, de_rows.c.row_key == key)
        ).rowcount
        if not deleted:
            raise NotFound("No row with that key exists.", e.DE_ROW_NOT_FOUND)
        return {"__type__": "DataExtensionObject", "CustomerKey": de.customer_key}

    def retrieve_rows(
        self, conn: Connection, mid: int, de_name: str, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        de = self._de(conn, mid, {"Name": de_name})
        rows = conn.execute(
            select(de_rows.c.data).where(de_rows.c.de_id == de.id).order_by(de_rows.c.id)
        )
        found, more = page((r.data for r in rows), tree, offset, limit)
        return [_row_to_api(de, data) for data in found], more

    @staticmethod
    def _de(conn: Connection, mid: int, obj: Mapping[str, Any]) -> Any:
        ref = {k: obj.get(k) for k in ("CustomerKey", "Name", "ObjectID") if obj.get(k)}
        row = find_ref(conn, mid, "DataExtension", ref) if ref else None
        if row is None and obj.get("Name"):
            row = conn.execute(
                select(objects).where(
                    objects.c.mid == mid,
                    objects.c.type == "DataExtension",
                    func.lower(objects.c.name) == str(obj["Name"]).lower(),
                )
            ).first()
        if row is None:
            if not ref:
                raise Invalid(
                    "The data extension row needs the CustomerKey or Name of its data extension.",
                    e.DE_NOT_FOUND,
                )
            raise NotFound(f"The data extension {describe_ref(ref)} was not found.", e.DE_NOT_FOUND)
        return row


def _row_exists(conn: Connection, de: Any, data: Mapping[str, str]) -> bool:
    key = row_key(de.props, data)
    return key is not None and (
        conn.execute(
            select(de_rows.c.id).where(de_rows.c.de_id == de.id, de_rows.c.row_key == key)
        ).first()
        is not None
    )


def insert_rows(conn: Connection, de: Any, rows: Iterable[dict[str, str]]) -> int:
    """Insert already-validated rows of a data extension in one statement."""
    values = [
        {
            "de_id": de.id,
            "row_key": row_key(de.props, data),
            "data": data,
            **_sendable_columns(de.props, data),
        }
        for data in rows
    ]
    if values:
        conn.execute(insert(de_rows), values)
    return len(values)


def upsert_row(conn: Connection, de: Any, data: Mapping[str, str]) -> dict[str, str]:
    """Update the row with ``data``'s primary key (merging), or insert ``data`` as a new row
    (then every required field must be there). ``data`` is validated (``check_row``); a data
    extension without a primary key only ever gets new rows. Returns the row as stored."""
    key = row_key(de.props, data)
    existing = None
    if key is not None:
        existing = conn.execute(
            select(de_rows).where(de_rows.c.de_id == de.id, de_rows.c.row_key == key)
        ).first()
    if existing is None:
        full = _row_values(de.props, list(data.items()), partial=False)
        insert_rows(conn, de, [full])
        return full
    merged = {**existing.data, **data}
    conn.execute(
        update(de_rows)
        .where(de_rows.c.id == existing.id)
        .values(data=merged, **_sendable_columns(de.props, merged))
    )
    return merged


def validate_row(de_props: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, str]:
    """Check a full row against the DE's fields; returns it with canonical field names."""
    return _row_values(de_props, list(given.items()), partial=False)


def partial_row(de_props: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, str]:
    """The values of ``given`` for the DE's fields (names it lacks are left out), checked."""
    names = {f["Name"].lower() for f in de_fields(de_props)}
    known = [(k, v) for k, v in given.items() if str(k).lower() in names and v is not None]
    return _row_values(de_props, known, partial=True)


def _row_values(
    de_props: Mapping[str, Any], given: list[tuple[str, Any]], partial: bool
) -> dict[str, str]:
    data, problems = check_row(de_props, given, partial)
    if problems:
        raise Invalid(problems[0].message, e.DE_ROW_INVALID)
    return data


def row_key(de_props: Mapping[str, Any], data: Mapping[str, str]) -> str | None:
    keys = [f["Name"] for f in de_fields(de_props) if f.get("IsPrimaryKey")]
    if not keys or any(not data.get(k) for k in keys):
        return None
    return "\x1f".join(data[k].lower() for k in keys)


def _sendable_columns(de_props: Mapping[str, Any], data: Mapping[str, str]) -> dict[str, Any]:
    email_name = email_field(de_props)
    key_name = sendable_key_field(de_props)
    email = data.get(email_name) if email_name else None
    key = data.get(key_name) if key_name else None
    return {"email": email or None, "subscriber_key": key or email or None}


def _row_to_api(de: Any, data: Mapping[str, str]) -> dict[str, Any]:
    return {
        "__type__": "DataExtensionObject",
        "CustomerKey": de.customer_key,
        "Name": de.name,
        "Properties": {"Property": [{"Name": k, "Value": v} for k, v in data.items()]},
    }
