"""Salesforce record ids: the 15-character case-sensitive form and the 18-character case-safe form.

An 18-character id is the 15-character id plus three checksum characters. Each checksum
character encodes, for one block of five characters, which of them are upper-case letters (bit
``i`` set when character ``i`` of the block is one), as an index into ``A``-``Z`` then ``0``-``5``.
Because the suffix records the case, Salesforce reads 18-character ids case-insensitively; a
15-character id is case-sensitive.
"""

from __future__ import annotations

import string

_SUFFIX_ALPHABET = string.ascii_uppercase + "012345"
_ID_CHARS = frozenset(string.ascii_letters + string.digits)
# Each character as one bit, "1" for an upper-case letter: blocks read as binary numbers.
_CASE_BITS = str.maketrans(
    string.ascii_uppercase + string.ascii_lowercase + string.digits, "1" * 26 + "0" * 36
)

# Standard objects' key prefixes (the first three characters of every record id).
KEY_PREFIXES = {"Contact": "003", "Lead": "00Q", "Campaign": "701", "Report": "00O"}
_TYPE_BY_PREFIX = {prefix: name for name, prefix in KEY_PREFIXES.items()}


def _suffix(id15: str) -> str:
    bits = id15.translate(_CASE_BITS)
    # Character i of a block is bit i, so the block's binary number is the block reversed.
    return "".join(_SUFFIX_ALPHABET[int(bits[i : i + 5][::-1], 2)] for i in (0, 5, 10))


def _restore_case(id18: str) -> str:
    """The id with the case of its first 15 characters taken from its checksum suffix."""
    chars = list(id18[:15].lower())
    for block, code in enumerate(id18[15:].upper()):
        bits = _SUFFIX_ALPHABET.find(code)
        if bits < 0:
            raise ValueError(
                _checksum_mismatch(id18, "its last three characters must be A-Z or 0-5")
            )
        for i in range(5):
            if bits & (1 << i):
                pos = block * 5 + i
                if not chars[pos].isalpha():
                    raise ValueError(
                        _checksum_mismatch(
                            id18,
                            f"the checksum marks character {pos + 1} ({id18[pos]!r}) as an "
                            "upper-case letter",
                        )
                    )
                chars[pos] = chars[pos].upper()
    return "".join(chars) + id18[15:].upper()


def _checksum_mismatch(id18: str, detail: str) -> str:
    # Said in the user's terms: a mistyped or cut id, not the bit arithmetic behind it.
    return (
        f"Salesforce id {id18!r}: the checksum of this 18-character id ({id18[15:]!r}, its "
        f"last three characters) does not match its first 15 characters ({detail}); "
        "copy the id again from Salesforce"
    )


def to18(value: str) -> str:
    """The 18-character form of a 15- or 18-character Salesforce id.

    A 15-character id gets its checksum suffix. An 18-character id is read case-insensitively,
    as Salesforce does: the case of its first 15 characters is restored from the suffix.
    Raises ValueError for anything that is not a Salesforce id.
    """
    if not isinstance(value, str):
        raise ValueError(f"Salesforce id must be a string, not {type(value).__name__}")
    if len(value) not in (15, 18):
        raise ValueError(
            f"Salesforce id {value!r} must be 15 or 18 characters long, not {len(value)}"
        )
    if not _ID_CHARS.issuperset(value):
        raise ValueError(f"Salesforce id {value!r} may contain only letters A-Z, a-z and digits")
    if len(value) == 15:
        return value + _suffix(value)
    return _restore_case(value)


def same_id(a: str, b: str) -> bool:
    """Whether two ids (15 or 18 characters, in any mix) name the same record; False if invalid."""
    try:
        return to18(a) == to18(b)
    except ValueError:
        return False


def object_type(id18: str) -> str | None:
    """The standard object (Contact, Lead, Campaign, Report) an id belongs to, by key prefix."""
    return _TYPE_BY_PREFIX.get(id18[:3])
