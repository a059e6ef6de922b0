"""The accounts' key store (Marketing Cloud's Key Management) for AMPscript's
``EncryptSymmetric`` and ``DecryptSymmetric``: passwords, salts and IVs by external key.

Values are sealed with the installation's secret key (Fernet, AES-128-CBC with HMAC) and
opened only for the renderer (``AccountKeys``); nothing lists them in clear. Salts and IVs are
hex strings, as the functions read them. ``sendwell key add`` adds one.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, delete, insert, select

from sendwell.domain import errors as e
from sendwell.domain.clock import utcnow
from sendwell.domain.errors import Invalid, NotFound
from sendwell.store.tables import account_keys, accounts

KINDS = ("password", "salt", "iv")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_EXTERNAL_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,200}")


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))


def add_key(
    engine: Engine, mid: int, external_key: str, kind: str, value: str, secret_key: str
) -> None:
    """Store (or replace) the account's key ``external_key``; raises Invalid, NotFound."""
    if not _EXTERNAL_KEY.fullmatch(external_key):
        raise Invalid(
            "An external key is 1 to 200 letters, digits, '.', '_' or '-'.", e.ERR_GENERAL
        )
    if kind not in KINDS:
        raise Invalid(f"A key is a password, salt or iv, not {kind!r}.", e.ERR_GENERAL)
    if not value:
        raise Invalid("The key's value is empty.", e.ERR_GENERAL)
    if kind != "password" and not _HEX.fullmatch(value):
        raise Invalid(f"A {kind} is a hex string (two digits a byte).", e.ERR_GENERAL)
    if not secret_key:
        raise Invalid("Sealing keys needs Sendwell's secret key.", e.ERR_GENERAL)
    sealed = _fernet(secret_key).encrypt(value.encode()).decode()
    with engine.begin() as conn:
        if conn.execute(select(accounts.c.mid).where(accounts.c.mid == mid)).first() is None:
            raise NotFound(f"No account has MID {mid}.", e.ERR_NOT_FOUND)
        conn.execute(
            delete(account_keys).where(
                account_keys.c.mid == mid, account_keys.c.customer_key == external_key
            )
        )
        conn.execute(
            insert(account_keys).values(
                mid=mid,
                customer_key=external_key,
                kind=kind,
                sealed_value=sealed,
                created_at=utcnow(),
            )
        )


class AccountKeys:
    """An account's keys, opened for the renderer; each read once per instance (a job)."""

    def __init__(self, engine: Engine, mid: int, secret_key: str) -> None:
        self.engine = engine
        self.mid = mid
        self._fernet = _fernet(secret_key)
        self._opened: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def key(self, external_key: str) -> str | None:
        """The key's value in clear, or None when the account has no such key (or it was
        sealed with another secret)."""
        with self._lock:
            if external_key not in self._opened:
                with self.engine.connect() as conn:
                    sealed = conn.execute(
                        select(account_keys.c.sealed_value).where(
                            account_keys.c.mid == self.mid,
                            account_keys.c.customer_key == external_key,
                        )
                    ).scalar()
                try:
                    opened = self._fernet.decrypt(sealed.encode()).decode() if sealed else None
                except InvalidToken:
                    opened = None
                self._opened[external_key] = opened
            return self._opened[external_key]
