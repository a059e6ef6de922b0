"""One settings object, read from environment variables and an optional file.

Every knob Sendwell has is here, named ``SENDWELL_<NAME>`` in the environment. An optional
``KEY=VALUE`` file (``SENDWELL_CONFIG``) supplies defaults that the environment overrides.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

_PREFIX = "SENDWELL_"


@dataclass(frozen=True)
class Settings:
    """Runtime settings. Defaults give the local stand-in: SQLite, capture transport."""

    database_url: str = "sqlite:///sendwell.db"
    transport: str = "capture://"
    # Public base URL written into WSDL soap:address and token replies; empty = from the request.
    public_url: str = ""
    secret_key: str = ""
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
            kwargs[f.name] = {"int": int, "float": float}.get(str(f.type), str)(raw)
        return cls(**kwargs)  # type: ignore[arg-type]


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
