"""The Salesforce API connector: audiences resolved in a real org through ``simple-salesforce``.

- Campaign: ``CampaignMember`` rows by SOQL (``query_all_iter`` follows ``nextRecordsUrl``), with
  the contact's or lead's name, email and ``HasOptedOutOfEmail`` read through the relationship.
  A member with both ids (a converted lead) counts as the contact.
- Report: one synchronous run of the Reports API,
  ``GET /services/data/vXX.X/analytics/reports/{id}?includeDetails=true``. Each detail row of
  every fact map section (``T!T`` for tabular reports) names one person: the first cell value
  with the Contact (003) or Lead (00Q) key prefix, read first from the ``CONTACT_ID``/``LEAD_ID``
  columns and other columns whose ``detailColumnInfo`` data type is ``id``, then from the rest
  (a name column's value is its record's id). A report whose rows show no such id fails: add a
  Contact ID or Lead ID column. The records are then read by SOQL, 200 ids a query, for their
  current email, name and opt-out. The synchronous run returns at most 2,000 detail rows: a
  larger report (``allData`` false) fails the sync rather than send to part of it.
- Contact, Lead: the one record by SOQL.

Connection settings (``crm_connections.settings``): ``instance_url``, ``domain`` (``login`` or
``test``), ``version``, and ``credentials``: ``session_id`` (with ``instance_url``) or
``username``/``password``/``security_token``. They are third-party secrets that must stay usable,
so they cannot be hashed: they are sealed with Fernet under the installation's secret key
(``sealed_credentials``), and the database must be protected. Credentials saved unsealed by
earlier versions are still read. Credentials never reach logs or errors.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import Connection, insert

from sendwell.domain.errors import Invalid, NotFound
from sendwell.domain.salesforce_ids import object_type, to18
from sendwell.services.salesforce.audiences import PERSON_TYPES, ROLES, AudienceRef, unsupported
from sendwell.store.tables import sync_members

log = logging.getLogger(__name__)

API_VERSION = "59.0"
PERSON_FIELDS = ("Id", "FirstName", "LastName", "Email", "HasOptedOutOfEmail")
REPORT_ID_COLUMNS = ("CONTACT_ID", "LEAD_ID")
IDS_PER_QUERY = 200
INSERT_BATCH = 1000
CAMPAIGN_MEMBERS_SOQL = (
    "SELECT ContactId, LeadId, "
    + ", ".join(f"{kind}.{f}" for kind in PERSON_TYPES for f in PERSON_FIELDS[1:])
    + " FROM CampaignMember WHERE CampaignId = '{id}'"
)


def connection_settings(
    instance_url: str | None,
    session_id: str | None = None,
    username: str | None = None,
    password: str | None = None,
    security_token: str | None = None,
    domain: str = "login",
    version: str = API_VERSION,
) -> dict[str, Any]:
    """Checked settings for a ``salesforce`` connection (credentials still open)."""
    if instance_url:
        parsed = urlparse(instance_url)
        if parsed.scheme != "https" or not parsed.hostname:
            raise Invalid(f"The instance URL must be https://host, not {instance_url!r}")
    if session_id:
        if not instance_url:
            raise Invalid("A session id needs the instance URL it belongs to")
        credentials = {"session_id": session_id}
    elif username and password is not None and security_token is not None:
        credentials = {"username": username, "password": password, "security_token": security_token}
    else:
        raise Invalid("Give a session id, or a username, password and security token")
    if domain not in ("login", "test"):
        raise Invalid(f"The login domain must be login or test, not {domain!r}")
    if not re.fullmatch(r"\d+\.\d", version):
        raise Invalid(f"The API version must look like {API_VERSION}, not {version!r}")
    return {
        "instance_url": instance_url or "",
        "domain": domain,
        "version": version,
        "credentials": credentials,
    }


def describe_connection(settings: Mapping[str, Any]) -> str:
    """Where a connection points and how it logs in, without any secret."""
    how = "sealed credentials" if "sealed_credentials" in settings else None
    creds = settings.get("credentials") or {}
    how = how or ("session id" if "session_id" in creds else f"user {creds.get('username')}")
    where = settings.get("instance_url") or f"{settings.get('domain', 'login')}.salesforce.com"
    return f"{where} ({how}, API {settings.get('version', API_VERSION)})"


def _fernet(secret_key: str) -> Any:
    from cryptography.fernet import Fernet

    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))


def seal_credentials(settings: Mapping[str, Any], secret_key: str) -> dict[str, Any]:
    """Settings with the credentials sealed by ``secret_key`` (unchanged without a key)."""
    if not secret_key or "credentials" not in settings:
        return dict(settings)
    out = {k: v for k, v in settings.items() if k != "credentials"}
    token = _fernet(secret_key).encrypt(json.dumps(settings["credentials"]).encode())
    out["sealed_credentials"] = token.decode()
    return out


def _open_credentials(settings: Mapping[str, Any], secret_key: str) -> dict[str, str]:
    if "sealed_credentials" not in settings:
        return dict(settings.get("credentials") or {})
    if not secret_key:
        raise Invalid("The Salesforce credentials are sealed; Sendwell needs its secret key")
    from cryptography.fernet import InvalidToken

    try:
        return json.loads(_fernet(secret_key).decrypt(settings["sealed_credentials"].encode()))
    except InvalidToken:
        raise Invalid("The Salesforce credentials were sealed with another secret key") from None


class SalesforceApiConnector:
    """Campaigns, reports, contacts and leads of the Salesforce org an account is connected to."""

    def __init__(self, settings: Mapping[str, Any], secret_key: str = "") -> None:
        self._settings = dict(settings)
        self._secret_key = secret_key
        self._sf: Any = None

    def __repr__(self) -> str:
        return f"SalesforceApiConnector({describe_connection(self._settings)})"

    def exists(self, conn: Connection, mid: int, ref: AudienceRef) -> bool:
        if ref.type not in (*PERSON_TYPES, "Campaign", "Report"):
            return False
        found = self._call(lambda sf: sf.query(f"SELECT Id FROM {ref.type} WHERE Id = '{ref.id}'"))
        return bool(found.get("totalSize"))

    def materialize(
        self, conn: Connection, mid: int, sync_id: int, role: str, ref: AudienceRef
    ) -> int:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        if ref.type == "Campaign":
            if not self.exists(conn, mid, ref):
                raise NotFound(f"Salesforce has no Campaign {ref.id}")
            members = self._campaign_members(ref)
        elif ref.type == "Report":
            members = self._people(self._report_people(ref))
        elif ref.type in PERSON_TYPES:
            person = list(self._people([(ref.type, ref.id)]))
            if not person:
                raise NotFound(f"Salesforce has no {ref.type} {ref.id}")
            members = iter(person)
        else:
            raise unsupported(ref)
        count = _insert(conn, sync_id, role, members)
        log.info("synced %d %s members of %s %s from Salesforce", count, role, ref.type, ref.id)
        return count

    # --- Salesforce calls -------------------------------------------------------------------
    def _client(self) -> Any:
        if self._sf is None:
            from simple_salesforce import Salesforce

            creds = _open_credentials(self._settings, self._secret_key)
            common = {"version": self._settings.get("version") or API_VERSION}
            if creds.get("session_id"):
                self._sf = Salesforce(
                    instance_url=self._settings["instance_url"],
                    session_id=creds["session_id"],
                    **common,
                )
            else:
                self._sf = Salesforce(
                    username=creds.get("username"),
                    password=creds.get("password"),
                    security_token=creds.get("security_token"),
                    domain=self._settings.get("domain") or "login",
                    **common,
                )
        return self._sf

    def _call(self, request: Callable[[Any], Any]) -> Any:
        """Run ``request(client)``, with Salesforce's errors as Sendwell's (no secrets in them)."""
        from requests import RequestException
        from simple_salesforce.exceptions import (
            SalesforceAuthenticationFailed,
            SalesforceError,
            SalesforceResourceNotFound,
        )

        try:
            return request(self._client())
        except SalesforceResourceNotFound as exc:
            raise NotFound(f"Salesforce: {_summary(exc.content)}") from None
        except SalesforceAuthenticationFailed as exc:
            raise Invalid(f"Salesforce login failed: {exc.code}: {exc.message}") from None
        except SalesforceError as exc:
            raise Invalid(f"Salesforce answered {exc.status}: {_summary(exc.content)}") from None
        except RequestException as exc:
            raise Invalid(f"Salesforce could not be reached: {type(exc).__name__}") from None

    def _query(self, soql: str) -> Iterator[dict[str, Any]]:
        """Every record of a SOQL query, page by page."""
        records = self._call(lambda sf: sf.query_all_iter(soql))
        while (record := self._call(lambda _sf: next(records, None))) is not None:
            yield record

    def _campaign_members(self, ref: AudienceRef) -> Iterator[dict[str, Any]]:
        for record in self._query(CAMPAIGN_MEMBERS_SOQL.format(id=ref.id)):
            for kind in PERSON_TYPES:  # Contact first: a converted lead is its contact
                if record.get(f"{kind}Id"):
                    fields = record.get(kind) or {}
                    yield _member(kind, {**fields, "Id": record[f"{kind}Id"]})
                    break

    def _report_people(self, ref: AudienceRef) -> list[tuple[str, str]]:
        report = self._call(
            lambda sf: sf.restful(f"analytics/reports/{ref.id}", params={"includeDetails": "true"})
        )
        if not report.get("allData", True):
            raise Invalid(
                f"Report {ref.id} has more detail rows than the Reports API returns (2,000); "
                "narrow it with filters, or send to a campaign"
            )
        return report_people(report, ref.id)

    def _people(self, people: Iterable[tuple[str, str]]) -> Iterator[dict[str, Any]]:
        """The contacts and leads with these ids, read 200 at a time."""
        by_kind: dict[str, list[str]] = {kind: [] for kind in PERSON_TYPES}
        for kind, id18 in people:
            by_kind[kind].append(id18)
        for kind, ids in by_kind.items():
            for start in range(0, len(ids), IDS_PER_QUERY):
                quoted = ", ".join(f"'{i}'" for i in ids[start : start + IDS_PER_QUERY])
                soql = f"SELECT {', '.join(PERSON_FIELDS)} FROM {kind} WHERE Id IN ({quoted})"
                for record in self._query(soql):
                    yield _member(kind, record)


def report_people(report: Mapping[str, Any], report_id: str) -> list[tuple[str, str]]:
    """(kind, 18-character id) of the contact or lead on each detail row of a report run.

    A row's person is the first Contact or Lead id among its cell values, looking first at the
    ``CONTACT_ID``/``LEAD_ID`` and id-typed columns, then at the others (a name cell's value is
    its record's id).
    """
    columns = (report.get("reportMetadata") or {}).get("detailColumns") or []
    info = (report.get("reportExtendedMetadata") or {}).get("detailColumnInfo") or {}

    def is_id_column(i: int) -> bool:
        name = columns[i]
        return name.upper() in REPORT_ID_COLUMNS or (info.get(name) or {}).get("dataType") == "id"

    order = sorted(range(len(columns)), key=lambda i: not is_id_column(i))
    found: dict[str, str] = {}
    rows = 0
    for section in (report.get("factMap") or {}).values():
        for row in section.get("rows") or []:
            rows += 1
            cells = row.get("dataCells") or []
            values = (cells[i].get("value") for i in order if i < len(cells))
            person = next(filter(None, map(_person_id, values)), None)
            if person is not None:
                found.setdefault(person, object_type(person) or "")
    if rows and not found:
        raise Invalid(
            f"Report {report_id} shows no contact or lead ids; add a Contact ID or Lead ID column"
        )
    return [(kind, id18) for id18, kind in found.items()]


def _person_id(value: Any) -> str | None:
    """``value`` as an 18-character Contact or Lead id, else None."""
    try:
        id18 = to18(value)
    except ValueError:
        return None
    return id18 if object_type(id18) in PERSON_TYPES else None


def _member(kind: str, record: Mapping[str, Any]) -> dict[str, Any]:
    id18 = to18(record["Id"])
    email = (record.get("Email") or "").strip()
    opted_out = bool(record.get("HasOptedOutOfEmail"))
    attributes = {
        "Id": id18,
        "FirstName": record.get("FirstName") or "",
        "LastName": record.get("LastName") or "",
        "Email": email,
        "HasOptedOutOfEmail": "true" if opted_out else "false",
    }
    return {
        "sf_id": id18,
        "kind": kind,
        "email": email or None,
        "opted_out": opted_out,
        "attributes": attributes,
    }


def _insert(conn: Connection, sync_id: int, role: str, members: Iterator[dict[str, Any]]) -> int:
    count, batch = 0, []
    for member in members:
        batch.append({"sync_id": sync_id, "role": role, **member})
        if len(batch) == INSERT_BATCH:
            conn.execute(insert(sync_members), batch)
            count, batch = count + len(batch), []
    if batch:
        conn.execute(insert(sync_members), batch)
    return count + len(batch)


def _summary(content: Any) -> str:
    """Salesforce's error body (a list of {errorCode, message}) in one line."""
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        return "; ".join(f"{e.get('errorCode')}: {e.get('message')}" for e in content)
    return str(content)[:300]
