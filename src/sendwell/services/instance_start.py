"""Starting due instances of the REST Send API (called by the engine's workers).

When an instance's time has come, a worker claims it (``Processing``), resolves its Salesforce
audience into a sync through the account's connector, and creates the engine's send job from
the definition as it is now (``Sending``). A crash in between leaves the claim to lapse.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update

from sendwell.config import Settings
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import REST_INVALID_VALUE, REST_NOT_FOUND, Invalid, SendwellError
from sendwell.services import send_definitions
from sendwell.services.catalog import find_ref
from sendwell.services.rules import check_content
from sendwell.services.salesforce.connector import connector_for, parse_audience
from sendwell.services.send_definitions import addresses, seed_addresses
from sendwell.services.send_instances import settle
from sendwell.services.sends import resolve_sender
from sendwell.store.tables import send_instances, send_jobs, syncs


def claim_due(engine: Engine, lease_seconds: int) -> Any:
    """Take one instance whose start time has come (or whose start stalled) for processing."""
    now = utcnow()
    stale = now - timedelta(seconds=lease_seconds)
    with engine.begin() as conn:
        candidates = conn.execute(
            select(send_instances.c.id, send_instances.c.status)
            .where(
                or_(
                    (send_instances.c.status == "Scheduled")
                    & (send_instances.c.scheduled_at <= now),
                    (send_instances.c.status == "Processing")
                    & (send_instances.c.modified_at < stale),
                    (send_instances.c.status == "Cancel Pending")
                    & send_instances.c.job_id.is_(None),
                )
            )
            .order_by(send_instances.c.scheduled_at)
            .limit(4)
        ).all()
        for candidate in candidates:
            if candidate.status == "Cancel Pending":
                row = conn.execute(
                    select(send_instances).where(send_instances.c.id == candidate.id)
                ).one()
                settle(conn, row, None)
                continue
            taken = conn.execute(
                update(send_instances)
                .where(
                    send_instances.c.id == candidate.id, send_instances.c.status == candidate.status
                )
                .values(status="Processing", modified_at=now)
            ).rowcount
            if taken:
                return conn.execute(
                    select(send_instances).where(send_instances.c.id == candidate.id)
                ).one()
    return None


def start_instance(engine: Engine, instance: Any, settings: Settings) -> int | None:
    """Resolve the audience into a sync and create the send job; returns the JobId."""
    try:
        # The audience first, committed on its own: a Salesforce connector calls the network,
        # which must not happen while this transaction holds the database.
        sync_id, definition = _sync(engine, instance, settings)
        with engine.begin() as conn:
            spec = rest_spec(conn, instance.mid, definition, sync_id, settings)
            # Only the worker that still holds the instance, and only if nobody cancelled it.
            moved = conn.execute(
                update(send_instances)
                .where(
                    send_instances.c.id == instance.id,
                    send_instances.c.status == "Processing",
                    send_instances.c.cancel_requested.is_(False),
                )
                .values(
                    status="Sending", sync_id=sync_id, started_at=utcnow(), modified_at=utcnow()
                )
            ).rowcount
            if not moved:
                conn.execute(
                    update(send_instances)
                    .where(send_instances.c.id == instance.id, send_instances.c.cancel_requested)
                    .values(
                        status="Canceled",
                        sync_id=sync_id,
                        completed_at=utcnow(),
                        modified_at=utcnow(),
                    )
                )
                return None
            job_id = conn.execute(
                insert(send_jobs).values(
                    mid=instance.mid,
                    definition_id=None,
                    interaction_object_id=definition.external_key[:36],
                    status="Sending",
                    phase="audience",
                    spec=spec,
                    created_at=utcnow(),
                    modified_at=utcnow(),
                )
            ).inserted_primary_key[0]
            conn.execute(
                update(send_instances)
                .where(send_instances.c.id == instance.id)
                .values(job_id=job_id)
            )
            return int(job_id)
    except SendwellError as exc:
        with engine.begin() as conn:
            conn.execute(
                update(send_instances)
                .where(send_instances.c.id == instance.id)
                .values(
                    status="Error", error=exc.message, completed_at=utcnow(), modified_at=utcnow()
                )
            )
        return None


def _sync(engine: Engine, instance: Any, settings: Settings) -> tuple[int, Any]:
    """Resolve the definition's Targets and Exclusions into a new sync; returns its id."""
    with engine.begin() as conn:
        definition = send_definitions.get_row(conn, instance.mid, str(instance.definition_id), True)
        if definition.deleted_at is not None:
            raise Invalid("The definition was deleted before the send started", REST_NOT_FOUND)
        started = utcnow()
        sync_id = conn.execute(
            insert(syncs).values(mid=instance.mid, instance_id=instance.id, created_at=started)
        ).inserted_primary_key[0]
    with engine.begin() as conn:
        connector = connector_for(conn, instance.mid, settings.secret_key)
    counts = {}
    for role, entries in (("target", "Targets"), ("exclusion", "Exclusions")):
        counts[role] = 0
        for entry in definition.body.get(entries) or []:
            with engine.begin() as conn:
                counts[role] += connector.materialize(
                    conn, instance.mid, sync_id, role, parse_audience(entry)
                )
    with engine.begin() as conn:
        conn.execute(
            update(syncs)
            .where(syncs.c.id == sync_id)
            .values(counts=counts, seconds=round((utcnow() - started).total_seconds(), 4))
        )
    return int(sync_id), definition


