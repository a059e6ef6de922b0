"""The values settings hold, read from their text: strict booleans, numbers, listen addresses,
DKIM keys. Each parser raises ``SettingsError`` naming the variable and what it expects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

PREFIX = "SENDWELL_"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingsError(ValueError):
    """A setting has a value Sendwell cannot use, or there is no such setting."""


def variable(name: str) -> str:
    """The environment variable of a settings field."""
    return PREFIX + name.upper()


def parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{variable(name)}={raw!r} is not a boolean: use true or false")


def parse_int(name: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise SettingsError(f"{variable(name)}={raw!r} is not a whole number") from None


def parse_float(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingsError(f"{variable(name)}={raw!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise SettingsError(f"{variable(name)}={raw!r} is not a finite number")
    return value


def listen_address(setting: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:2525`` for IPv6) as a pair."""
    host, _, port = setting.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"listen address {setting!r} is not host:port")
    return host.strip("[]"), int(port)


@dataclass(frozen=True)
class DkimKey:
    """A private key that signs mail From one domain, under one selector."""

    domain: str
    selector: str
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

    @property
    def algorithm(self) -> bytes:
        return b"rsa-sha256" if isinstance(self.key, rsa.RSAPrivateKey) else b"ed25519-sha256"


class DkimConfigError(SettingsError):
    """``SENDWELL_DKIM_KEYS`` names a file that is missing or not a usable private key."""


def load_dkim_keys(setting: str) -> dict[str, DkimKey]:
    """Keys by lower-cased domain from ``domain:selector:/path.pem[,…]`` (RSA or Ed25519)."""
    keys: dict[str, DkimKey] = {}
    for entry in filter(None, (e.strip() for e in setting.split(","))):
        domain, selector, path = (p.strip() for p in [*entry.split(":", 2), "", ""][:3])
        if not (domain and selector and path):
            raise DkimConfigError(f"DKIM key entry {entry!r} is not domain:selector:/path.pem")
        try:
            key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise DkimConfigError(f"DKIM key for {domain} ({path}): {exc}") from exc
        if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
            raise DkimConfigError(f"DKIM key for {domain} is neither RSA nor Ed25519")
        keys[domain.lower()] = DkimKey(domain.lower(), selector, key)
    return keys
