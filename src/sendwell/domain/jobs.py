"""The send job's contract: what to send to whom (``JobSpec``), and the job's status machine.

Every way a send starts (SOAP ``Perform start`` on an EmailSendDefinition, the REST Send API,
and later triggered and transactional sends) builds one ``JobSpec``; the engine reads nothing
else. The spec is frozen at start, stored as JSON with the job, and read back with
``JobSpec.from_json``, which also reads the dict specs stored before this type existed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Any

from sendwell.domain.errors import WrongState
from sendwell.domain.throttle import Throttle

# --- the status machine ------------------------------------------------------------------


class JobStatus(StrEnum):
    """A job's status, as ``Send.Status`` shows it."""

    SCHEDULED = "Scheduled"  # waits for its scheduled_at (SOAP Schedule)
    SENDING = "Sending"
    PAUSED = "Paused"
    COMPLETE = "Complete"
    CANCELED = "Canceled"
    ERROR = "Error"


TERMINAL = frozenset({JobStatus.COMPLETE, JobStatus.CANCELED, JobStatus.ERROR})


class JobPhase(StrEnum):
    """Where a ``Sending`` job is in the pipeline."""

    AUDIENCE = "audience"  # waiting for a worker to build its ledger
    BUILDING = "building"  # a worker holds it (the claim lapses if the worker dies)
    DELIVERING = "delivering"  # the ledger is cut into chunks, workers deliver them
    DONE = "done"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[JobStatus]
    target: JobStatus
    past: str  # "Send 7 is Complete; it cannot be <past>."


# Pause stops workers from taking chunks (one in flight finishes); resume goes on where it
# stopped; cancel ends the job for good. complete and fail are the engine's own moves.
TRANSITIONS = {
    "pause": Transition(frozenset({JobStatus.SENDING}), JobStatus.PAUSED, "paused"),
    "resume": Transition(frozenset({JobStatus.PAUSED}), JobStatus.SENDING, "resumed"),
    "cancel": Transition(
        frozenset({JobStatus.SCHEDULED, JobStatus.SENDING, JobStatus.PAUSED}),
        JobStatus.CANCELED,
        "canceled",
    ),
    "start": Transition(frozenset({JobStatus.SCHEDULED}), JobStatus.SENDING, "started"),
    "complete": Transition(frozenset({JobStatus.SENDING}), JobStatus.COMPLETE, "completed"),
    "fail": Transition(frozenset({JobStatus.SENDING, JobStatus.PAUSED}), JobStatus.ERROR, "failed"),
}
CONTROL_ACTIONS = ("pause", "resume", "cancel")  # what a caller may ask for


def transition(job_id: int, status: str, action: str) -> Transition:
    """The move ``action`` makes from ``status``; WrongState when it is not allowed."""
    move = TRANSITIONS.get(action)
    if move is None:
        raise WrongState(f"Unknown action {action!r}; use pause, resume or cancel.")
    if status not in move.sources:
        raise WrongState(f"Send {job_id} is {status}; it cannot be {move.past}.")
    return move


# --- what a job sends ---------------------------------------------------------------------


class JobOrigin(StrEnum):
    """What started a job: the kind of definition behind it."""

    EMAIL_SEND_DEFINITION = "EmailSendDefinition"  # SOAP Perform start / Schedule
    SEND_DEFINITION = "SendDefinition"  # the REST Send API
    TRIGGERED_SEND_DEFINITION = (
        "TriggeredSendDefinition"  # SOAP TriggeredSend, messageDefinitionSends
    )
    TRANSACTIONAL_EMAIL = "TransactionalEmail"  # the Transactional Messaging API


# Triggered and transactional jobs take requests one at a time for as long as their definition
# lives; a person waits for each message, so their chunks go before bulk sends' chunks.
CONTINUOUS_ORIGINS = frozenset({JobOrigin.TRIGGERED_SEND_DEFINITION, JobOrigin.TRANSACTIONAL_EMAIL})
PRIORITY_CONTINUOUS = 10
PRIORITY_BULK = 0


