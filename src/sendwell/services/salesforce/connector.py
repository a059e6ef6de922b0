"""Salesforce audiences: what a Send API target or exclusion names, and who resolves it.

A definition's ``Targets``/``Exclusions`` entries become ``AudienceRef`` values. An
``AudienceConnector`` answers whether one exists (when a definition is created) and writes its
members into ``sync_members`` (when an instance starts). Each account uses one connector: the
Salesforce API when its ``crm_connections`` row says ``salesforce``, otherwise the local CRM
store filled by ``sendwell crm import``.

``SalesforceDataExtension`` entries are accepted as values (so definitions naming them can be
parsed and echoed) but no connector supports them: ``exists`` is False, ``materialize`` raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, delete, insert, select

from sendwell.domain.errors import Invalid
from sendwell.domain.salesforce_ids import to18
from sendwell.store.tables import crm_connections

AUDIENCE_TYPES = ("Campaign", "Report", "Contact", "Lead", "SalesforceDataExtension")
PERSON_TYPES = ("Contact", "Lead")
ROLES = ("target", "exclusion")  # sync_members.role
DATA_EXTENSION = "SalesforceDataExtension"


@dataclass(frozen=True)
class AudienceRef:
    """One Salesforce audience source: ``type`` in canonical case, ``id`` with 18 characters.

    For ``SalesforceDataExtension`` the id is kept as given (it is not a record id).
    """

    type: str
    id: str
    name: str


class AudienceConnector(Protocol):
    """Resolves audience references of one account."""

    def exists(self, conn: Connection, mid: int, ref: AudienceRef) -> bool:
        """Whether the campaign, report, contact or lead exists (definition create time)."""
        ...

    def materialize(
        self, conn: Connection, mid: int, sync_id: int, role: str, ref: AudienceRef
    ) -> int:
        """Write the members of ``ref`` as ``sync_members`` rows of ``role``; return how many.

        Raises NotFound when the referenced record no longer exists.
        """
        ...


def _get(entry: Mapping[str, Any], key: str) -> Any:
    for name, value in entry.items():
        if isinstance(name, str) and name.lower() == key:
            return value
    return None


def parse_audience(entry: Mapping[str, Any]) -> AudienceRef:
    """An audience entry ``{"Type", "Name", "Id"}`` (keys and Type case-insensitive) as a ref."""
    if not isinstance(entry, Mapping):
        raise Invalid("An audience entry must be an object with Type, Name and Id")
    raw_type, raw_id, name = _get(entry, "type"), _get(entry, "id"), _get(entry, "name")
    canonical = next(
        (t for t in AUDIENCE_TYPES if isinstance(raw_type, str) and t.lower() == raw_type.lower()),
        None,
    )
    if canonical is None:
        raise Invalid(
            f"Audience Type {raw_type!r} is not supported; supported: {', '.join(AUDIENCE_TYPES)}"
        )
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise Invalid(f"The {canonical} audience entry needs an Id")
    name = "" if name is None else str(name)
    if canonical == DATA_EXTENSION:
        return AudienceRef(canonical, raw_id.strip(), name)
    try:
        return AudienceRef(canonical, to18(raw_id.strip()), name)
    except ValueError as exc:
        raise Invalid(f"The {canonical} Id is not a Salesforce id: {exc}") from None


def unsupported(ref: AudienceRef) -> Invalid:
    """The error every connector raises for an audience type it cannot resolve."""
    return Invalid(f"Audience type {ref.type} is not supported by Sendwell")


def connector_for(conn: Connection, mid: int, secret_key: str = "") -> AudienceConnector:
    """The account's connector: the Salesforce API if connected, else the local CRM store.

    ``secret_key`` (``Settings.secret_key``) opens credentials that ``save_connection`` sealed.
    """
    row = conn.execute(select(crm_connections).where(crm_connections.c.mid == mid)).first()
    if row is not None and row.kind == "salesforce":
        from sendwell.services.salesforce.api import SalesforceApiConnector

        return SalesforceApiConnector(row.settings, secret_key)
    from sendwell.services.salesforce.local import LocalCrmConnector

    return LocalCrmConnector()


def save_connection(conn: Connection, mid: int, kind: str, settings: Mapping[str, Any]) -> None:
    """Create or replace the account's ``crm_connections`` row."""
    conn.execute(delete(crm_connections).where(crm_connections.c.mid == mid))
    conn.execute(insert(crm_connections).values(mid=mid, kind=kind, settings=dict(settings)))


def remove_connection(conn: Connection, mid: int) -> bool:
    """Forget the account's connection (it falls back to the local store); False if none."""
    return bool(conn.execute(delete(crm_connections).where(crm_connections.c.mid == mid)).rowcount)
