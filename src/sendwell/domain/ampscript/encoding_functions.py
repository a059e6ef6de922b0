"""Encoding, hashing and encryption: ``URLEncode``, ``Base64Encode``/``Base64Decode``,
``MD5``, ``SHA1``, ``SHA256``, ``SHA512``, ``GUID``, ``EncryptSymmetric``/``DecryptSymmetric``.

Hashes are lower-case hex of the text in a character set (UTF-8 unless named). Symmetric
encryption takes a password, salt and IV either as values or as the external keys of the
account's key store (``RenderEnvironment.keys``); salt and IV are hex strings, the result is
Base64, as Marketing Cloud documents. What it leaves open is inferred (and Marketing Cloud says
its output is only meant to be read back by these functions): with a salt, the key is
PBKDF2-HMAC-SHA1 of the password and salt, 1,000 iterations (.NET's ``Rfc2898DeriveBytes``
default); without one, the password's bytes are the key; without an IV, the password's bytes
(cut or zero-padded to the block) are the IV.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable, Sequence

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.decrepit.ciphers.modes import CFB, OFB
from cryptography.hazmat.primitives import padding as paddings
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from sendwell.domain.ampscript.content_functions import embedded_text
from sendwell.domain.ampscript.errors import FunctionError
from sendwell.domain.ampscript.registry import function
from sendwell.domain.ampscript.runtime import Context
from sendwell.domain.ampscript.string_functions import charset
from sendwell.domain.ampscript.values import Value, boolean, text

# --- URLEncode ---------------------------------------------------------------------------

_URL_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!*()")


def _url_encode_all(value: str) -> str:
    """.NET's ``HttpUtility.UrlEncode``: "+" for a space, lower-case %xx for all but
    letters, digits and ``-_.!*()``."""
    out = []
    for byte in value.encode("utf-8"):
        if byte in _URL_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02x}")
    return "".join(out)


@function("URLEncode", 1, 3)
def _url_encode(ctx: Context, args: Sequence[Value]) -> Value:
    """URLEncode(url, [encode all characters], [encode the whole string]): by default only
    the spaces of the query string (after "?") become %20 (ampscript-core's URLENCODE and its
    corpus, Function/http.txt); AMPscript inside the URL runs first."""
    url = text(args[0])
    if not url.strip():
        return url
    url = embedded_text(ctx, url, "the URL")
    encode_all = len(args) > 1 and boolean(args[1])
    whole = len(args) > 2 and boolean(args[2])
    prefix, rest = "", url
    if not whole:
        query = url.find("?")
        prefix, rest = (url[: query + 1], url[query + 1 :]) if query > 0 else (url, "")
    return prefix + (_url_encode_all(rest) if encode_all else rest.replace(" ", "%20"))


# --- Base64 and hashes -------------------------------------------------------------------


def _bytes(value: Value, charset_arg: Value | None) -> bytes:
    encoding = charset(charset_arg)
    try:
        return text(value).encode(encoding)
    except UnicodeEncodeError:
        raise FunctionError(f"the text cannot be written in {encoding}") from None


@function("Base64Encode", 1, 2)
def _base64_encode(ctx: Context, args: Sequence[Value]) -> Value:
    return base64.b64encode(_bytes(args[0], args[1] if len(args) > 1 else None)).decode()


@function("Base64Decode", 1, 3)
def _base64_decode(ctx: Context, args: Sequence[Value]) -> Value:
    encoding = charset(args[1] if len(args) > 1 else None)
    try:
        return base64.b64decode(text(args[0]).strip(), validate=True).decode(encoding)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        if len(args) > 2 and not boolean(args[2]):
            return ""
        raise FunctionError("the text is not Base64 of text in that character set") from None


def _hash(algorithm: Callable[[bytes], object]) -> Callable[[Context, Sequence[Value]], Value]:
    def run(ctx: Context, args: Sequence[Value]) -> Value:
        return algorithm(_bytes(args[0], args[1] if len(args) > 1 else None)).hexdigest()  # type: ignore[attr-defined]

    return run


for _name, _algorithm in (
    ("MD5", hashlib.md5),
    ("SHA1", hashlib.sha1),
    ("SHA256", hashlib.sha256),
    ("SHA512", hashlib.sha512),
):
    function(_name, 1, 2)(_hash(_algorithm))


@function("GUID", 0)
def _guid(ctx: Context, args: Sequence[Value]) -> Value:
    return str(uuid.uuid4())


# --- Symmetric encryption ----------------------------------------------------------------

_ALGORITHMS = {"aes": (algorithms.AES, 32, 16), "tripledes": (TripleDES, 24, 8)}
_ALGORITHMS["des"] = (TripleDES, 8, 8)  # single DES: TripleDES with the key three times
_MODES = {"cbc": modes.CBC, "ecb": modes.ECB, "ofb": OFB, "cfb": CFB}
_PADDINGS = {"pkcs7": paddings.PKCS7, "ansix923": paddings.ANSIX923, "iso10126": paddings.PKCS7}


def _secret(ctx: Context, key_name: Value, given: Value, what: str) -> str:
    name = text(key_name).strip()
    if not name:
        return text(given)
    store = ctx.env.keys
    found = store.key(name) if store is not None else None
    if found is None:
        raise FunctionError(f"the key store has no {what} key {name!r}")
    return found


def _hex(value: str, what: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise FunctionError(f"the {what} must be a hex string") from None


def _cipher(ctx: Context, args: Sequence[Value]) -> tuple[Cipher, str, int]:  # type: ignore[type-arg]
    name, *options = [p.strip().lower() for p in text(args[1]).split(";")]
    if name not in _ALGORITHMS:
        raise FunctionError(f"the algorithm must be aes, des or tripledes, not {name!r}")
    settings = dict(o.partition("=")[::2] for o in options if o)
    kind, key_size, block = _ALGORITHMS[name]
    password = _secret(ctx, args[2], args[3] if len(args) > 3 else "", "password")
    if not password:
        raise FunctionError("the password is empty")
    salt = _hex(_secret(ctx, args[4], args[5], "salt"), "salt") if len(args) > 5 else b""
    iv_text = _secret(ctx, args[6], args[7], "IV") if len(args) > 7 else ""
    if salt:
        key = hashlib.pbkdf2_hmac("sha1", password.encode(), salt, 1000, key_size)
    else:
        key = password.encode()
    if name == "des":
        key = key * 3 if len(key) == 8 else key
    iv = _hex(iv_text, "IV") if iv_text else password.encode()[:block].ljust(block, b"\0")
    mode = settings.get("mode", "cbc")
    if mode not in _MODES:
        raise FunctionError(f"the mode must be cbc, ecb, ofb or cfb, not {mode!r}")
    try:
        chosen = _MODES[mode]() if mode == "ecb" else _MODES[mode](iv[:block].ljust(block, b"\0"))
        return Cipher(kind(key), chosen), settings.get("padding", "pkcs7"), block * 8  # type: ignore[arg-type]
    except ValueError as exc:
        raise FunctionError(f"the key does not fit {name}: {exc}") from None


def _pad(padding: str, bits: int, data: bytes, encrypting: bool) -> bytes:
    if padding in ("none", ""):
        return data
    if padding == "zeros":
        if encrypting:
            return data + b"\0" * (-len(data) % (bits // 8))
        return data.rstrip(b"\0")
    if padding not in _PADDINGS:
        raise FunctionError("the padding must be pkcs7, zeros, ansix923, iso10126 or none")
    scheme = _PADDINGS[padding](bits)
    worker = scheme.padder() if encrypting else scheme.unpadder()
    return worker.update(data) + worker.finalize()


@function("EncryptSymmetric", 4, 8)
def _encrypt_symmetric(ctx: Context, args: Sequence[Value]) -> Value:
    cipher, padding, bits = _cipher(ctx, args)
    data = _pad(padding, bits, text(args[0]).encode("utf-8"), True)
    encryptor = cipher.encryptor()
    try:
        sealed = encryptor.update(data) + encryptor.finalize()
    except ValueError:
        raise FunctionError("the text does not fill whole blocks: choose a padding") from None
    return base64.b64encode(sealed).decode()


@function("DecryptSymmetric", 4, 8)
def _decrypt_symmetric(ctx: Context, args: Sequence[Value]) -> Value:
    cipher, padding, bits = _cipher(ctx, args)
    try:
        sealed = base64.b64decode(text(args[0]), validate=True)
        decryptor = cipher.decryptor()
        opened = _pad(padding, bits, decryptor.update(sealed) + decryptor.finalize(), False)
        return opened.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise FunctionError("the data cannot be decrypted with these keys") from None
