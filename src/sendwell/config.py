"""One settings object, read from environment variables and an optional file.

Every knob Sendwell has is here, named ``SENDWELL_<NAME>`` in the environment. An optional
``KEY=VALUE`` file (``SENDWELL_CONFIG``) supplies defaults that the environment overrides.
Settings are checked when they are made: a bad value names its variable, an unknown
``SENDWELL_*`` variable is refused with the nearest real name, and structured values (domain
limits, DKIM keys, the bounce listener) are parsed once, so a process fails at start, not in a
worker thread later.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path

from sendwell.config_values import (
    PREFIX,
    DkimKey,
    SettingsError,
    listen_address,
    load_dkim_keys,
    parse_bool,
    parse_float,
    parse_int,
    variable,
)
from sendwell.domain.retry import DomainLimit, parse_domain_limits

_PREFIX = PREFIX
log = logging.getLogger("sendwell")
# SENDWELL_* variables that are not settings: the config file's name, the dev script's
# virtualenv, and the test suite's own (SENDWELL_TEST_*).
_NOT_SETTINGS = frozenset({"CONFIG", "VENV", "REQUIRE_ALL_TESTS"})
_NOT_SETTINGS_PREFIX = "TEST_"
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_URL = re.compile(r"https?://[^\s/?#]+(?:/[^\s?#]*)?")
_BROKER = re.compile(r"rediss?://(?:[^\s@/]*@)?[^\s@/:]+(?::\d{1,5})?(?:/\d{1,2})?(?:\?\S*)?")


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
    # The production worker engine: a redis:// URL switches delivery to Celery workers on that
    # broker (``sendwell worker`` starts one; ``serve`` then delivers nothing in-process).
    # Empty: in-process workers polling the database.
    broker_url: str = ""
    # Celery mode: how often a worker sweeps the ledger for work the broker lost (one worker
    # per period does it, whichever takes the broker's lock first).
    sweep_seconds: float = 5.0
    # Threads of the API process's pool, where requests do their database work; 0 = by the
    # database: 8 with SQLite (one writer at a time: more threads only queue on its lock, each
    # retrying on its own, which spreads the answer times), 40 (anyio's default) otherwise.
    api_threads: int = 0
    # Niceness a `sendwell worker` process adds to itself (0-19): on a machine it shares with the
    # API, a higher value lets API requests take the CPU first while a big send delivers.
    worker_nice: int = 0
    # Recipients per chunk: one claim, one task (the duplicates bound is record_batch_size).
    chunk_size: int = 500
    lease_seconds: int = 60
    # Messages an SMTP connection delivers between two ledger writes: a killed worker has sent
    # at most this many per connection that are not recorded (and go again: the duplicates).
    record_batch_size: int = 100
    # Deferred (4xx, connection trouble) recipients: exponential backoff, then failed.
    retry_base_seconds: float = 60.0
    retry_max_interval_seconds: float = 3600.0
    retry_max_age_seconds: float = 3 * 24 * 3600.0
    # Per destination domain: "gmail.com:rate=10,concurrency=2;yahoo.com:rate=5"
    domain_limits: str = ""
    token_ttl_seconds: int = 1200
    # Request body limits, enforced while the body streams in (413, or a SOAP fault): SOAP
    # envelopes; the unauthenticated token routes (a token request is well under 1 KB); every
    # other route (JSON bodies of a few KB).
    max_request_bytes: int = 10 * 1024 * 1024
    max_token_request_bytes: int = 64 * 1024
    max_json_request_bytes: int = 2 * 1024 * 1024
    # Data extension row writes (/hub/v1/dataevents…, /data/v1/async/…): Marketing Cloud's
    # documented 5 MB payload limit.
    max_rows_request_bytes: int = 5 * 1024 * 1024
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
    # Fault injection (the admin API, `sendwell fault`, the pages): off unless switched on; the
    # inbox's link check requests links off this machine only when allowed.
    fault_injection: bool = False
    link_check_network: bool = False
    # AMPscript HTTPGet/HTTPPost/HTTPPost2: the only hosts content may call, comma-separated
    # ("api.example.com,*.example.org,127.0.0.1:8081"; empty = none: the calls are refused),
    # each call's timeout, and the most bytes of a reply that are read.
    ampscript_http_hosts: str = ""
    ampscript_http_timeout_seconds: float = 5.0
    ampscript_http_max_bytes: int = 1024 * 1024
    # AMPscript CloudPagesURL/MicrositeURL: the base URL of the landing pages they link to
    # ("https://pages.example.com": page 42 is /42?name=value); empty = the functions refuse.
    ampscript_pages_url: str = ""
    demo_username: str = ""
    demo_password: str = ""
    demo_client_id: str = ""
    demo_client_secret: str = ""

    def __post_init__(self) -> None:
        _check(self)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from the optional config file, then the environment.

        Raises ``SettingsError`` naming the variable for a value that is not of its type, and
        for a ``SENDWELL_*`` variable that is no setting (with the nearest real name).
        """
        env = dict(os.environ if environ is None else environ)
        values: dict[str, str] = {}
        config_file = env.get(_PREFIX + "CONFIG")
        if config_file:
            try:
                values.update(_read_file(Path(config_file)))
            except OSError as exc:
                raise SettingsError(f"SENDWELL_CONFIG={config_file!r}: {exc.strerror}") from None
        values.update(
            {k[len(_PREFIX) :].lower(): v for k, v in env.items() if k.startswith(_PREFIX)}
        )
        known = {f.name: str(f.type) for f in fields(cls)}
        for name in values:
            if name not in known and not _not_a_setting(name):
                raise SettingsError(_unknown(name, known))
        kwargs: dict[str, object] = {}
        for name, kind in known.items():
            if name in values:
                kwargs[name] = _convert(name, kind, values[name])
        return cls(**kwargs)  # type: ignore[arg-type]

    @cached_property
    def limits_by_domain(self) -> dict[str, DomainLimit]:
        """``domain_limits`` parsed: per destination domain, its rate and concurrency."""
        try:
            return parse_domain_limits(self.domain_limits)
        except ValueError as exc:
            raise SettingsError(f"{variable('domain_limits')}: {exc}") from None

    @cached_property
    def dkim_keys_by_domain(self) -> dict[str, DkimKey]:
        """``dkim_keys`` loaded: the signing key of each From domain."""
        try:
            return load_dkim_keys(self.dkim_keys)
        except SettingsError as exc:
            raise type(exc)(f"{variable('dkim_keys')}: {exc}") from None

    @cached_property
    def bounce_listen_address(self) -> tuple[str, int] | None:
        """``bounce_listen`` as (host, port), or None when no listener is configured."""
        if not self.bounce_listen:
            return None
        try:
            return listen_address(self.bounce_listen)
        except SettingsError as exc:
            raise SettingsError(f"{variable('bounce_listen')}: {exc}") from None

    @property
    def ampscript_http_host_list(self) -> tuple[str, ...]:
        """``ampscript_http_hosts`` as lower-cased entries."""
        return tuple(h.strip().lower() for h in self.ampscript_http_hosts.split(",") if h.strip())

    @property
    def tracking_base(self) -> str:
        """Base URL of tracking, unsubscribe and profile center links (no trailing slash)."""
        return (self.tracking_base_url or self.public_url or "http://127.0.0.1:8080").rstrip("/")

    @property
    def mailto_domain(self) -> str:
        """Domain of the List-Unsubscribe mailto address."""
        return self.unsubscribe_mailto_domain or self.message_id_domain


