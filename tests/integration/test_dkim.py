"""DKIM: a real send to an SMTP server, its messages checked with dkimpy's verifier (no DNS)."""

from __future__ import annotations

import base64
import types
from pathlib import Path

import dkim
import pytest
from aiosmtpd.controller import Controller
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from tests.conftest import make_world
from tests.integration.delivery_support import make_definition
from tests.support import free_port, perform_start, soap, text, wait_for

from sendwell.config import Settings
from sendwell.config_values import DkimConfigError, load_dkim_keys
from sendwell.engine.dkim_signing import SIGNED_HEADERS, DkimKeys

SIGNED = [b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type"]


class RawRecorder:
    """Keeps each message exactly as it arrived: a signature covers bytes, not a parse."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        raw = envelope.original_content or envelope.content
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), raw))
        return "250 2.0.0 OK"


def write_key(path: Path, key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def dns_record(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    """The TXT record a domain would publish for ``key``."""
    if isinstance(key, rsa.RSAPrivateKey):
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b"v=DKIM1; k=ed25519; p=" + base64.b64encode(raw)


def dnsfunc(records: dict[bytes, bytes]):  # type: ignore[no-untyped-def]
    return lambda name, timeout=5: records.get(name)


@pytest.fixture
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def world(sqlite_url, tmp_path, rsa_key):  # type: ignore[no-untyped-def]
    recorder = RawRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        pem = write_key(tmp_path / "example.pem", rsa_key)
        for w in make_world(
            sqlite_url,
            transport=f"smtp://127.0.0.1:{controller.port}?starttls=off",
            dkim_keys=f"example.test:sel1:{pem}",
        ):
            w.smtp = recorder  # type: ignore[attr-defined]
            yield w
    finally:
        controller.stop()


def start(world, sender: str = "") -> None:  # type: ignore[no-untyped-def]
    _, response = soap(world.client, "Perform", perform_start("dkim", sender), user=world.user)
    assert text(response, "p:OverallStatus") == "OK"


def test_messages_from_a_domain_with_a_key_verify(world, rsa_key) -> None:
    make_definition(world.engine, world.mid, ["ann@a.test", "bob@b.test"], key="dkim")
    start(world)
    wait_for(lambda: len(world.smtp.messages) == 2)
    records = {b"sel1._domainkey.example.test.": dns_record(rsa_key)}
    for _, _, raw in world.smtp.messages:
        assert raw.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")
        assert dkim.verify(raw, dnsfunc=dnsfunc(records))
        verifier = dkim.DKIM(raw)
        assert verifier.verify(dnsfunc=dnsfunc(records))
        present = dict.fromkeys(name.lower() for name, _ in dkim.rfc822_parse(raw)[0])
        assert list(verifier.include_headers) == [n for n in present if n in SIGNED_HEADERS]
        assert set(SIGNED) <= set(verifier.include_headers)  # List-Unsubscribe* when present
        assert verifier.domain == b"example.test" and verifier.selector == b"sel1"
        tampered = raw.replace(b"Subject: Hello", b"Subject: Jello")
        assert tampered != raw and not dkim.verify(tampered, dnsfunc=dnsfunc(records))


def test_messages_from_a_domain_without_a_key_are_not_signed(world) -> None:
    make_definition(world.engine, world.mid, ["ann@a.test"], key="dkim")
    start(world, "<SenderProfile><FromAddress>news@unsigned.test</FromAddress></SenderProfile>")
    wait_for(lambda: len(world.smtp.messages) == 1)
    (_, _, raw) = world.smtp.messages[0]
    assert b"DKIM-Signature" not in raw
    assert b"From: Shop <news@unsigned.test>" in raw


def nacl_over_cryptography() -> types.SimpleNamespace:
    """The part of PyNaCl dkimpy's Ed25519 verification uses, made with ``cryptography``."""

    class BadSignatureError(Exception):
        pass

    class VerifyKey:
        def __init__(self, encoded: bytes, encoder: object = None) -> None:
            self.key = ed25519.Ed25519PublicKey.from_public_bytes(base64.b64decode(encoded))

        def verify(self, digest: bytes, signature: bytes) -> None:
            try:
                self.key.verify(signature, digest)
            except InvalidSignature as exc:
                raise BadSignatureError from exc

    return types.SimpleNamespace(
        signing=types.SimpleNamespace(VerifyKey=VerifyKey),
        encoding=types.SimpleNamespace(Base64Encoder=None),
        exceptions=types.SimpleNamespace(
            BadSignatureError=BadSignatureError, ValueError=ValueError
        ),
    )


def test_ed25519_and_list_unsubscribe_headers(tmp_path, monkeypatch) -> None:
    # dkimpy verifies Ed25519 (RFC 8463) with PyNaCl, which Sendwell does not need: stand in.
    monkeypatch.setattr(dkim, "nacl", nacl_over_cryptography(), raising=False)
    key = ed25519.Ed25519PrivateKey.generate()
    setting = f"Mail.Example.test:ed:{write_key(tmp_path / 'ed.pem', key)}"
    signer = DkimKeys(load_dkim_keys(setting)).signer_for("news@mail.example.TEST")
    assert signer is not None
    message = (
        b"From: news@mail.example.test\r\nTo: ann@a.test\r\nSubject: Hi\r\n"
        b"List-Unsubscribe: <https://u.example.test/u/1>\r\n"
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nX-Job-ID: 1\r\n"
        b"\r\nHello  there \r\n\r\n\r\n"
    )
    signed = signer(message)
    assert signed.endswith(message)
    records = {b"ed._domainkey.mail.example.test.": dns_record(key)}
    verifier = dkim.DKIM(signed)
    assert verifier.verify(dnsfunc=dnsfunc(records))
    assert list(verifier.include_headers) == [
        b"from",
        b"to",
        b"subject",
        b"list-unsubscribe",
        b"list-unsubscribe-post",
    ]
    assert not dkim.verify(signed.replace(b"Hello", b"Jello"), dnsfunc=dnsfunc(records))


def test_bad_key_settings_are_reported_when_settings_are_made(tmp_path) -> None:
    assert not DkimKeys(load_dkim_keys(""))
    with pytest.raises(DkimConfigError, match=r"SENDWELL_DKIM_KEYS: .*domain:selector"):
        Settings(dkim_keys="example.test:/x.pem")
    with pytest.raises(DkimConfigError, match=r"SENDWELL_DKIM_KEYS: .*missing\.pem"):
        Settings.from_env({"SENDWELL_DKIM_KEYS": f"example.test:s:{tmp_path / 'missing.pem'}"})


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_signatures_of_awkward_headers_and_bodies_verify(kind: str, monkeypatch) -> None:
    """Folded and repeated headers, runs of spaces and tabs, trailing blank lines: what the
    signer canonicalizes itself must be what a verifier computes."""
    monkeypatch.setattr(dkim, "nacl", nacl_over_cryptography(), raising=False)
    from sendwell.config_values import DkimKey
    from sendwell.engine.dkim_signing import DkimSigner

    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if kind == "rsa"
        else ed25519.Ed25519PrivateKey.generate()
    )
    signer = DkimSigner(DkimKey("example.test", "sel", key))
    records = {b"sel._domainkey.example.test.": dns_record(key)}
    messages = [
        b"From: Shop <shop@example.test>\r\nTo: a@example.test\r\nSubject: Hello\r\n\r\nHi\r\n",
        b"From:  Shop\t <shop@example.test>  \r\nSubject: a very long subject that goes on\r\n"
        b"\tand on\r\n   over three lines  \r\nTo: a@example.test\r\nX-Other: x\r\n"
        b"Subject: the second subject\r\n\r\nbody  with\ttabs \r\nand trailing\r\n\r\n\r\n",
        b"FROM: shop@example.test\r\nto:a@example.test\r\nMIME-Version:   1.0\r\n\r\n",
        b"From: shop@example.test\r\nList-Unsubscribe: <https://x.test/u/"
        + b"t" * 90
        + b">,\r\n <mailto:u@x.test>\r\n\r\n.dot line\r\n",
    ]
    for message in messages:
        signed = signer(message)
        assert dkim.verify(signed, dnsfunc=dnsfunc(records)), signed.decode()
        assert max(len(line) for line in signer.signature(message).split(b"\r\n")) <= 78
