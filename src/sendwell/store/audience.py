"""Build a send job's audience in the database, set-based, in one pass per step.

union of sources → minus invalid addresses → minus exclusion lists → minus suppressed
subscribers → one row per subscriber key (and per email when asked) → the recipient ledger.
Nothing about the audience is loaded into Python; only the counts come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    and_,
    exists,
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


def _count(conn: Connection, query: Select) -> int:
    return int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())


def build_audience(conn: Connection, job_id: int, mid: int, spec: JobSpec) -> AudienceCounts:
    """Write the job's recipient ledger and return the counts of each step."""
    cand = _union(mid, spec.sources).cte("cand")
    valid = select(*cand.c).where(
        cand.c.email.is_not(None), cand.c.email != "", cand.c.email.like("%_@_%")
    )
    step = valid.cte("valid")
    if spec.exclusions:
        excl = _union(mid, spec.exclusions).cte("excl")
        step = (
            select(*step.c)
            .where(
                ~exists().where(excl.c.subscriber_key == step.c.subscriber_key),
                ~exists().where(func.lower(excl.c.email) == func.lower(step.c.email)),
            )
            .cte("not_excluded")
        )
    after_exclusion = step
    rules = SUPPRESSED.get(spec.classification, SUPPRESSED["Marketing"])
    counts: dict[str, int] = {}
    for name in ("unsubscribed", "undeliverable"):
        statuses = rules[name]
        suppressed = exists().where(
            subscribers.c.mid == mid,
            subscribers.c.subscriber_key == step.c.subscriber_key,
            subscribers.c.status.in_(statuses or ("",)),
        )
        if name == "unsubscribed":  # Salesforce's HasOptedOutOfEmail counts as unsubscribed
            suppressed = or_(suppressed, step.c.opted_out == true())
        counts[name] = _count(conn, select(step.c.ord).where(suppressed))
        step = select(*step.c).where(~suppressed).cte(f"not_{name}")
    partition = [step.c.subscriber_key]
    ranked = select(
        *step.c,
        func.row_number()
        .over(partition_by=partition, order_by=(step.c.src, step.c.ord))
        .label("rk"),
    ).cte("by_key")
    unique = select(*[c for c in ranked.c if c.name != "rk"]).where(ranked.c.rk == 1)
    if spec.dedupe_by_email:
        by_email = unique.cte("unique_key")
        ranked_email = select(
            *by_email.c,
            func.row_number()
            .over(
                partition_by=func.lower(by_email.c.email), order_by=(by_email.c.src, by_email.c.ord)
            )
            .label("rk"),
        ).cte("by_email")
        unique = select(*[c for c in ranked_email.c if c.name != "rk"]).where(
            ranked_email.c.rk == 1
        )
    final = unique.cte("final")
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
    candidates = _count(conn, select(cand.c.ord))
    valid_count = _count(conn, select(valid.subquery().c.ord))
    excluded = valid_count - _count(conn, select(after_exclusion.c.ord))
    targeted = int(
        conn.execute(select(func.count()).where(and_(recipients.c.job_id == job_id))).scalar_one()
    )
    remaining = valid_count - excluded - counts["unsubscribed"] - counts["undeliverable"]
    return AudienceCounts(
        candidates=candidates,
        invalid=candidates - valid_count,
        excluded=excluded,
        unsubscribed=counts["unsubscribed"],
        undeliverable=counts["undeliverable"],
        duplicates=remaining - targeted,
        targeted=targeted,
    )