def _convert(name: str, kind: str, raw: str) -> object:
    if kind == "int":
        return parse_int(name, raw)
    if kind == "float":
        return parse_float(name, raw)
    if kind == "bool":
        return parse_bool(name, raw)
    return raw


def _not_a_setting(name: str) -> bool:
    upper = name.upper()
    return upper in _NOT_SETTINGS or upper.startswith(_NOT_SETTINGS_PREFIX)


def _unknown(name: str, known: dict[str, str]) -> str:
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {variable(near[0])}?" if near else ""
    return f"{variable(name)} is not a Sendwell setting{hint}"


# Bounds of the numeric settings: (minimum, maximum or None).
_BOUNDS: dict[str, tuple[float, float | None]] = {
    "workers": (0, 256),
    "worker_nice": (0, 19),
    "api_threads": (0, 1024),
    "chunk_size": (1, 100_000),
    "lease_seconds": (1, None),
    "sweep_seconds": (0.1, 3600),
    "record_batch_size": (1, 100_000),
    "retry_base_seconds": (0.001, None),
    "retry_max_interval_seconds": (0.001, None),
    "retry_max_age_seconds": (0, None),
    "token_ttl_seconds": (1, None),
    "max_request_bytes": (1024, None),
    "max_rows_request_bytes": (1024, None),
    "system_utc_offset_minutes": (-720, 840),
    "throttle_period_seconds": (1, None),
    "bounce_hold_threshold": (1, None),
    "ampscript_http_timeout_seconds": (0.1, 60),
    "ampscript_http_max_bytes": (1, 50 * 1024 * 1024),
}
_HTTP_HOST = re.compile(r"(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?")


