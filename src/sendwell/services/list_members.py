"""``ListSubscriber``: a subscriber's membership of a list, as Retrieve gives it.

Memberships are made through the Subscriber (its ``Lists``) and read here: one object per list
and subscriber, with the membership's own Status (a subscriber unsubscribed from one list
stays Active on the others).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from sendwell.domain.filters import Filter, equality_on
from sendwell.services.catalog import Unsupported, page
from sendwell.store.tables import list_members, objects, subscribers


class ListSubscriberKind(Unsupported):
    """Retrieve of the account's list memberships (a filter on ListID is done in SQL)."""

    type_name = "ListSubscriber"

    def retrieve(
        self, conn: Connection, mid: int, tree: Filter | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        query = (
            select(
                list_members.c.list_id,
                list_members.c.status,
                list_members.c.created_at,
                subscribers.c.subscriber_key,
            )
            .join(subscribers, subscribers.c.id == list_members.c.subscriber_id)
            .join(objects, objects.c.id == list_members.c.list_id)
            .where(objects.c.mid == mid, subscribers.c.mid == mid)
            .order_by(list_members.c.list_id, list_members.c.subscriber_id)
        )
        list_id = equality_on(tree, "ListID")
        if list_id is not None:
            query = query.where(list_members.c.list_id == list_id)
        members = (
            {
                "__type__": "ListSubscriber",
                "Client": {"ID": mid},
                "CreatedDate": row.created_at,
                "ListID": row.list_id,
                "SubscriberKey": row.subscriber_key,
                "Status": row.status,
            }
            for row in conn.execute(query)
        )
        return page(members, tree, offset, limit)
