"""What a triggered or transactional request does before its messages are queued.

Each recipient is checked (address, subscriber key), suppressed as its classification says
(commercial: unsubscribed or held; operational: held), screened against the definition's
exclusion lists, added to or updated in the account's subscribers (and the definition's list)
as the definition says, written as a row of the definition's send data extension, and then
appended to the continuous job's ledger. Shared by SOAP ``TriggeredSend``, the legacy REST
triggered send and the Transactional Messaging API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from sendwell.domain import not_sent
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import SendwellError
from sendwell.services.audience_data import insert_rows, partial_row
from sendwell.services.rules import valid_email
from sendwell.store.audience import SUPPRESSED
from sendwell.store.continuous import FROM_ADDRESS, FROM_NAME, NewRecipient, append_recipients
from sendwell.store.tables import de_rows, list_members, objects, subscribers
from sendwell.store.tracking import record_not_sent

MAX_KEY = 254
_KNOWN = select(subscribers.c.id, subscribers.c.status, subscribers.c.attributes).where(
    subscribers.c.mid == bindparam("mid"), subscribers.c.subscriber_key == bindparam("key")
)


@dataclass(frozen=True)
class Request:
    """One recipient of a request: address, key, attributes and an optional From override."""

    email: str | None
    subscriber_key: str | None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    from_name: str | None = None
    from_address: str | None = None


@dataclass(frozen=True)
class Rules:
    """What the definition says about its recipients."""

    classification: str = "Marketing"
    list_id: int | None = None
    auto_add: bool = True
    auto_update: bool = True
    data_extension_id: int | None = None
    exclusion_list_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What became of one recipient: its ledger seq (when it was entered), or why not."""

    ordinal: int
    seq: int | None = None
    reason: int | None = None  # domain.not_sent code when it will get no message

    @property
    def queued(self) -> bool:
        return self.seq is not None and self.reason is None


def take(
    conn: Connection, mid: int, job_id: int, rules: Rules, requests: Sequence[Request]
) -> list[Outcome]:
    """Check, keep and queue the recipients of one request, in order; one outcome each.

    A recipient whose address or key is unusable is not entered at all; one that is
    suppressed or excluded is entered as refused (its NotSent event says why).
    """
    outcomes: list[Outcome] = []
    entered: list[tuple[int, NewRecipient]] = []
    for ordinal, request in enumerate(requests):
        reason = _invalid(request)
        if reason is not None:
            outcomes.append(Outcome(ordinal, reason=reason))
            continue
        key = request.subscriber_key or request.email or ""
        known = conn.execute(_KNOWN, {"mid": mid, "key": key}).first()
        refused = _suppressed(conn, mid, rules, key, request.email or "", known)
        if refused is None:
            _keep_subscriber(conn, mid, rules, key, request, known)
        attributes = dict(request.attributes)
        if request.from_address:
            attributes[FROM_ADDRESS] = request.from_address
            attributes[FROM_NAME] = request.from_name or ""
        entered.append((ordinal, NewRecipient(key, request.email or "", attributes, refused)))
    if rules.data_extension_id is not None:
        _write_rows(conn, rules.data_extension_id, [r for _, r in entered if r.refused is None])
    seqs = append_recipients(conn, job_id, [r for _, r in entered])
    refused_rows = [
        (_Row(seq, r.subscriber_key), r.refused)
        for seq, (_, r) in zip(seqs, entered, strict=True)
        if r.refused is not None
    ]
    if refused_rows:
        record_not_sent(conn, mid, job_id, refused_rows)
    outcomes.extend(
        Outcome(ordinal, seq, r.refused) for seq, (ordinal, r) in zip(seqs, entered, strict=True)
    )
    return sorted(outcomes, key=lambda o: o.ordinal)


@dataclass(frozen=True)
class _Row:
    seq: int
    subscriber_key: str


def _invalid(request: Request) -> int | None:
    if not request.email:
        return not_sent.MISSING_EMAIL_ADDRESS
    if not valid_email(request.email):
        return not_sent.INVALID_EMAIL_ADDRESS
    if request.subscriber_key is not None and len(request.subscriber_key) > MAX_KEY:
        return not_sent.SUBSCRIBER_KEY_TOO_LONG
    if request.from_address and not valid_email(request.from_address):
        return not_sent.INVALID_OWNER
    return None


