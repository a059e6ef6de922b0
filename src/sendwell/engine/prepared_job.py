"""What a worker prepares once per job before delivering its chunks.

The job's message is compiled once (tracking links rewritten, AMPscript compiled, static lines
encoded), its DKIM signer, VERP return path, tracking tokens and AMPscript environment made
once; per recipient only slots are filled. ``PreparedJobs`` keeps a few per worker.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from sendwell.config import Settings, resolve_secret_key
from sendwell.domain.ampscript import RenderEnvironment
from sendwell.domain.jobs import JobSpec
from sendwell.domain.message import CompiledMessage, MessageSpec, compile_message
from sendwell.domain.personalization import SYSTEM_FIELDS
from sendwell.domain.tracking import (
    TRACKING_FIELDS,
    RecipientTokens,
    TrackedContent,
    track_content,
    tracking_key,
)
from sendwell.domain.verp import ReturnPath
from sendwell.engine.dkim_signing import DkimKeys
from sendwell.services.ampscript_http import AllowedHttp
from sendwell.services.lookups import job_environment
from sendwell.store import jobs
from sendwell.store.tracking import save_links


@dataclass(frozen=True, kw_only=True)
class PreparedJob:
    """A job ready to render: its frozen spec and everything made once from it."""

    job_id: int
    mid: int
    spec: JobSpec
    message: CompiledMessage
    profile_fields: frozenset[str]  # fields to take from subscriber attributes
    environment: RenderEnvironment | None  # AMPscript's lookups and system strings
    # DKIM, when the From domain has a key: the message with header lines put in front of it.
    sign: Callable[[bytes], bytes] | None = None
    return_path: Callable[[int], str] | None = None  # VERP envelope sender per ledger seq
    hold_after: int = 3  # hard bounces until a subscriber is Held
    tracking: RecipientTokens | None = None  # fills %%__t%% and the center URLs per recipient

    def mail_from(self, seq: int, own: str | None = None) -> str:
        """The envelope sender of recipient ``seq`` (0: the job's copies): the VERP address,
        else the message's own From (``own``) or the job's."""
        if self.return_path:
            return self.return_path(seq)
        return own or self.spec.from_address

    def seed_for(self, seq: int) -> str | None:
        """The seed address that gets a copy of recipient ``seq``'s message, if any."""
        seeds = self.spec.seeds
        if seeds is None or not seeds.addresses or seq % seeds.every:
            return None
        return seeds.addresses[(seq // seeds.every - 1) % len(seeds.addresses)]


class PreparedJobs:
    """A small per-worker cache of prepared jobs."""

    def __init__(self, engine: Engine, settings: Settings, size: int = 16) -> None:
        self.engine = engine
        self.settings = settings
        self.size = size
        self._jobs: OrderedDict[tuple[int, int], PreparedJob] = OrderedDict()
        self.dkim = DkimKeys(settings.dkim_keys_by_domain)

    def get(self, job_id: int, revision: int = 1) -> PreparedJob:
        """The job prepared at ``revision`` of its spec (a republished spec is prepared anew)."""
        prepared = self._jobs.get((job_id, revision))
        if prepared is None:
            prepared = self._prepare(job_id)
            self._jobs[(job_id, revision)] = prepared
            while len(self._jobs) > self.size:
                self._jobs.popitem(last=False)
        return prepared

    def _prepare(self, job_id: int) -> PreparedJob:
        settings = self.settings
        with self.engine.connect() as conn:
            job = jobs.job_by_id(conn, job_id)
        spec = jobs.spec_of(job)
        content = tracked_content(spec, settings)
        if content.links:
            with self.engine.begin() as conn:
                save_links(conn, job_id, content.links)
        message = compile_message(message_spec(job_id, spec, settings, content))
        secret = resolve_secret_key(settings)
        return PreparedJob(
            job_id=job_id,
            mid=job.mid,
            spec=spec,
            message=message,
            profile_fields=profile_fields(spec, message),
            environment=job_environment(
                self.engine,
                job_id,
                job.mid,
                spec,
                settings.system_utc_offset_minutes,
                AllowedHttp.from_settings(settings),
                secret,
                settings.ampscript_pages_url,
            )
            if message.scripted
            else None,
            sign=self.dkim.signer_for(spec.from_address),
            return_path=ReturnPath(job_id, secret, settings.bounce_domain)
            if settings.bounce_domain
            else None,
            hold_after=settings.bounce_hold_threshold,
            tracking=RecipientTokens(tracking_key(secret), settings.tracking_base, job.mid, job_id)
            if content.uses_token
            else None,
        )


def profile_fields(spec: JobSpec, message: CompiledMessage) -> frozenset[str]:
    """Personalization fields a send must read from subscriber attributes.

    Data extension rows (and a triggered request's attributes) are looked up first; a field
    they lack comes from the subscriber's profile attributes (All Subscribers), as in
    Marketing Cloud.
    """
    if not spec.reads_profiles:
        return frozenset()
    engine_fields = {f for f in message.fields if f.startswith("__")}  # filled by the engine
    return frozenset(
        message.fields - SYSTEM_FIELDS - TRACKING_FIELDS - spec.row_fields - engine_fields
    )


def tracked_content(spec: JobSpec, settings: Settings) -> TrackedContent:
    """The job's bodies with tracked links and pixel, and the unsubscribe headers it needs."""
    return track_content(
        spec.email.html or None,
        spec.email.text or None,
        base=settings.tracking_base,
        track=spec.tracking,
        commercial=spec.commercial,
        mailto_domain=settings.mailto_domain,
    )


def message_spec(
    job_id: int, spec: JobSpec, settings: Settings, content: TrackedContent | None = None
) -> MessageSpec:
    """The message to compile for a job, from its frozen spec."""
    content = content or tracked_content(spec, settings)
    return MessageSpec(
        from_name=spec.from_name,
        from_address=spec.from_address,
        subject=spec.subject,
        html=content.html,
        text=content.text,
        reply_to=spec.reply_to,
        cc=spec.cc,
        recipient_headers=content.recipient_headers,
        message_id_domain=settings.message_id_domain,
        message_id_token=spec.message_token,
        headers=(("X-Job-ID", str(job_id)), *content.headers),
        job_id=job_id,
    )
