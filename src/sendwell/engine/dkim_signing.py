"""DKIM signatures for rendered messages whose From domain has a key.

``SENDWELL_DKIM_KEYS`` lists ``domain:selector:/path/to/key.pem`` entries, comma separated; the
keys are RSA or Ed25519 PEM private keys, loaded once with the settings
(``Settings.dkim_keys_by_domain``). A job whose From domain has a key gets a ``DkimSigner`` and
every message it renders is signed (relaxed/relaxed).

The signature (OpenSSL through ``cryptography``: about 0.25 ms for RSA-2048, 0.03 ms for
Ed25519; dkimpy's pure-Python RSA would take 6 ms) is most of the cost, so everything around it
is made for messages Sendwell renders itself: a header block of ``Name: value`` lines whose
signed headers are picked and canonicalized (relaxed) in one pass, the signature header laid
out once per signer, and dkimpy's relaxed body canonicalization only when a body needs it.
What it signs is checked with dkimpy's verifier (tests/integration/test_dkim.py). The key is
parsed once per worker, not once per message.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Mapping

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
_WSP = re.compile(rb"[ \t]+")
_NAME = b"DKIM-Signature"


class DkimSigner:
    """Signs messages for one domain: ``signer(data)`` returns the data with a DKIM-Signature."""

    def __init__(self, key: DkimKey) -> None:
        self.key = key
        domain, selector = key.domain.encode("ascii"), key.selector.encode("ascii")
        self._head = (
            (_NAME + b": v=1; a=" + key.algorithm + b"; c=relaxed/relaxed; d=" + domain)
            + b";\r\n s="
            + selector
            + b"; "
        )

    def __call__(self, message: bytes) -> bytes:
        return self.signature(message) + message

    def signature(self, message: bytes) -> bytes:
        """The ``DKIM-Signature`` header line (CRLF-terminated) for ``message``."""
        end = message.find(b"\r\n\r\n")
        if end < 0:
            raise ValueError("message has no header/body separator")
        headers = _signed_headers(message[: end + 2])
        include = b":".join(name for name, _ in headers)
        body_hash = base64.b64encode(hashlib.sha256(_relaxed_body(message[end + 4 :])).digest())
        # The header as it is sent, up to an empty b= (what is hashed, relaxed), then b=.
        head = (
            self._head
            + b"t="
            + str(int(time.time())).encode("ascii")
            + b";\r\n h="
            + _folded_names(include)
            + b";\r\n bh="
            + body_hash
            + b";\r\n b="
        )
        digest = hashlib.sha256()
        for name, value in headers:
            digest.update(name + b":" + _relaxed_value(value) + b"\r\n")
        digest.update(b"dkim-signature:" + _relaxed_value(head[len(_NAME) + 1 :]))
        signature = base64.b64encode(self._sign(digest.digest()))
        folded = b"\r\n ".join(signature[i : i + 72] for i in range(0, len(signature), 72))
        return head + folded + b"\r\n"

    def _sign(self, digest: bytes) -> bytes:
        key = self.key.key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        return key.sign(digest)  # RFC 8463: Ed25519 over the SHA-256 of the headers


def _signed_headers(block: bytes) -> list[tuple[bytes, bytes]]:
    """The headers to sign from a header block (``Name: value`` lines, folded lines going
    on with a space or tab): lower-cased name and raw value, in the message's order, the last
    of a name when it occurs twice (DKIM takes instances from the bottom)."""
    found: dict[bytes, bytes] = {}
    name, value = b"", b""
    for line in block.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            value += b"\r\n" + line
            continue
        if name in _SIGNED:
            found[name] = value
        head, _, value = line.partition(b":")
        name = head.rstrip().lower()
    if name in _SIGNED:
        found[name] = value
    return list(found.items())


def _relaxed_value(value: bytes) -> bytes:
    """A header value as relaxed canonicalization (RFC 6376 3.4.2) has it: unfolded, runs of
    spaces and tabs made one space, none at either end."""
    if b"\x0b" in value or b"\x0c" in value:  # whitespace bytes.split() knows and WSP is not
        return _WSP.sub(b" ", value.replace(b"\r\n", b"")).strip(b" \t")
    return b" ".join(value.split())


def _folded_names(names: bytes) -> bytes:
    """The h= list, folded after a colon so that no line grows past 76 characters."""
    lines, line = [], b""
    for name in names.split(b":"):
        if line and len(line) + len(name) > 70:
            lines.append(line)
            line = b""
        line += (b":" if line else b"") + name
    lines.append(line)
    return b":\r\n ".join(lines)


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