def rest_spec(
    conn: Connection, mid: int, definition: Any, sync_id: int, settings: Settings
) -> dict[str, Any]:
    """The engine's job spec for a REST definition, read when the instance starts."""
    body = definition.body
    email = find_ref(conn, mid, "Email", {"ID": int(body["EmailId"])})
    if email is None:
        raise Invalid(
            f"Salesforce Send Unknown Email: no email with Id {body['EmailId']}", REST_INVALID_VALUE
        )
    classification = find_ref(
        conn, mid, "SendClassification", {"ID": int(body["SendClassificationId"])}
    )
    if classification is None:
        raise Invalid("The definition's send classification no longer exists", REST_INVALID_VALUE)
    override = body.get("OverrideSenderProfileId")
    profile_ref = {"ID": int(override)} if override else classification.props.get("SenderProfile")
    from_name, from_address, reply_to = resolve_sender(conn, mid, profile_ref, {})
    html, text = email.props.get("HTMLBody"), email.props.get("TextBody")
    subject = body.get("EmailSubject") or email.props.get("Subject") or ""
    parts = {"Subject": subject, "HTMLBody": html, "TextBody": text}
    check_content(parts, *parts, code=REST_INVALID_VALUE)
    if not body.get("IsMultipartMIME", True) and html:
        text = None
    return {
        "message_token": secrets.token_hex(8),
        "definition": {
            "ID": definition.id,
            "ObjectID": None,
            "CustomerKey": definition.external_key,
            "Name": definition.name,
        },
        "email": {
            "ID": email.id,
            "Name": email.props.get("Name"),
            "HTMLBody": html,
            "TextBody": text,
        },
        "subject": body.get("EmailSubject") or email.props.get("Subject") or "",
        "from_name": from_name,
        "from_address": from_address,
        "reply_to": reply_to,
        "classification": classification.props.get("SendClassificationType", "Marketing"),
        "sources": [{"kind": "sync", "sync_id": sync_id, "role": "target"}],
        "exclusions": [{"kind": "sync", "sync_id": sync_id, "role": "exclusion"}]
        if body.get("Exclusions")
        else [],
        "dedupe_by_email": bool(body.get("DedupeByEmail")),
        "send_logging": bool(body.get("UseSendLogging")),
        "seeds": _seeds(conn, mid, body.get("SeedList")),
        "cc": addresses(body.get("CC")),
        "bcc": addresses(body.get("Bcc")),
        "throttle": throttle_spec(body.get("SendThrottling"), settings),
        "tracking": settings.track_rest_sends,
    }


def _seeds(conn: Connection, mid: int, seed: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not seed or not seed.get("IsSeedListSend"):
        return None
    return {
        "every": int(seed.get("SeedListOccurance") or 1),
        "addresses": seed_addresses(conn, mid),
    }


def throttle_spec(given: Mapping[str, Any] | None, settings: Settings) -> dict[str, Any] | None:
    """SendThrottling as the engine reads it: limit per period and a daily window (system time)."""
    if not given:
        return None

    def time_of_day(value: Any) -> str | None:
        if not value:
            return None
        text = str(value).strip()
        try:
            return time.fromisoformat(text).isoformat()
        except ValueError:
            # A full date and time: its time of day, read as system time like the window.
            return datetime.fromisoformat(text.replace("Z", "+00:00")).time().isoformat()

    return {
        "limit": given.get("ThrottleLimit"),
        "period_seconds": settings.throttle_period_seconds,
        "opens": time_of_day(given.get("ThrottleOpens")),
        "closes": time_of_day(given.get("ThrottleCloses")),
        "utc_offset_minutes": settings.system_utc_offset_minutes,
    }
