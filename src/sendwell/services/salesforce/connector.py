"""Which connector resolves an account's Salesforce audiences, and the account's connection.

Each account uses one connector: the Salesforce API when its ``crm_connections`` row says
``salesforce``, otherwise the local CRM store filled by ``sendwell crm import``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from sendwell.services.salesforce.api import SalesforceApiConnector
from sendwell.services.salesforce.audiences import AudienceConnector
from sendwell.services.salesforce.local import LocalCrmConnector
from sendwell.store.tables import crm_connections


def connector_for(conn: Connection, mid: int, secret_key: str) -> AudienceConnector:
    """The account's connector: the Salesforce API if connected, else the local CRM store.

    ``secret_key`` (the installation's, ``resolve_secret_key``) opens sealed credentials.
    """
    row = conn.execute(select(crm_connections).where(crm_connections.c.mid == mid)).first()
    if row is not None and row.kind == "salesforce":
        return SalesforceApiConnector(row.settings, secret_key)
    return LocalCrmConnector()


def save_connection(conn: Connection, mid: int, kind: str, settings: Mapping[str, Any]) -> None:
    """Create or replace the account's ``crm_connections`` row."""
    conn.execute(delete(crm_connections).where(crm_connections.c.mid == mid))
    conn.execute(insert(crm_connections).values(mid=mid, kind=kind, settings=dict(settings)))


def remove_connection(conn: Connection, mid: int) -> bool:
    """Forget the account's connection (it falls back to the local store); False if none."""
    return bool(conn.execute(delete(crm_connections).where(crm_connections.c.mid == mid)).rowcount)
