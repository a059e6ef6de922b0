"""Sends as the pages, ``GET /sendwell/v1/sends`` and ``sendwell send list`` show them.

Every send job of an account, whatever started it (SOAP, the Send API, triggered and
transactional definitions — the last two are continuous: they take requests for as long as
their definition lives and never complete), with its counts from the job row and its tracking
events, its pace, and for one send its recipients and its delivery over time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from sendwell.domain.clock import utcnow
from sendwell.domain.jobs import TERMINAL, JobStatus
from sendwell.store import dashboard as store
from sendwell.store import jobs

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class SendSummary:
    """A send job with its counts, as one row of the sends list."""

    id: int
    origin: str
    status: str
    continuous: bool
    definition_key: str | None
    definition_name: str | None
    email_name: str | None
    subject: str
    targeted: int
    excluded: int
    suppressed: int  # existing unsubscribes and undeliverables
    sent: int
    deferred: int
    errored: int
    bounced: int
    opens: int
    clicks: int
    unsubscribes: int
    created_at: datetime
    completed_at: datetime | None
    messages_per_second: float | None
    progress: float | None  # 0..1 of the targeted recipients done; None for continuous sends

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def to_json(self) -> dict[str, Any]:
        """camelCase JSON, dates in ISO 8601 (UTC)."""
        view = asdict(self)
        out: dict[str, Any] = {}
        for key, value in view.items():
            head, *rest = key.split("_")
            name = head + "".join(p.title() for p in rest)
            out[name] = value.isoformat() + "Z" if isinstance(value, datetime) else value
        return out


def summary(job: Any, events: dict[str, int]) -> SendSummary:
    """One job row and its event counts as a ``SendSummary``."""
    spec = jobs.spec_of(job)
    finished = (job.sent or 0) + (job.errored or 0)
    end = job.completed_at or (job.modified_at if job.status in TERMINAL else utcnow())
    seconds = (end - job.created_at).total_seconds() if end and job.created_at else 0
    progress = None
    if not job.continuous:
        progress = (
            1.0
            if job.status == JobStatus.COMPLETE
            else (min(1.0, finished / job.targeted) if job.targeted else 0.0)
        )
    bounced = sum(events.get(k, 0) for k in ("HardBounce", "SoftBounce", "OtherBounce"))
    return SendSummary(
        id=job.id,
        origin=str(job.origin),
        status=job.status,
        continuous=bool(job.continuous),
        definition_key=spec.definition.customer_key,
        definition_name=spec.definition.name,
        email_name=spec.email.name,
        subject=spec.subject,
        targeted=job.targeted,
        excluded=job.excluded + job.duplicates + job.invalid,
        suppressed=job.unsubscribed + job.undeliverable,
        sent=job.sent,
        deferred=job.deferred,
        errored=job.errored,
        bounced=bounced,
        opens=events.get("Open", 0),
        clicks=events.get("Click", 0),
        unsubscribes=events.get("Unsubscribe", 0),
        created_at=job.created_at,
        completed_at=job.completed_at,
        messages_per_second=round(job.sent / seconds, 1) if seconds > 0 and job.sent else None,
        progress=progress,
    )


def list_sends(
    conn: Connection,
    mid: int,
    status: str | None = None,
    definition: str | None = None,
    page: int = 1,
    page_size: int = 25,
) -> tuple[int, list[SendSummary]]:
    """The account's sends, newest first: the total and one page."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    total, rows = store.sends_page(
        conn, mid, status, definition, (max(page, 1) - 1) * page_size, page_size
    )
    counts = store.event_counts(conn, [r.id for r in rows])
    return total, [summary(r, counts.get(r.id, {})) for r in rows]


def send_summary(conn: Connection, mid: int, job_id: int | str) -> SendSummary:
    """One send of the account; NotFound for any other."""
    row = jobs.job_row(conn, mid, job_id)
    return summary(row, store.event_counts(conn, [row.id]).get(row.id, {}))


