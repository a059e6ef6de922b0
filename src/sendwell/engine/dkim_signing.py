"""DKIM signatures for rendered messages whose From domain has a key.

``SENDWELL_DKIM_KEYS`` lists ``domain:selector:/path/to/key.pem`` entries, comma separated; the
keys are RSA or Ed25519 PEM private keys, loaded once with the settings
(``Settings.dkim_keys_by_domain``). A job whose From domain has a key gets a ``DkimSigner`` and
every message it renders is signed (relaxed/relaxed).

dkimpy does the DKIM part: header selection, canonicalization, the signature header's layout.
The public-key operation is the cost: dkimpy's RSA is pure Python (about 6 ms per RSA-2048
signature) and its Ed25519 needs PyNaCl, so the signature itself is made with ``cryptography``
(OpenSSL: about 0.27 ms for RSA-2048, 0.03 ms for Ed25519) over the digest dkimpy's header
hashing produces. The key is parsed once per worker, not once per message.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Mapping

import dkim
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from dkim.canonicalization import (
    CanonicalizationPolicy,
    correct_empty_body,
    strip_trailing_lines,
)

from sendwell.config_values import DkimKey

# Signed when present, in this order (each once: our messages carry each of them once).
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)
_SIGNED = frozenset(SIGNED_HEADERS)
_POLICY = CanonicalizationPolicy.from_c_value(b"relaxed/relaxed")
_NAME = b"DKIM-Signature"


class DkimSigner:
    """Signs messages for one domain: ``signer(data)`` returns the data with a DKIM-Signature."""

    def __init__(self, key: DkimKey) -> None:
        self.key = key
        self._prefix = [
            (b"v", b"1"),
            (b"a", key.algorithm),
            (b"c", b"relaxed/relaxed"),
            (b"d", key.domain.encode("ascii")),
            (b"s", key.selector.encode("ascii")),
        ]

    def __call__(self, message: bytes) -> bytes:
        return self.signature(message) + message

    def signature(self, message: bytes) -> bytes:
        """The ``DKIM-Signature`` header line (CRLF-terminated) for ``message``."""
        end = message.find(b"\r\n\r\n")
        if end < 0:
            raise ValueError("message has no header/body separator")
        # Only the header block goes through dkimpy's parser: splitting the body into lines
        # there and joining it again would cost more than the canonicalization itself.
        parsed, _ = dkim.rfc822_parse(message[: end + 2] + b"\r\n")
        headers = [h for h in parsed if h[0].lower() in _SIGNED]
        body = message[end + 4 :]
        include = list(dict.fromkeys(name.lower() for name, _ in headers))
        body_hash = base64.b64encode(hashlib.sha256(_relaxed_body(body)).digest())
        fields = [
            *self._prefix,
            (b"t", str(int(time.time())).encode("ascii")),
            (b"h", b" : ".join(include)),
            (b"bh", body_hash),
            (b"b", b"0" * 60),  # as dkimpy does: puts b= on a line of its own when folded
        ]
        # As dkimpy's DomainSigner.gen_header: fold, hash with b= emptied, fill b=, fold again.
        value = dkim.fold(b"; ".join(b"=".join(f) for f in fields), namelen=len(_NAME))
        value = dkim.RE_BTAG.sub(b"\\1", value)
        digest = hashlib.sha256()
        dkim.hash_headers(
            digest,
            _POLICY,
            _POLICY.canonicalize_headers(headers),
            include,
            (_NAME, b" " + value),
            {},
        )
        fields[-1] = (b"b", base64.b64encode(self._sign(digest.digest())))
        value = dkim.fold(b"; ".join(b"=".join(f) for f in fields) + b"\r\n", namelen=len(_NAME))
        return _NAME + b": " + value

    def _sign(self, digest: bytes) -> bytes:
        key = self.key.key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        return key.sign(digest)  # RFC 8463: Ed25519 over the SHA-256 of the headers


def _relaxed_body(body: bytes) -> bytes:
    """dkimpy's relaxed body canonicalization, without its two regex passes when they would
    change nothing (rendered bodies are quoted-printable: no tabs, no trailing spaces)."""
    if b"\t" in body or b"  " in body or b" \r\n" in body:
        return _POLICY.canonicalize_body(body)
    return correct_empty_body(strip_trailing_lines(body))


class DkimKeys:
    """The configured keys of a worker; ``signer_for(from_address)`` picks one per job."""

    def __init__(self, keys: Mapping[str, DkimKey]) -> None:
        self._signers = {d: DkimSigner(k) for d, k in keys.items()}

    def signer_for(self, from_address: str) -> DkimSigner | None:
        """The signer for the From address's domain, or None when it has no key."""
        return self._signers.get(from_address.rpartition("@")[2].lower())

    def __bool__(self) -> bool:
        return bool(self._signers)
