"""Marketing Cloud personalization strings, compiled once per send job and filled per recipient.

A personalization string is ``%%FieldName%%``: the name of a subscriber attribute or data
extension column between two pairs of percent signs. Names are case-insensitive and may contain
letters, digits, underscores, hyphens and spaces (not at either end). A ``%%`` that does not open
a valid reference stays literal text, so ``50%% off`` renders as written.

``compile_personalization`` turns text into a ``Template``: an immutable sequence of literal
strings and ``Slot`` parts. Rendering fills each slot from a mapping keyed by lower-cased field
name; no parsing or regex happens per recipient. A field missing from the mapping renders as
written (``%%Nickname%%``), as Marketing Cloud renders a name that is no attribute, or as the
empty string when the template is compiled with ``as_written=False`` (sends: Sendwell keeps no
account-wide list of attributes, so a field a recipient lacks is an attribute without a value);
``None`` renders as the empty string.

System strings are supplied by the caller in the same mapping, under these keys:

* ``emailaddr``: the recipient's email address (``%%emailaddr%%``).
* ``_subscriberkey``: the subscriber key (``%%_subscriberkey%%``).
* ``jobid``: the send job's ID (``%%jobid%%``).

Other system strings (``COMPUTED_FIELDS``: ``%%xtmonth%%``, ``%%_messagecontext%%``,
``%%member_busname%%`` …) are computed per render by the AMPscript runtime.

Text with AMPscript (``%%[ ... ]%%`` blocks, ``%%=...=%%`` inline expressions, ``<script
runat="server" language="ampscript">``) or a computed system string is compiled by
``sendwell.domain.ampscript`` instead, into the same ``Template`` shape: its slots are filled
from values that the compiled program computes per recipient (``ScriptedTemplate``).
``sendwell.domain.content.compile_template`` chooses between the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

EMAIL_ADDR = "emailaddr"
SUBSCRIBER_KEY = "_subscriberkey"
JOB_ID = "jobid"
SYSTEM_FIELDS: frozenset[str] = frozenset({EMAIL_ADDR, SUBSCRIBER_KEY, JOB_ID})
"""Keys the caller fills itself; they are not subscriber attributes."""
COMPUTED_FIELDS: frozenset[str] = frozenset(
    {"_emailid", "_messagecontext", "emailname_", "replyname", "replyemailaddress"}
    | {"memberid", "member_busname", "member_addr", "member_city", "member_state"}
    | {"member_postalcode", "member_country"}
    | {"view_email_url", "unsub_center_url", "profile_center_url", "subscription_center_url"}
    | {"xtmonth", "xtmonthnumeric", "xtday", "xtdayofweek", "xtyear", "xtshortdate", "xtlongdate"}
)
"""System strings the AMPscript runtime computes per render (send date, message context,
account and email details); text that uses one is compiled as AMPscript."""

# Names start and end with a non-space character so that prose such as "50%% off, 20%% more"
# is not mistaken for a reference to a field called " off, 20". 128 is Marketing Cloud's
# longest attribute name.
FIELD_REF = re.compile(r"%%([A-Za-z0-9_\-](?:[A-Za-z0-9_\- ]{0,126}[A-Za-z0-9_\-])?)%%")
# Cheap pre-check; the AMPscript lexer decides exactly.
_MAY_BE_SCRIPT = re.compile(r"%%\[|%%=|<script\b[^>]*\brunat|\{\{\s*[./]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Slot:
    """A hole in a template, filled per recipient from ``values[key]`` (``missing`` when the
    values have no such key)."""

    key: str
    missing: str = field(default="", compare=False)


TemplatePart = str | Slot


class Template:
    """Literal text with slots; build with ``compile_template`` or from parts directly."""

    __slots__ = ("_fallbacks", "_fields", "_parts", "_pieces", "_slots")

    def __init__(self, parts: Iterable[TemplatePart]) -> None:
        merged: list[TemplatePart] = []
        for part in parts:
            if isinstance(part, str):
                if not part:
                    continue
                if merged and isinstance(merged[-1], str):
                    merged[-1] += part
                    continue
            elif not isinstance(part, Slot):
                raise TypeError(f"template parts are str or Slot, not {type(part).__name__}")
            merged.append(part)
        self._parts: tuple[TemplatePart, ...] = tuple(merged)
        # render() copies _pieces and overwrites the slot positions: one list copy, one
        # dict lookup per slot and one join per recipient.
        self._pieces: list[str] = [p if isinstance(p, str) else "" for p in merged]
        self._slots: tuple[tuple[int, str], ...] = tuple(
            (i, p.key) for i, p in enumerate(merged) if isinstance(p, Slot)
        )
        # Slots that show something when the values lack their key: a second, rarer pass.
        self._fallbacks: tuple[tuple[int, str, str], ...] = tuple(
            (i, p.key, p.missing) for i, p in enumerate(merged) if isinstance(p, Slot) and p.missing
        )
        self._fields = frozenset(key for _, key in self._slots)

    @property
    def parts(self) -> tuple[TemplatePart, ...]:
        """Literal strings and slots in order, adjacent literals merged."""
        return self._parts

    @property
    def fields(self) -> frozenset[str]:
        """Keys of all slots: lower-cased field names for compiled templates."""
        return self._fields

    def render(self, values: Mapping[str, str | None]) -> str:
        """Fill every slot from ``values``: ``None`` renders as "", a missing key as the
        slot's ``missing`` text."""
        pieces = self._pieces.copy()
        get = values.get
        for index, key in self._slots:
            pieces[index] = get(key) or ""
        for index, key, missing in self._fallbacks:
            if key not in values:
                pieces[index] = missing
        return "".join(pieces)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Template):
            return NotImplemented
        return self._parts == other._parts

    def __hash__(self) -> int:
        return hash(self._parts)

    def __repr__(self) -> str:
        return f"Template({list(self._parts)!r})"


def compile_personalization(text: str, as_written: bool = True) -> Template:
    """Split ``text`` into literals and ``%%field%%`` slots (field keys lower-cased); a field
    the values lack renders as written, or as "" when ``as_written`` is false."""
    parts: list[TemplatePart] = []
    pos = 0
    for match in FIELD_REF.finditer(text):
        parts.append(text[pos : match.start()])
        parts.append(Slot(match.group(1).lower(), match.group() if as_written else ""))
        pos = match.end()
    parts.append(text[pos:])
    return Template(parts)


def needs_ampscript(text: str, template: Template) -> bool:
    """Whether ``text`` (compiled as ``template``) has AMPscript or a computed system string."""
    return bool(_MAY_BE_SCRIPT.search(text) or template.fields & COMPUTED_FIELDS)
