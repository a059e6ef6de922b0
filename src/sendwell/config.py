"""One settings object, read from environment variables and an optional file.

Every knob Sendwell has is here, named ``SENDWELL_<NAME>`` in the environment. An optional
``KEY=VALUE`` file (``SENDWELL_CONFIG``) supplies defaults that the environment overrides.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

_PREFIX = "SENDWELL_"
log = logging.getLogger("sendwell")


@dataclass(frozen=True)
class Settings:
    """Runtime settings. Defaults give the local stand-in: SQLite, capture transport."""

    database_url: str = "sqlite:///sendwell.db"
    transport: str = "capture://"
    # Public base URL written into WSDL soap:address and token replies; empty = from the request.
    public_url: str = ""
    secret_key: str = ""
    # Where the generated secret key is kept when secret_key is empty; empty = "sendwell.secret"
    # beside the SQLite database, or in the working directory for PostgreSQL.
    secret_key_file: str = ""
    # Tracking and unsubscribe links: base URL (empty = public_url, else http://127.0.0.1:8080),
    # the List-Unsubscribe mailto domain (empty = message_id_domain), tracking of REST sends.
    tracking_base_url: str = ""
    unsubscribe_mailto_domain: str = ""
    track_rest_sends: bool = True
    workers: int = 1
    # Recipients per chunk: also the most a crashed worker can have in flight (duplicates bound).
    chunk_size: int = 500
    lease_seconds: int = 60
    # Deferred (4xx, connection trouble) recipients: exponential backoff, then failed.
    retry_base_seconds: float = 60.0
    retry_max_interval_seconds: float = 3600.0
    retry_max_age_seconds: float = 3 * 24 * 3600.0
    # Per destination domain: "gmail.com:rate=10,concurrency=2;yahoo.com:rate=5"
    domain_limits: str = ""
    token_ttl_seconds: int = 1200
    max_request_bytes: int = 10 * 1024 * 1024
    message_id_domain: str = "sendwell.local"
    # Marketing Cloud "system time" is UTC-6 without daylight saving; naive REST times use it.
    system_utc_offset_minutes: int = -360
    throttle_period_seconds: int = 3600
    # "documented": Send API errors as HTTP 200 + IsError (as Marketing Cloud's drafts show);
    # "semantic": the same bodies with 400/404/409.
    send_api_error_status: str = "documented"
    # Bounces: VERP envelope senders at this domain (empty = the From address, no VERP); the
    # listener that takes bounces for it ("host:port", empty = none); hard bounces until Held.
    bounce_domain: str = ""
    bounce_listen: str = ""
    bounce_hold_threshold: int = 3
    # DKIM: "domain:selector:/path/key.pem[,...]" (RSA or Ed25519 PEM private keys).
    dkim_keys: str = ""
    demo_username: str = ""
    demo_password: str = ""
    demo_client_id: str = ""
    demo_client_secret: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from the optional config file, then the environment."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, str] = {}
        config_file = env.get(_PREFIX + "CONFIG")
        if config_file:
            values.update(_read_file(Path(config_file)))
        values.update(
            {k[len(_PREFIX) :].lower(): v for k, v in env.items() if k.startswith(_PREFIX)}
        )
        kwargs: dict[str, object] = {}
        for f in fields(cls):
            if f.name == "extra" or f.name not in values:
                continue
            raw = values[f.name]
            kwargs[f.name] = {"int": int, "float": float, "bool": _bool}.get(str(f.type), str)(raw)
        return cls(**kwargs)  # type: ignore[arg-type]

    @property
    def tracking_base(self) -> str:
        """Base URL of tracking, unsubscribe and profile center links (no trailing slash)."""
        return (self.tracking_base_url or self.public_url or "http://127.0.0.1:8080").rstrip("/")

    @property
    def mailto_domain(self) -> str:
        """Domain of the List-Unsubscribe mailto address."""
        return self.unsubscribe_mailto_domain or self.message_id_domain


def _bool(raw: str) -> bool:
    return raw.strip().lower() in ("1", "true", "yes", "on")


_generated: dict[str, str] = {}


def resolve_secret_key(settings: Settings) -> str:
    """``secret_key``, or else the key in the key file, generated (mode 0600) on first use.

    Every process of one installation (server, ``sendwell worker``) reads the same file, so
    signed links stay valid across processes and restarts. An in-memory SQLite database gets a
    key for this process only, as its data lives no longer.
    """
    if settings.secret_key:
        return settings.secret_key
    path = _key_file(settings)
    if path is None:
        return _generated.setdefault("", secrets.token_urlsafe(32))
    key = str(path.resolve())
    if key not in _generated:
        _generated[key] = _read_or_create_key(path)
    return _generated[key]


def _key_file(settings: Settings) -> Path | None:
    if settings.secret_key_file:
        return Path(settings.secret_key_file)
    url = settings.database_url
    if url.startswith("sqlite"):
        database = url.split(":///", 1)[1] if ":///" in url else ""
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            return None
        return Path(database.split("?", 1)[0]).parent / "sendwell.secret"
    return Path("sendwell.secret")


def _read_or_create_key(path: Path) -> str:
    for _ in range(50):
        try:
            text = path.read_text().strip()
        except FileNotFoundError:
            _create_key_file(path)
            continue
        if text:
            if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                log.warning("secret key file %s is readable by others (chmod 600 it)", path)
            return text
        time.sleep(0.01)  # another process created the file a moment ago, writing it now
    raise RuntimeError(f"secret key file {path} stays empty")


def _create_key_file(path: Path) -> None:
    """Create the key file exclusively: when processes race, one key wins and all read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(32) + "\n")
        out.flush()
        os.fsync(out.fileno())
    log.info("generated the secret key in %s", path)


def _read_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if key.upper().startswith(_PREFIX):
            key = key[len(_PREFIX) :]
        out[key.lower()] = value.strip()
    return out
