"""What a compiled program runs against: one ``Context`` per recipient, one environment per job.

The ``RenderEnvironment`` holds what is the same for every recipient of a job (or a preview):
where lookups read data extensions, the clock behind ``Now()``, system strings such as
``member_busname`` and the message context. A ``Context`` holds one recipient's attribute
values and the variables that the parts of one message share: Marketing Cloud runs the HTML
body, then the text body, then the subject line, so a variable set in the HTML body is seen by
the subject line, not the other way round.

The sandbox: programs reach nothing but these two objects. Loops, output and strings are
bounded (``max_iterations``, ``max_output``, ``values.MAX_TEXT``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sendwell.domain.ampscript.errors import FunctionError
from sendwell.domain.ampscript.formatting import format_date
from sendwell.domain.ampscript.values import DAYS, DB_NULL, MONTHS, Row, Value
from sendwell.domain.clock import SYSTEM_UTC_OFFSET_MINUTES, system_now

MESSAGE_CONTEXTS = ("SEND", "PREVIEW", "VAWP", "FTAF")


class DataSource(Protocol):
    """Data extension rows for ``Lookup`` and friends; implementations cache per job."""

    def rows(
        self, data_extension: str, filters: Sequence[tuple[str, str]], case_sensitive: bool
    ) -> Sequence[Mapping[str, object]] | None:
        """Rows of the named data extension whose columns equal the values (AND), in the data
        extension's order; ``None`` when the account has no data extension of that name."""
        ...


class ContentSource(Protocol):
    """The account's content that content blocks and content areas name."""

    def block(self, by: str, ref: str) -> str | None:
        """The content of the block whose ``by`` ("name", "key" or "id"; for classic content
        areas "area_id" or "area_name") is ``ref``, or None when there is no such block."""
        ...


class KeySource(Protocol):
    """The account's key store: ``EncryptSymmetric``'s passwords, salts and IVs by external
    key. Keys leave the store in clear only to the renderer."""

    def key(self, external_key: str) -> str | None:
        """The key's value, or None when the account has no key with that external key."""
        ...


@dataclass(frozen=True)
class HttpReply:
    """What a web server answered: status code and reason, and the body as text."""

    status: int
    reason: str
    text: str


class HttpFailure(Exception):
    """An HTTP call that was refused (host not allowed) or failed (timeout, too big, down)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HttpSource(Protocol):
    """HTTPGet/HTTPPost's way out: only to the hosts the operator allows."""

    def request(
        self, method: str, url: str, body: str | None, headers: Sequence[tuple[str, str]]
    ) -> HttpReply:
        """Send the request; raises ``HttpFailure``. Any status is a reply, not a failure."""
        ...


@dataclass(frozen=True)
class DataWrite:
    """One write of InsertDE, UpdateDE, UpsertDE, DeleteDE (and the *Data forms)."""

    kind: str  # "insert", "update", "upsert" or "delete"
    data_extension: str  # its name (or customer key)
    filters: tuple[tuple[str, str], ...]  # the rows it is about (update, upsert, delete)
    values: tuple[tuple[str, str], ...]  # what they get (insert, update, upsert)
    # The same key never writes twice: a recipient rendered again (a retried chunk) does not
    # repeat its writes. None: no recipient identity (every call writes).
    key: str | None = None