def recipients(
    conn: Connection,
    mid: int,
    job_id: int | str,
    text: str = "",
    status: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[int, list[Any]]:
    """A send's recipients with their outcome and SMTP reply, searched and paged."""
    row = jobs.job_row(conn, mid, job_id)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    return store.recipients_page(
        conn, row.id, text.strip()[:254], status, (max(page, 1) - 1) * page_size, page_size
    )


@dataclass(frozen=True)
class Timeline:
    """Counts per time bucket since the send started: messages sent, opens, clicks."""

    start: datetime
    bucket_seconds: float
    sent: list[int]
    opens: list[int]
    clicks: list[int]


def timeline(conn: Connection, mid: int, job_id: int | str, buckets: int = 40) -> Timeline:
    """The send's delivery and engagement over time, in ``buckets`` equal spans."""
    row = jobs.job_row(conn, mid, job_id)
    sent = store.sent_times(conn, row.id)
    events = store.event_times(conn, row.id)
    start = row.created_at
    moments = sent + [at for _, at in events]
    end = max(moments, default=start)
    span = max((end - start).total_seconds(), 1.0)
    width = span / buckets

    def bucket(at: datetime) -> int:
        return min(buckets - 1, max(0, int((at - start).total_seconds() / width)))

    counts = {"sent": [0] * buckets, "Open": [0] * buckets, "Click": [0] * buckets}
    for at in sent:
        counts["sent"][bucket(at)] += 1
    for kind, at in events:
        counts[kind][bucket(at)] += 1
    return Timeline(start, width, counts["sent"], counts["Open"], counts["Click"])


@dataclass(frozen=True)
class DefinitionView:
    """A definition as the Definitions page shows it: what it sends, to whom, how often."""

    kind: str  # "EmailSendDefinition" | "SendDefinition"
    key: str
    name: str
    email: str
    sources: list[str]
    exclusions: list[str]
    sends: int


def definitions(conn: Connection, mid: int) -> tuple[list[DefinitionView], list[DefinitionView]]:
    """The account's SOAP EmailSendDefinitions and REST Send API definitions."""
    from sendwell.services.registry import KINDS

    found, _ = KINDS["EmailSendDefinition"].retrieve(conn, mid, None, 0, 200)
    esds = []
    for props in found:
        sources, exclusions = [], []
        for item in props.get("SendDefinitionList") or []:
            named = item.get("CustomerKey") or item.get("Name") or _source_name(item)
            listed = (
                exclusions if item.get("SendDefinitionListType") == "ExclusionList" else sources
            )
            listed.append(f"{item.get('DataSourceTypeID') or 'List'} {named}")
        key = props.get("CustomerKey") or ""
        esds.append(
            DefinitionView(
                "EmailSendDefinition",
                key,
                props.get("Name") or key,
                str((props.get("Email") or {}).get("ID") or ""),
                sources,
                exclusions,
                store.sends_page(conn, mid, None, key, 0, 1)[0] if key else 0,
            )
        )
    rest = [
        DefinitionView(
            "SendDefinition",
            row.external_key,
            row.name,
            str((row.body.get("Content") or {}).get("EmailId") or row.body.get("EmailId") or ""),
            [f"{t.get('Type', '')} {t.get('Id', '')}".strip() for t in row.body.get("Targets", [])],
            [
                f"{t.get('Type', '')} {t.get('Id', '')}".strip()
                for t in row.body.get("Exclusions", [])
            ],
            0,
        )
        for row in store.send_api_definitions(conn, mid)
    ]
    return esds, rest


def _source_name(item: dict[str, Any]) -> str:
    for key in ("List", "DataExtension", "SendableDataExtension"):
        ref = item.get(key)
        if isinstance(ref, dict):
            return str(ref.get("CustomerKey") or ref.get("ID") or ref.get("ObjectID") or "")
    return ""
