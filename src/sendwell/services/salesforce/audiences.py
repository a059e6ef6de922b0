"""What a Send API target or exclusion names (``AudienceRef``), and what resolves one.

A definition's ``Targets``/``Exclusions`` entries become ``AudienceRef`` values. An
``AudienceConnector`` answers whether one exists (when a definition is created) and writes its
members into ``sync_members`` (when an instance starts).

``SalesforceDataExtension`` entries are accepted as values (so definitions naming them can be
parsed and echoed) but no connector supports them: ``exists`` is False, ``materialize`` raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection

from sendwell.domain.errors import Invalid, shown
from sendwell.domain.salesforce_ids import to18

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
            f"Audience Type {shown(raw_type)} is not supported; "
            f"supported: {', '.join(AUDIENCE_TYPES)}"
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