@dataclass(frozen=True)
class DefinitionRef:
    """The definition a job was started from, as ``Send.EmailSendDefinition`` shows it."""

    id: int
    customer_key: str | None
    name: str | None
    object_id: str | None = None


@dataclass(frozen=True)
class EmailContent:
    """The email's parts as they were when the job started."""

    id: int
    name: str | None
    html: str | None
    text: str | None

    @property
    def is_multipart(self) -> bool:
        return bool(self.html and self.text)


@dataclass(frozen=True)
class ListSource:
    """Active members of a list, optionally narrowed by a filter (a FilterDefinition)."""

    list_id: int
    filter: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class DataExtensionSource:
    """Rows of a sendable data extension; ``fields`` maps its field names to their types."""

    de_id: int
    fields: Mapping[str, str]
    filter: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class SyncSource:
    """The members a Salesforce audience resolved to (a REST instance's sync), by role."""

    sync_id: int
    role: str  # "target" | "exclusion"


AudienceSource = ListSource | DataExtensionSource | SyncSource


@dataclass(frozen=True)
class SeedList:
    """One of ``addresses`` gets a copy of every ``every``-th message."""

    every: int
    addresses: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """Everything the engine needs to send a job, resolved and frozen at start."""

    origin: JobOrigin = JobOrigin.EMAIL_SEND_DEFINITION
    definition: DefinitionRef
    email: EmailContent
    subject: str
    from_name: str
    from_address: str
    reply_to: str | None = None
    classification: str = "Marketing"  # SendClassificationType: Marketing | Operational
    sources: tuple[AudienceSource, ...] = ()  # none for a continuous job: requests add recipients
    exclusions: tuple[AudienceSource, ...] = ()
    dedupe_by_email: bool = False
    send_logging: bool = True
    tracking: bool = True  # opens and clicks
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    seeds: SeedList | None = None
    throttle: Throttle | None = None
    # Fixed per job: a recipient's Message-ID is the same on every delivery attempt.
    message_token: str = ""

    @property
    def commercial(self) -> bool:
        """Marketing sends honour unsubscribes and carry List-Unsubscribe; others do not."""
        return self.classification == "Marketing"

    @property
    def continuous(self) -> bool:
        """Recipients come with requests (triggered, transactional), not from an audience."""
        return self.origin in CONTINUOUS_ORIGINS

    @property
    def priority(self) -> int:
        return PRIORITY_CONTINUOUS if self.continuous else PRIORITY_BULK

    @property
    def copies(self) -> tuple[str, ...]:
        """CC and BCC addresses that get a copy of every message."""
        return self.cc + self.bcc

    @property
    def row_fields(self) -> frozenset[str]:
        """Lower-cased field names the source data extensions' rows carry."""
        return frozenset(
            name.lower()
            for source in self.sources
            if isinstance(source, DataExtensionSource)
            for name in source.fields
        )

    @property
    def reads_profiles(self) -> bool:
        """Whether fields a recipient's row lacks come from its subscriber profile: sends from
        data extensions and continuous sends (whose requests carry some attributes)."""
        return self.continuous or any(isinstance(s, DataExtensionSource) for s in self.sources)

    def to_json(self) -> dict[str, Any]:
        """The spec as stored with the job."""
        return {
            "origin": self.origin,
            "definition": {
                "ID": self.definition.id,
                "ObjectID": self.definition.object_id,
                "CustomerKey": self.definition.customer_key,
                "Name": self.definition.name,
            },
            "email": {
                "ID": self.email.id,
                "Name": self.email.name,
                "HTMLBody": self.email.html,
                "TextBody": self.email.text,
            },
            "subject": self.subject,
            "from_name": self.from_name,
            "from_address": self.from_address,
            "reply_to": self.reply_to,
            "classification": self.classification,
            "sources": [_source_json(s) for s in self.sources],
            "exclusions": [_source_json(s) for s in self.exclusions],
            "dedupe_by_email": self.dedupe_by_email,
            "send_logging": self.send_logging,
            "tracking": self.tracking,
            "cc": list(self.cc),
            "bcc": list(self.bcc),
            "seeds": None
            if self.seeds is None
            else {"every": self.seeds.every, "addresses": list(self.seeds.addresses)},
            "throttle": None if self.throttle is None else _throttle_json(self.throttle),
            "message_token": self.message_token,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobSpec:
        """A stored spec, including the dict specs of jobs started before this type."""
        definition = data.get("definition") or {}
        email = data.get("email") or {}
        seeds = data.get("seeds")
        throttle = data.get("throttle")
        # Specs stored before origins were recorded: REST Send API jobs have no ObjectID.
        origin = data.get("origin") or (
            JobOrigin.EMAIL_SEND_DEFINITION
            if definition.get("ObjectID")
            else JobOrigin.SEND_DEFINITION
        )
        return cls(
            origin=JobOrigin(origin),
            definition=DefinitionRef(
                id=int(definition.get("ID") or 0),
                customer_key=definition.get("CustomerKey"),
                name=definition.get("Name"),
                object_id=definition.get("ObjectID"),
            ),
            email=EmailContent(
                id=int(email.get("ID") or 0),
                name=email.get("Name"),
                html=email.get("HTMLBody"),
                text=email.get("TextBody"),
            ),
            subject=data.get("subject") or "",
            from_name=data.get("from_name") or "",
            from_address=data["from_address"],
            reply_to=data.get("reply_to") or None,
            classification=data.get("classification") or "Marketing",
            sources=tuple(_source(s) for s in data.get("sources") or ()),
            exclusions=tuple(_source(s) for s in data.get("exclusions") or ()),
            dedupe_by_email=bool(data.get("dedupe_by_email")),
            send_logging=bool(data.get("send_logging", True)),
            tracking=bool(data.get("tracking")),
            cc=addresses(data.get("cc")),
            bcc=addresses(data.get("bcc")),
            seeds=SeedList(int(seeds.get("every") or 1), tuple(seeds.get("addresses") or ()))
            if seeds
            else None,
            throttle=_throttle(throttle) if throttle else None,
            message_token=data.get("message_token") or "",
        )


def addresses(value: object) -> tuple[str, ...]:
    """Addresses from a list, or from one text of them separated by commas or semicolons."""
    if not value:
        return ()
    if isinstance(value, list | tuple):
        items: Iterable[object] = value
    else:
        items = str(value).replace(";", ",").split(",")
    return tuple(str(a).strip() for a in items if a is not None and str(a).strip())


def _source_json(source: AudienceSource) -> dict[str, Any]:
    if isinstance(source, ListSource):
        return {"kind": "list", "list_id": source.list_id, "filter": source.filter}
    if isinstance(source, DataExtensionSource):
        return {
            "kind": "de",
            "de_id": source.de_id,
            "fields": dict(source.fields),
            "filter": source.filter,
        }
    return {"kind": "sync", "sync_id": source.sync_id, "role": source.role}


def _source(data: Mapping[str, Any]) -> AudienceSource:
    kind = data.get("kind")
    if kind == "list":
        return ListSource(int(data["list_id"]), data.get("filter"))
    if kind == "de":
        return DataExtensionSource(int(data["de_id"]), data.get("fields") or {}, data.get("filter"))
    if kind == "sync":
        return SyncSource(int(data["sync_id"]), data.get("role") or "target")
    raise ValueError(f"unknown audience source kind {kind!r}")


def _throttle_json(throttle: Throttle) -> dict[str, Any]:
    return {
        "limit": throttle.limit,
        "period_seconds": throttle.period_seconds,
        "opens": throttle.opens.isoformat() if throttle.opens else None,
        "closes": throttle.closes.isoformat() if throttle.closes else None,
        "utc_offset_minutes": throttle.utc_offset_minutes,
    }


def _throttle(data: Mapping[str, Any]) -> Throttle:
    limit = data.get("limit")
    return Throttle(
        limit=int(limit) if limit else None,
        period_seconds=int(data.get("period_seconds") or 3600),
        opens=time.fromisoformat(data["opens"]) if data.get("opens") else None,
        closes=time.fromisoformat(data["closes"]) if data.get("closes") else None,
        utc_offset_minutes=int(data.get("utc_offset_minutes") or 0),
    )
