"""A triggered send definition's status machine, and what each status means for its job.

Marketing Cloud's TriggeredSendStatus (triggered-transactional.md section 2.6): a definition is
created New; starting it (an Update to Active) makes it mail; pausing it (Inactive) queues
what arrives until it is started again, then the queue goes out in arrival order; Canceled is
final; Deleted (by Delete) accepts nothing. Only Active and Inactive accept requests.
"""

from __future__ import annotations

from enum import StrEnum

from sendwell.domain import errors as e
from sendwell.domain.errors import Invalid, WrongState


class TriggeredStatus(StrEnum):
    NEW = "New"
    INACTIVE = "Inactive"
    ACTIVE = "Active"
    CANCELED = "Canceled"
    DELETED = "Deleted"
    MOVED = "Moved"


ACCEPTING = frozenset({TriggeredStatus.ACTIVE, TriggeredStatus.INACTIVE})

# Allowed moves by Update (Delete makes Deleted); the error code when a move is refused.
_MOVES: dict[TriggeredStatus, tuple[frozenset[TriggeredStatus], int, str]] = {
    TriggeredStatus.ACTIVE: (
        frozenset({TriggeredStatus.NEW, TriggeredStatus.INACTIVE, TriggeredStatus.ACTIVE}),
        e.TSD_CANNOT_BE_ACTIVATED,
        "Triggered Send Definition Cannot Be Activated",
    ),
    TriggeredStatus.INACTIVE: (
        frozenset({TriggeredStatus.NEW, TriggeredStatus.ACTIVE, TriggeredStatus.INACTIVE}),
        e.TSD_CANNOT_BE_DEACTIVATED,
        "Triggered Send Definition Cannot Be Deactivated",
    ),
    TriggeredStatus.CANCELED: (
        frozenset(
            {
                TriggeredStatus.NEW,
                TriggeredStatus.ACTIVE,
                TriggeredStatus.INACTIVE,
                TriggeredStatus.MOVED,
                TriggeredStatus.CANCELED,
            }
        ),
        e.TSD_CANNOT_BE_CANCELED,
        "Triggered Send Definition Cannot Be Canceled",
    ),
    TriggeredStatus.NEW: (frozenset({TriggeredStatus.NEW}), e.TSD_CANNOT_BE_UPDATED, ""),
}


def parse_status(value: object) -> TriggeredStatus:
    """A TriggeredSendStatus as given (matched without regard to case, as the Java SDK sends
    "NEW"); Invalid for another value."""
    text = str(value or "").strip().lower()
    for status in TriggeredStatus:
        if status.value.lower() == text:
            return status
    raise Invalid(
        f"TriggeredSendStatus {str(value)[:40]!r} is not one of New, Inactive, Active, Canceled.",
        e.TSD_CANNOT_BE_UPDATED,
    )


def check_move(current: TriggeredStatus, target: TriggeredStatus) -> None:
    """Refuse a status change the definition cannot make (Canceled is final)."""
    if target in (TriggeredStatus.DELETED, TriggeredStatus.MOVED):
        raise WrongState(
            f"Triggered Send Definition Cannot Be Updated to {target}", e.TSD_CANNOT_BE_UPDATED
        )
    sources, code, message = _MOVES[target]
    if current not in sources:
        text = message or f"Triggered Send Definition Cannot Be Updated from {current} to New"
        raise WrongState(f"{text}: it is {current}.", code)