def _check(settings: Settings) -> None:
    """Refuse values no part of Sendwell can use; parse the structured ones now."""
    for name, (low, high) in _BOUNDS.items():
        value = getattr(settings, name)
        if value < low or (high is not None and value > high):
            top = f" and {high:g}" if high is not None else ""
            raise SettingsError(
                f"{variable(name)}={value!r} is out of range: "
                + (f"between {low:g}{top}" if high is not None else f"at least {low:g}")
            )
    if not settings.database_url.startswith(("sqlite", "postgresql")):
        raise SettingsError(
            f"{variable('database_url')}={settings.database_url!r}: use sqlite:///FILE or "
            "postgresql://user:password@host/database"
        )
    if settings.broker_url and not _BROKER.fullmatch(settings.broker_url):
        raise SettingsError(
            f"{variable('broker_url')}: use redis://[:password@]host[:port][/db] "
            "(or rediss:// for TLS)"
        )
    scheme = settings.transport.partition(":")[0].lower()
    if scheme not in ("capture", "smtp", "smtps"):
        raise SettingsError(
            f"{variable('transport')}={settings.transport!r}: use capture://, "
            "smtp://host:port or smtps://host:port"
        )
    for name in ("public_url", "tracking_base_url", "ampscript_pages_url"):
        value = getattr(settings, name)
        if value and not _URL.fullmatch(value):
            raise SettingsError(f"{variable(name)}={value!r} is not an http(s) URL")
    for name in ("message_id_domain", "bounce_domain", "unsubscribe_mailto_domain"):
        value = getattr(settings, name)
        if value and not _DOMAIN.fullmatch(value):
            raise SettingsError(f"{variable(name)}={value!r} is not a domain name")
    if settings.send_api_error_status not in ("documented", "semantic"):
        raise SettingsError(
            f"{variable('send_api_error_status')}={settings.send_api_error_status!r}: "
            "use documented or semantic"
        )
    for host in settings.ampscript_http_host_list:
        if not _HTTP_HOST.fullmatch(host):
            raise SettingsError(
                f"{variable('ampscript_http_hosts')}: {host!r} is not a host name "
                "(host, *.domain or host:port)"
            )
    if settings.bounce_listen and not settings.bounce_domain:
        raise SettingsError(f"{variable('bounce_listen')} needs {variable('bounce_domain')}")
    settings.limits_by_domain  # noqa: B018 (parsed now, so a mistake stops the start)
    settings.dkim_keys_by_domain  # noqa: B018
    settings.bounce_listen_address  # noqa: B018


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


def api_threads(settings: Settings) -> int:
    """The API's thread pool size (``api_threads``, or the database's default)."""
    if settings.api_threads:
        return settings.api_threads
    return 8 if settings.database_url.startswith("sqlite") else 40
