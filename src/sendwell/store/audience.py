"""Build a send job's audience in the database, set-based, in one pass per step.

union of sources → minus invalid addresses → minus exclusion lists → minus suppressed
subscribers → one row per subscriber key (and per email when asked) → the recipient ledger.
Nothing about the audience is loaded into Python; only the counts come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    case,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql import Select

from sendwell.domain.errors import FILTER_INVALID, Invalid, shown
from sendwell.domain.filters import parse_filter
from sendwell.domain.jobs import AudienceSource, DataExtensionSource, JobSpec, SyncSource
from sendwell.store.filter_sql import to_sql
from sendwell.store.tables import de_rows, list_members, recipients, subscribers, sync_members

# Subscriber statuses that suppress a send, by send classification type.
SUPPRESSED = {
    "Marketing": {
        "unsubscribed": ("Unsubscribed",),
        "undeliverable": ("Bounced", "Held", "Deleted"),
    },
    "Operational": {"unsubscribed": (), "undeliverable": ("Held", "Deleted")},
}
SUBSCRIBER_COLUMNS = {
    "emailaddress": "email",
    "email address": "email",
    "subscriberkey": "subscriber_key",
    "subscriber key": "subscriber_key",
    "status": "status",
}


@dataclass(frozen=True)
class AudienceCounts:
    """What each step of the audience build left out, and who is targeted."""

    candidates: int
    invalid: int
    excluded: int
    unsubscribed: int
    undeliverable: int
    duplicates: int
    targeted: int


def _source_select(mid: int, ordinal: int, source: AudienceSource) -> Select:
    """Rows of one source as (subscriber_key, email, attributes, src, ord, opted_out)."""
    if isinstance(source, SyncSource):  # a resolved Salesforce audience (REST Send API)
        return select(
            sync_members.c.sf_id.label("subscriber_key"),
            sync_members.c.email.label("email"),
            sync_members.c.attributes.label("attributes"),
            literal(ordinal).label("src"),
            sync_members.c.id.label("ord"),
            sync_members.c.opted_out.label("opted_out"),
        ).where(sync_members.c.sync_id == source.sync_id, sync_members.c.role == source.role)
    tree = parse_filter(source.filter)
    if isinstance(source, DataExtensionSource):
        by_lower = {name.lower(): (name, kind) for name, kind in source.fields.items()}

        def de_column(prop: str):  # type: ignore[no-untyped-def]
            if prop.lower() not in by_lower:
                raise Invalid(
                    f"The data filter refers to an unknown field {shown(prop)}.", FILTER_INVALID
                )
            name, kind = by_lower[prop.lower()]
            return de_rows.c.data[name].as_string(), kind

        return select(
            de_rows.c.subscriber_key.label("subscriber_key"),
            de_rows.c.email.label("email"),
            de_rows.c.data.label("attributes"),
            literal(ordinal).label("src"),
            de_rows.c.id.label("ord"),
            literal(False).label("opted_out"),
        ).where(de_rows.c.de_id == source.de_id, to_sql(tree, de_column))

    def subscriber_column(prop: str):  # type: ignore[no-untyped-def]
        column = SUBSCRIBER_COLUMNS.get(prop.lower())
        if column:
            return subscribers.c[column], "Text"
        return subscribers.c.attributes[prop].as_string(), "Text"

    return (
        select(
            subscribers.c.subscriber_key.label("subscriber_key"),
            subscribers.c.email.label("email"),
            subscribers.c.attributes.label("attributes"),
            literal(ordinal).label("src"),
            subscribers.c.id.label("ord"),
            literal(False).label("opted_out"),
        )
        .join(list_members, list_members.c.subscriber_id == subscribers.c.id)
        .where(
            subscribers.c.mid == mid,
            list_members.c.list_id == source.list_id,
            list_members.c.status == "Active",
            to_sql(tree, subscriber_column),
        )
    )


def _union(mid: int, sources: Sequence[AudienceSource]) -> Select:
    selects = [_source_select(mid, i, s) for i, s in enumerate(sources)]
    if len(selects) == 1:
        return selects[0]
    union = union_all(*selects).subquery()
    return select(*union.c)


def _reason(mid: int, spec: JobSpec, cand: Any, dialect: str) -> tuple[Any, Any]:
    """The candidates' FROM clause and why each is left out (None: it is a recipient).

    Every candidate is looked at once: the suppression is one outer join on (mid,
    subscriber_key), which is unique, and the exclusions are sets (below), where an EXISTS per
    step on a CTE rescanned the exclusions for each candidate.
    """
    rules = SUPPRESSED.get(spec.classification, SUPPRESSED["Marketing"])
    sub = subscribers.alias("sub")
    source = cand.outerjoin(
        sub, and_(sub.c.mid == mid, sub.c.subscriber_key == cand.c.subscriber_key)
    )
    unsubscribed = cand.c.opted_out == true()  # Salesforce's HasOptedOutOfEmail
    if rules["unsubscribed"]:
        unsubscribed = or_(sub.c.status.in_(rules["unsubscribed"]), unsubscribed)
    whens = [(or_(cand.c.email.is_(None), ~cand.c.email.like("%_@_%")), "invalid")]
    if spec.exclusions:
        source, excluded = _excluded(mid, spec.exclusions, cand, source, dialect)
        whens.append((excluded, "excluded"))
    whens.append((unsubscribed, "unsubscribed"))
    whens.append((sub.c.status.in_(rules["undeliverable"]), "undeliverable"))
    return source, case(*whens, else_=None).label("reason")


def _excluded(
    mid: int, exclusions: Sequence[AudienceSource], cand: Any, source: Any, dialect: str
) -> tuple[Any, Any]:
    """Whether a candidate's key, or its address in any case, is on an exclusion list.

    The lists' keys and lower-case addresses are two sets, NULLs left out (they match
    nothing). SQLite builds an index of an uncorrelated IN list once, and probes it; its
    planner may instead scan a joined DISTINCT set per row. PostgreSQL hashes an outer join
    of any size, where an IN list in the select list is hashed only while it fits work_mem
    (and rescanned per row past that).
    """
    excl = _union(mid, exclusions).cte("excl")
    keys = select(excl.c.subscriber_key.label("k")).where(excl.c.subscriber_key.is_not(None))
    emails = select(func.lower(excl.c.email).label("e")).where(excl.c.email.is_not(None))
    email = func.lower(cand.c.email)
    if dialect == "sqlite":
        return source, or_(cand.c.subscriber_key.in_(keys), email.in_(emails))
    key_set = keys.distinct().subquery("excl_keys")
    email_set = emails.distinct().subquery("excl_emails")
    source = source.outerjoin(key_set, key_set.c.k == cand.c.subscriber_key).outerjoin(
        email_set, email_set.c.e == email
    )
    return source, or_(key_set.c.k.is_not(None), email_set.c.e.is_not(None))


def _unique(step: Any, dedupe_by_email: bool) -> Any:
    """The first row per subscriber key (and then per address), in source order."""
    order = (step.c.src, step.c.ord)
    ranked = select(
        *step.c,
        func.row_number().over(partition_by=step.c.subscriber_key, order_by=order).label("rk"),
    ).cte("by_key")
    unique = select(*[c for c in ranked.c if c.name != "rk"]).where(ranked.c.rk == 1)
    if not dedupe_by_email:
        return unique.cte("final")
    by_email = unique.cte("unique_key")
    ranked_email = select(
        *by_email.c,
        func.row_number()
        .over(partition_by=func.lower(by_email.c.email), order_by=(by_email.c.src, by_email.c.ord))
        .label("rk"),
    ).cte("by_email")
    return (
        select(*[c for c in ranked_email.c if c.name != "rk"])
        .where(ranked_email.c.rk == 1)
        .cte("final")
    )


def build_audience(conn: Connection, job_id: int, mid: int, spec: JobSpec) -> AudienceCounts:
    """Write the job's recipient ledger and return the counts of each step.

    Two statements: the counts per reason a candidate is left out (one GROUP BY), and the
    ledger insert of the candidates with no reason, deduped and numbered in source order.
    """
    cand = _union(mid, spec.sources).subquery("cand")
    source, reason = _reason(mid, spec, cand, conn.dialect.name)
    flagged = select(*cand.c, reason).select_from(source).cte("flagged")
    grouped = select(flagged.c.reason, func.count()).group_by(flagged.c.reason)
    by_reason = {reason: int(n) for reason, n in conn.execute(grouped)}
    kept = select(*[c for c in flagged.c if c.name != "reason"]).where(flagged.c.reason.is_(None))
    final = _unique(kept.cte("kept"), spec.dedupe_by_email)
    ordered = select(
        literal(job_id).label("job_id"),
        func.row_number().over(order_by=(final.c.src, final.c.ord)).label("seq"),
        final.c.subscriber_key,
        final.c.email,
        final.c.attributes,
        literal("pending").label("status"),
        literal_column("0").label("attempts"),
    )
    conn.execute(
        insert(recipients).from_select(
            ["job_id", "seq", "subscriber_key", "email", "attributes", "status", "attempts"],
            ordered,
        )
    )
    # seq runs 1..n, so its maximum is the count, read off the primary key (sqlite3 has no
    # rowcount for an INSERT that starts WITH).
    targeted = int(
        conn.execute(
            select(func.coalesce(func.max(recipients.c.seq), 0)).where(
                recipients.c.job_id == job_id
            )
        ).scalar_one()
    )
    counts = {k: by_reason.get(k, 0) for k in _REASONS}
    return AudienceCounts(
        candidates=sum(by_reason.values()),
        **counts,
        duplicates=by_reason.get(None, 0) - targeted,
        targeted=targeted,
    )


_REASONS = ("invalid", "excluded", "unsubscribed", "undeliverable")