def _suppressed(
    conn: Connection, mid: int, rules: Rules, key: str, email: str, known: Any
) -> int | None:
    """The reason a known subscriber gets no message of this classification, if any."""
    status = known.status if known is not None else None
    suppressed = SUPPRESSED.get(rules.classification, SUPPRESSED["Marketing"])
    if status in suppressed["unsubscribed"]:
        return not_sent.UNSUBSCRIBED
    if status in suppressed["undeliverable"]:
        return not_sent.HELD
    if rules.exclusion_list_ids and _excluded(conn, mid, rules.exclusion_list_ids, key, email):
        return not_sent.EXCLUDED
    return None


def _excluded(conn: Connection, mid: int, list_ids: tuple[int, ...], key: str, email: str) -> bool:
    """Whether the recipient is an active member of an exclusion list, or a row of an
    exclusion data extension, by subscriber key or address."""
    member = conn.execute(
        select(subscribers.c.id)
        .join(list_members, list_members.c.subscriber_id == subscribers.c.id)
        .where(
            subscribers.c.mid == mid,
            list_members.c.list_id.in_(list_ids),
            list_members.c.status == "Active",
            or_(
                subscribers.c.subscriber_key == key,
                func.lower(subscribers.c.email) == email.lower(),
            ),
        )
        .limit(1)
    ).first()
    if member is not None:
        return True
    row = conn.execute(
        select(de_rows.c.id)
        .where(
            de_rows.c.de_id.in_(list_ids),
            or_(de_rows.c.subscriber_key == key, func.lower(de_rows.c.email) == email.lower()),
        )
        .limit(1)
    ).first()
    return row is not None


def _keep_subscriber(
    conn: Connection, mid: int, rules: Rules, key: str, request: Request, row: Any
) -> None:
    """Add the recipient to the account's subscribers (and the definition's list), or update
    its address and attributes, as the definition's auto-add and auto-update say."""
    profile = {k: str(v) for k, v in request.attributes.items() if not str(k).startswith("__")}
    if row is None:
        if not rules.auto_add:
            return
        subscriber_id = conn.execute(
            insert(subscribers).values(
                mid=mid,
                subscriber_key=key,
                email=request.email,
                status="Active",
                attributes=profile,
                created_at=utcnow(),
            )
        ).inserted_primary_key[0]
    else:
        subscriber_id = row.id
        if rules.auto_update:
            conn.execute(
                update(subscribers)
                .where(subscribers.c.id == row.id)
                .values(email=request.email, attributes={**row.attributes, **profile})
            )
    if rules.list_id is not None and (rules.auto_add or row is not None):
        _join_list(conn, rules.list_id, int(subscriber_id))


def _join_list(conn: Connection, list_id: int, subscriber_id: int) -> None:
    exists = conn.execute(
        select(list_members.c.status).where(
            list_members.c.list_id == list_id, list_members.c.subscriber_id == subscriber_id
        )
    ).first()
    if exists is None:
        conn.execute(
            insert(list_members).values(
                list_id=list_id, subscriber_id=subscriber_id, status="Active", created_at=utcnow()
            )
        )


def _write_rows(conn: Connection, de_id: int, recipients: Sequence[NewRecipient]) -> None:
    """One row per request in the definition's send data extension (its fields that the
    request fills: the address, the key and attributes of the same names)."""
    de = conn.execute(select(objects).where(objects.c.id == de_id)).first()
    if de is None or not recipients:
        return
    rows = []
    for r in recipients:
        given = {"EmailAddress": r.email, "Email": r.email, "SubscriberKey": r.subscriber_key}
        given.update({k: v for k, v in r.attributes.items() if not str(k).startswith("__")})
        try:
            rows.append(partial_row(de.props, given))
        except SendwellError:  # a value the field cannot hold: the message still goes
            continue
    insert_rows(conn, de, rows)