class DataWriteFailure(Exception):
    """A write the data extension refuses (no such DE or column, a value of the wrong type)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DataWriter(Protocol):
    """Where the data extension writes of content go (the account's data extensions)."""

    def write(self, request: DataWrite) -> int:
        """Apply the write (once per key); the number of rows it changed. Raises
        ``DataWriteFailure``."""
        ...

    def claim(
        self,
        data_extension: str,
        claim_column: str,
        keys: tuple[tuple[str, str], ...],
        key: str | None,
    ) -> Mapping[str, object] | None:
        """ClaimRow: the row already claimed with these key values, else the first unclaimed
        row, now claimed (claim column true, key columns set); None when none is left."""
        ...


@dataclass(frozen=True)
class ApiResult:
    """What an Invoke call got: "OK" or "Error", the message and Marketing Cloud's code."""

    status: str
    message: str
    error_code: int = 0
    request_id: str = ""
    objects: tuple[Mapping[str, Any], ...] = ()


class ApiSource(Protocol):
    """Sendwell's SOAP object layer, for the sending account."""

    def invoke(
        self,
        method: str,
        obj: Mapping[str, Any],
        options: Mapping[str, Any] | None,
        key: str | None,
    ) -> ApiResult:
        """Create, Update, Delete or Perform (``options["Action"]``) one object, once a key."""
        ...

    def retrieve(self, request: Mapping[str, Any]) -> ApiResult:
        """A RetrieveRequest's objects (``objects``)."""
        ...


class CrmFailure(Exception):
    """A Salesforce call that failed: no such object or field, the org refused, no org."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CrmSource(Protocol):
    """The account's Salesforce data (its connected org, or the local CRM store)."""

    def retrieve(
        self, object_type: str, fields: Sequence[str], conditions: Sequence[tuple[str, str, str]]
    ) -> Sequence[Mapping[str, object]]:
        """Records whose fields compare to the values (AND), with the fields asked for."""
        ...

    def create(self, object_type: str, values: Sequence[tuple[str, str]], key: str | None) -> str:
        """The new record's 18-character ID (the one made before, for a key seen before)."""
        ...

    def update(
        self, object_type: str, record_id: str, values: Sequence[tuple[str, str]], key: str | None
    ) -> bool:
        """Whether the record was updated (once per key)."""
        ...


class LookupCache:
    """Lookup results by (data extension, filters, case-sensitive), shared by the recipients
    of a job; it starts afresh when it holds ``max_rows`` rows."""

    def __init__(self, max_rows: int = 200_000) -> None:
        self.entries: dict[tuple[object, ...], list[Row]] = {}
        self.rows = 0
        self.max_rows = max_rows

    def get(self, key: tuple[object, ...]) -> list[Row] | None:
        return self.entries.get(key)

    def forget(self, data_extension: str) -> None:
        """Drop what was read from a data extension (content just wrote to it)."""
        name = data_extension.strip().lower()
        for key in [k for k in self.entries if str(k[0]).strip().lower() == name]:
            self.rows -= len(self.entries.pop(key))

    def put(self, key: tuple[object, ...], rows: list[Row]) -> None:
        if self.rows + len(rows) > self.max_rows:
            self.entries.clear()
            self.rows = 0
        self.entries[key] = rows
        self.rows += len(rows)


@dataclass(frozen=True)
class RenderEnvironment:
    """Everything a render may consult besides the recipient's values."""

    data: DataSource | None = None
    content: ContentSource | None = None  # content blocks and areas
    keys: KeySource | None = None  # EncryptSymmetric's external keys
    http: HttpSource | None = None  # HTTPGet and HTTPPost; None: they are refused
    writes: DataWriter | None = None  # InsertDE and friends; None: they are refused
    api: ApiSource | None = None  # InvokeCreate and friends; None: they are refused
    crm: CrmSource | None = None  # RetrieveSalesforceObjects and friends; None: refused
    pages_url: str = ""  # CloudPagesURL's base: the operator's landing pages; "": refused
    # Marketing Cloud's system time, UTC plus these minutes: what Now() gives (the caller passes
    # the setting system_utc_offset_minutes). ``clock`` replaces the system clock (previews of a
    # given moment, tests): it returns system time.
    utc_offset_minutes: int = SYSTEM_UTC_OFFSET_MINUTES
    clock: Callable[[], datetime] | None = None
    # The account's local time (SystemDateToLocalDate), UTC plus these minutes; None: local
    # time is system time.
    local_utc_offset_minutes: int | None = None
    # Lower-cased system strings of the job: _emailid, emailname_, member_busname, …
    system: Mapping[str, str] = field(default_factory=dict)
    message_context: str = "SEND"
    max_output: int = 2_000_000  # characters per part
    max_iterations: int = 100_000  # FOR iterations per recipient, all loops together
    max_depth: int = 10  # content blocks and TreatAsContent within one another
    lookups: LookupCache = field(default_factory=lambda: LookupCache(), compare=False, repr=False)
    # Content compiled at run time (blocks, TreatAsContent), by its text: compiled once a job.
    compiled: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
    # HTTPGet's replies by URL: a job fetches each URL once (inferred from Marketing Cloud's
    # documented caching of HTTPGet content per send).
    fetched: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def now(self) -> datetime:
        """Now in system time."""
        return self.clock() if self.clock is not None else system_now(self.utc_offset_minutes)


DEFAULT_ENVIRONMENT = RenderEnvironment()
_MISSING = object()


class Output:
    """What one run of a program writes, with the size limit enforced as it grows."""

    __slots__ = ("limit", "parts", "size")

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.limit:
            raise FunctionError(f"the content grew beyond {self.limit} characters")
        self.parts.append(text)


class Context:
    """One recipient's render: attribute values, variables, and the slot values computed."""

    __slots__ = (
        "_now",
        "as_written",
        "depth",
        "env",
        "iterations",
        "out",
        "program",
        "recipient",
        "slots",
        "values",
        "variables",
        "writes",
    )

    def __init__(
        self, values: Mapping[str, object], env: RenderEnvironment = DEFAULT_ENVIRONMENT
    ) -> None:
        self.values = values  # lower-cased attribute names and system strings
        self.env = env
        self.variables: dict[str, Value] = {}
        self.slots: dict[str, str] = {}  # slot key -> text, for the templates to fill
        self.out = Output(env.max_output)
        self.iterations = 0
        self.as_written = True  # set by the running program: see ``field``
        self.depth = 0  # content blocks being rendered within one another
        # Who is rendered (a send's ledger seq) and what runs (its source's hash): with the
        # call's place and count they make each data write's once-only key.
        self.recipient: object | None = None
        self.program = ""
        self.writes: dict[tuple[str, int, int], int] | None = None  # made by the first write
        self._now: datetime | None = None

    def attribute(self, name: str) -> Value:
        """A subscriber attribute, data extension column or system string (lower-cased name);
        one without a value, or that the values lack, is the data null."""
        value = self.values.get(name, _MISSING)
        if value is _MISSING:
            # An attribute the recipient has no data for is data's null (empty, and 0 for a
            # number), as a profile attribute without a value is in Marketing Cloud.
            found = self._system(name)
            return DB_NULL if found is None else found
        if isinstance(value, str):
            return value
        return DB_NULL if value is None else str(value)

    def field(self, name: str, written: str) -> Value:
        """What ``%%Name%%`` shows: the attribute, or ``written`` when there is none (as
        Marketing Cloud renders a name that is no attribute) if the program says so."""
        value = self.values.get(name, _MISSING)
        if value is not _MISSING:
            return value if isinstance(value, str) else ("" if value is None else str(value))
        found = self._system(name)
        if found is None:
            return written if self.as_written else ""
        return found

    def now(self) -> datetime:
        """The render's one instant: every ``Now()`` of a message gives the same time."""
        if self._now is None:
            self._now = self.env.now()
        return self._now

    def count_iteration(self) -> None:
        self.iterations += 1
        if self.iterations > self.env.max_iterations:
            raise FunctionError(f"loops ran more than {self.env.max_iterations} times")

    def _system(self, name: str) -> Value:
        found = self.env.system.get(name)
        if found is not None:
            return found
        if name == "_messagecontext":
            return self.env.message_context
        if name.startswith("xt"):
            return _send_date(self.now(), name, self.env.utc_offset_minutes)
        return None


def _send_date(now: datetime, name: str, offset: int) -> str | None:
    if name == "xtmonth":
        return MONTHS[now.month - 1]
    if name == "xtmonthnumeric":
        return str(now.month)
    if name == "xtday":
        return str(now.day)
    if name == "xtdayofweek":
        return DAYS[now.weekday()]
    if name == "xtyear":
        return str(now.year)
    if name == "xtshortdate":
        return format_date(now, "s", None, offset)
    if name == "xtlongdate":
        return format_date(now, "l", None, offset)
    return None
