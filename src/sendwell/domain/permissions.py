"""What an OAuth token may do: Marketing Cloud's installed-package scopes, by area and access.

An installed package's API Integration is granted scopes per area ("Email: Read, Write, Send",
"List and Subscribers: Read, Write", "Data Extensions: Read, Write", "Tracking Events: Read,
Write", "Accounts: Read, Write", ...), named ``<area>_<access>`` (``email_read``,
``list_and_subscribers_write``, ``data_extensions_read``, ``tracking_events_read``,
``accounts_read``). Reading needs the area's read scope, changing needs write, sending needs
send; the scopes are independent of one another (``email_write`` alone does not read).

Which area guards which partner API object is the registry's table
(``services.registry.OBJECT_AREAS``); REST routes name their area directly. WS-Security users
(UsernameToken) are not scoped: their rights are ``UNRESTRICTED``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sendwell.domain.errors import InsufficientPrivileges


class Access(StrEnum):
    """What an operation does to an area: the suffix of the scope that allows it."""

    READ = "read"
    WRITE = "write"
    SEND = "send"


@dataclass(frozen=True)
class Area:
    """A group of Marketing Cloud functionality that scopes are granted for.

    ``prefixes`` are the scope names that grant it, each completed with ``_<access>``; more
    than one means any of them is enough (the Send API accepts ``email_*`` or
    ``marketing_cloud_connect_*``).
    """

    name: str
    prefixes: tuple[str, ...]
    accesses: tuple[Access, ...] = (Access.READ, Access.WRITE)

    def scopes(self, access: Access) -> tuple[str, ...]:
        """The scopes, any one of which allows ``access`` here."""
        return tuple(f"{prefix}_{access}" for prefix in self.prefixes)


EMAIL = Area("Email", ("email",), (Access.READ, Access.WRITE, Access.SEND))
LIST_AND_SUBSCRIBERS = Area("List and Subscribers", ("list_and_subscribers",))
DATA_EXTENSIONS = Area("Data Extensions", ("data_extensions",))
TRACKING_EVENTS = Area("Tracking Events", ("tracking_events",))
ACCOUNTS = Area("Accounts", ("accounts",))
# Marketing Cloud's "Campaign: Read, Write" (campaign_read, campaign_write: the /hub/v1/campaigns
# rows of its REST scope table).
CAMPAIGNS = Area("Campaign", ("campaign",))
# The REST Send API's integrated sends: send-api-rest.md 6.6 (a design: Marketing Cloud's scope
# table lists no /data/v1/integration/send rows) lets either scope family in.
SEND_API = Area(
    "Marketing Cloud Connect",
    ("marketing_cloud_connect", "email"),
    (Access.READ, Access.WRITE, Access.SEND),
)

AREAS: tuple[Area, ...] = (
    EMAIL,
    LIST_AND_SUBSCRIBERS,
    DATA_EXTENSIONS,
    TRACKING_EVENTS,
    ACCOUNTS,
    SEND_API,
    CAMPAIGNS,
)
# Every scope Sendwell knows, in the order an installed package lists them.
KNOWN_SCOPES: tuple[str, ...] = tuple(
    dict.fromkeys(scope for area in AREAS for a in area.accesses for scope in area.scopes(a))
)


@dataclass(frozen=True)
class Rights:
    """A caller's scopes; ``scopes=None`` is a caller no scope restricts (a WS-Security user).

    An empty set is a token that was asked for ``scope=""``: it may do nothing.
    """

    scopes: frozenset[str] | None

    def allows(self, area: Area, access: Access) -> bool:
        """Whether a scope granting ``access`` to ``area`` is among the caller's."""
        if self.scopes is None:
            return True
        return any(scope in self.scopes for scope in area.scopes(access))

    def require(self, area: Area, access: Access, action: str) -> None:
        """Raise ``InsufficientPrivileges`` unless ``access`` to ``area`` is allowed.

        ``action`` says what was refused, e.g. "Create on Email".
        """
        if not self.allows(area, access):
            needed = " or ".join(area.scopes(access))
            raise InsufficientPrivileges(
                f"API Permission Failed - Insufficient privileges: {action} needs the scope "
                f"{needed}, which the access token does not have."
            )


UNRESTRICTED = Rights(None)
