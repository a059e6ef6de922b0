"""Starting due instances of the REST Send API (called by the engine's workers).

When an instance's time has come, a worker claims it (``Processing``), resolves its Salesforce
audience into a sync through the account's connector, and creates the engine's send job from
the definition as it is now (``Sending``). A crash in between leaves the claim to lapse.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update

from sendwell.config import Settings, resolve_secret_key
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import REST_NOT_FOUND, Invalid, SendwellError
from sendwell.services import job_specs, send_definitions
from sendwell.services.salesforce import connector_for, parse_audience
from sendwell.services.send_instances import settle
from sendwell.store import jobs
from sendwell.store.leases import claim_first
from sendwell.store.tables import send_instances, syncs


def claim_due(engine: Engine, lease_seconds: int) -> Any:
    """Take one instance whose start time has come (or whose start stalled) for processing."""
    now = utcnow()
    _settle_cancelled_before_start(engine)
    candidates = (
        select(send_instances.c.id, send_instances.c.status)
        .where(
            or_(
                (send_instances.c.status == "Scheduled") & (send_instances.c.scheduled_at <= now),
                (send_instances.c.status == "Processing")
                & (send_instances.c.modified_at < now - timedelta(seconds=lease_seconds)),
            )
        )
        .order_by(send_instances.c.scheduled_at)
    )
    return claim_first(engine, send_instances, candidates, status="Processing", modified_at=now)


def _settle_cancelled_before_start(engine: Engine) -> None:
    """Instances cancelled before their job existed are Canceled now."""
    with engine.begin() as conn:
        for row in conn.execute(
            select(send_instances).where(
                send_instances.c.status == "Cancel Pending", send_instances.c.job_id.is_(None)
            )
        ).all():
            settle(conn, row, None)


def start_instance(engine: Engine, instance: Any, settings: Settings) -> int | None:
    """Resolve the audience into a sync and create the send job; returns the JobId."""
    try:
        # The audience first, committed on its own: a Salesforce connector calls the network,
        # which must not happen while this transaction holds the database.
        sync_id, definition = _sync(engine, instance, settings)
        with engine.begin() as conn:
            spec = job_specs.for_send_api_definition(
                conn, instance.mid, definition, sync_id, settings
            )
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
            job_id = jobs.create_job(
                conn, instance.mid, spec, interaction_object_id=definition.external_key[:36]
            )
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
        connector = connector_for(conn, instance.mid, resolve_secret_key(settings))
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
