"""Shared set-up for the data extension row route tests: a data extension made over SOAP, tokens
from /v2/token, and the rows as the store holds them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from tests.support import create, soap, text

from sendwell.store.tables import de_rows, objects

KEY = "DE_KEY"
FIELDS = (
    ("Email", "EmailAddress", True, ""),
    ("Name", "Text", False, "<MaxLength>20</MaxLength>"),
    ("Age", "Number", False, ""),
    ("Score", "Decimal", False, ""),
    ("Born", "Date", False, ""),
    ("Vip", "Boolean", False, ""),
    ("Notes", "Text", False, ""),
)


def make_de(world, key: str = KEY, fields=FIELDS) -> str:  # type: ignore[no-untyped-def]
    """Create a data extension over SOAP; returns its ObjectID."""
    xml = "".join(
        f"<Field><Name>{name}</Name><FieldType>{kind}</FieldType>"
        f"<IsPrimaryKey>{'true' if pk else 'false'}</IsPrimaryKey>{extra}</Field>"
        for name, kind, pk, extra in fields
    )
    body = create(
        "DataExtension", f"<CustomerKey>{key}</CustomerKey><Name>{key}</Name><Fields>{xml}</Fields>"
    )
    _, result = soap(world.client, "Create", body, user=world.user)
    assert text(result, "p:OverallStatus") == "OK", text(result, "p:Results/p:StatusMessage")
    with world.engine.connect() as conn:
        return conn.execute(
            select(objects.c.object_id).where(
                objects.c.customer_key == key, objects.c.type == "DataExtension"
            )
        ).scalar_one()


def bearer(world, scope: str | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An Authorization header with a token from /v2/token (narrowed to ``scope`` if given)."""
    body: dict[str, Any] = {
        "grant_type": "client_credentials",
        "client_id": world.client_id,
        "client_secret": world.client_secret,
    }
    if scope is not None:
        body["scope"] = scope
    reply = world.client.post("/v2/token", json=body)
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def stored(world, key: str = KEY) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """The data extension's rows in the store, by lower-cased primary key value."""
    with world.engine.connect() as conn:
        de_id = conn.execute(
            select(objects.c.id).where(
                objects.c.customer_key == key, objects.c.type == "DataExtension"
            )
        ).scalar_one()
        rows = conn.execute(
            select(de_rows.c.row_key, de_rows.c.data).where(de_rows.c.de_id == de_id)
        ).all()
    return {(r.row_key or str(i)): dict(r.data) for i, r in enumerate(rows)}
