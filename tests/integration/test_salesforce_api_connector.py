"""The Salesforce API connector, against a stand-in for the Salesforce REST API.

Salesforce is the one thing that cannot run here. A local HTTPS server on 127.0.0.1 answers
each expected request with a hand-written response from ``tests/fixtures/salesforce/`` (shaped
like Salesforce's documented ones; see the README there). simple-salesforce speaks https only,
so the server has a self-signed certificate that the test trusts through ``REQUESTS_CA_BUNDLE``,
the standard ``requests`` setting; Sendwell's code runs unchanged, through ``connector_for``.
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine, insert, select

from sendwell.domain.clock import utcnow
from sendwell.domain.errors import Invalid, NotFound
from sendwell.services.accounts import Accounts
from sendwell.services.salesforce import connector_for, parse_audience
from sendwell.services.salesforce.api import (
    SalesforceApiConnector,
    connection_settings,
    report_people,
    seal_credentials,
)
from sendwell.services.salesforce.connector import save_connection
from sendwell.store.db import make_engine, upgrade
from sendwell.store.tables import crm_connections, sync_members, syncs

FIXTURES = Path(__file__).parents[1] / "fixtures" / "salesforce"
V = "/services/data/v59.0"
SESSION = "00D5g000004Xyz!AQ0AQTestSessionTokenNotARealOne"
MID = 1001
CAMPAIGN, UNKNOWN_CAMPAIGN = "7015g00000Q1aBcAAJ", "7015g00000Q1aZzAAJ"
REPORT, MISSING_REPORT, BIG_REPORT = (
    "00O5g00000Rp7KdEAJ",
    "00O5g00000Rp7ZzEAJ",
    "00O5g00000Rp8AaEAJ",
)
ADA, ALAN, EDSGER, BARBARA = (
    "0035g00000Xk1AaAAJ",
    "0035g00000Xk1AbAAJ",
    "0035g00000Xk1AcAAJ",
    "0035g00000Xk1AdAAJ",
)
GRACE, MARGARET = "00Q5g00000Ml2ZqEAJ", "00Q5g00000Ml2ZsEAJ"
PEOPLE_FIELDS = "Id, FirstName, LastName, Email, HasOptedOutOfEmail"
MEMBERS_SOQL = (
    "SELECT ContactId, LeadId, Contact.FirstName, Contact.LastName, Contact.Email, "
    "Contact.HasOptedOutOfEmail, Lead.FirstName, Lead.LastName, Lead.Email, "
    f"Lead.HasOptedOutOfEmail FROM CampaignMember WHERE CampaignId = '{CAMPAIGN}'"
)
# The stand-in's answers: SOQL text (exact) or request path -> (HTTP status, fixture file).
SOQL_ANSWERS = {
    f"SELECT Id FROM Campaign WHERE Id = '{CAMPAIGN}'": "query_campaign_exists.json",
    f"SELECT Id FROM Campaign WHERE Id = '{UNKNOWN_CAMPAIGN}'": "query_no_records.json",
    f"SELECT Id FROM Report WHERE Id = '{REPORT}'": "query_report_exists.json",
    MEMBERS_SOQL: "query_campaign_members_page1.json",
    f"SELECT {PEOPLE_FIELDS} FROM Contact WHERE Id IN ('{ADA}', '{EDSGER}')": (
        "query_report_contacts.json"
    ),
    f"SELECT {PEOPLE_FIELDS} FROM Lead WHERE Id IN ('{MARGARET}')": "query_report_leads.json",
    f"SELECT {PEOPLE_FIELDS} FROM Contact WHERE Id IN ('{EDSGER}')": "query_one_contact.json",
    f"SELECT {PEOPLE_FIELDS} FROM Lead WHERE Id IN ('{GRACE}')": "query_one_lead.json",
    f"SELECT {PEOPLE_FIELDS} FROM Contact WHERE Id IN ('{BARBARA}')": "query_no_records.json",
}
PATH_ANSWERS = {
    f"{V}/query/0r85g00000Qx7QIAS-3": (200, "query_campaign_members_page2.json"),
    f"{V}/analytics/reports/{REPORT}": (200, "report_spring_launch_attendees.json"),
    f"{V}/analytics/reports/{BIG_REPORT}": (200, "report_more_than_2000_rows.json"),
    f"{V}/analytics/reports/{MISSING_REPORT}": (404, "error_not_found.json"),
}


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class SalesforceStandIn:
    """A local HTTPS server answering like the Salesforce REST API, from fixture files."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.requests: list[Request] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                stand_in.requests.append(Request(url.path, query, dict(self.headers)))
                status, body = stand_in.answer(url.path, query, self.headers.get("Authorization"))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def answer(self, path: str, query: dict[str, list[str]], auth: str | None) -> tuple[int, Any]:
        if auth != f"Bearer {SESSION}":
            return 401, [
                {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
            ]
        if path == f"{V}/query/" and query.get("q", [""])[0] in SOQL_ANSWERS:
            return 200, self.fixture(SOQL_ANSWERS[query["q"][0]])
        if path in PATH_ANSWERS:
            status, name = PATH_ANSWERS[path]
            return status, self.fixture(name)
        return 400, [
            {
                "message": f"the stand-in has no answer for {path} {query}",
                "errorCode": "MALFORMED_QUERY",
            }
        ]

    @staticmethod
    def fixture(name: str) -> Any:
        return json.loads((FIXTURES / name).read_text())

    def soql(self) -> list[str]:
        return [r.query["q"][0] for r in self.requests if "q" in r.query]

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def salesforce(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[SalesforceStandIn]:
    stand_in = SalesforceStandIn(*certificate)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    stand_in.thread.start()
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()


@pytest.fixture
def engine(database_url: str, salesforce: SalesforceStandIn) -> Iterator[Engine]:
    """A migrated database with account 1001 connected to the stand-in by session id."""
    engine = make_engine(database_url)
    upgrade(engine)
    Accounts(engine).create_account(MID, "Connected")
    with engine.begin() as conn:
        settings = connection_settings(salesforce.url, session_id=SESSION)
        save_connection(conn, MID, "salesforce", settings)
    yield engine
    engine.dispose()


def materialize(
    engine: Engine, entry: dict[str, str], role: str = "target", secret_key: str = ""
) -> list[Any]:
    """Resolve one audience entry into a new sync; its sync_members rows in order."""
    with engine.begin() as conn:
        sync_id = conn.execute(
            insert(syncs).values(mid=MID, created_at=utcnow())
        ).inserted_primary_key[0]
        connector = connector_for(conn, MID, secret_key)
        count = connector.materialize(conn, MID, sync_id, role, parse_audience(entry))
        rows = conn.execute(
            select(sync_members)
            .where(sync_members.c.sync_id == sync_id)
            .order_by(sync_members.c.id)
        ).all()
    assert count == len(rows)
    return rows


def test_a_salesforce_connection_selects_the_api_connector(engine: Engine) -> None:
    with engine.connect() as conn:
        connector = connector_for(conn, MID, "test-secret-key")

    assert isinstance(connector, SalesforceApiConnector)
    assert SESSION not in repr(connector)


def test_campaign_members_are_read_page_by_page(
    engine: Engine, salesforce: SalesforceStandIn
) -> None:
    rows = materialize(engine, {"Type": "campaign", "Id": CAMPAIGN[:15], "Name": "Spring Launch"})

    assert salesforce.soql() == [f"SELECT Id FROM Campaign WHERE Id = '{CAMPAIGN}'", MEMBERS_SOQL]
    assert f"{V}/query/0r85g00000Qx7QIAS-3" in salesforce.paths()  # nextRecordsUrl followed
    assert [(r.sf_id, r.kind, r.email, r.opted_out) for r in rows] == [
        (ADA, "Contact", "ada@example.com", False),
        (GRACE, "Lead", "grace@example.org", True),
        (ALAN, "Contact", "alan@example.com", False),  # converted lead: its contact counts
        (EDSGER, "Contact", "edsger@example.net", True),
        (BARBARA, "Contact", None, False),
    ]
    assert {r.role for r in rows} == {"target"}
    assert rows[0].attributes == {
        "Id": ADA,
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Email": "ada@example.com",
        "HasOptedOutOfEmail": "false",
    }


def test_every_request_carries_the_session_and_no_log_shows_it(
    engine: Engine, salesforce: SalesforceStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        materialize(engine, {"Type": "Campaign", "Id": CAMPAIGN, "Name": "Spring Launch"})

    assert len(salesforce.requests) == 3
    assert {r.headers["Authorization"] for r in salesforce.requests} == {f"Bearer {SESSION}"}
    assert "synced 5 target members of Campaign" in caplog.text
    assert SESSION not in caplog.text


def test_report_rows_become_members_read_again_by_id(
    engine: Engine, salesforce: SalesforceStandIn
) -> None:
    rows = materialize(engine, {"Type": "Report", "Id": REPORT, "Name": "Attendees"}, "exclusion")

    report_call = next(r for r in salesforce.requests if "analytics" in r.path)
    assert report_call.query == {"includeDetails": ["true"]}
    assert salesforce.soql() == [
        f"SELECT {PEOPLE_FIELDS} FROM Contact WHERE Id IN ('{ADA}', '{EDSGER}')",
        f"SELECT {PEOPLE_FIELDS} FROM Lead WHERE Id IN ('{MARGARET}')",
    ]
    assert [(r.sf_id, r.kind, r.opted_out, r.role) for r in rows] == [
        (ADA, "Contact", False, "exclusion"),  # listed twice in the report, once here
        (EDSGER, "Contact", True, "exclusion"),
        (MARGARET, "Lead", False, "exclusion"),
    ]
    assert rows[2].attributes["FirstName"] == "Margaret"


def test_contact_and_lead_targets_by_15_character_id(engine: Engine) -> None:
    contact = materialize(engine, {"Type": "CONTACT", "Id": EDSGER[:15], "Name": "Edsger"})
    lead = materialize(engine, {"Type": "lead", "Id": GRACE[:15], "Name": "Grace"})

    assert [(r.sf_id, r.kind, r.opted_out) for r in contact] == [(EDSGER, "Contact", True)]
    assert [(r.sf_id, r.kind, r.opted_out) for r in lead] == [(GRACE, "Lead", True)]


def test_exists_asks_salesforce_by_id(engine: Engine, salesforce: SalesforceStandIn) -> None:
    with engine.connect() as conn:
        connector = connector_for(conn, MID, "test-secret-key")

        def exists(kind: str, id_: str) -> bool:
            return connector.exists(conn, MID, parse_audience({"Type": kind, "Id": id_}))

        assert exists("Campaign", CAMPAIGN)
        assert exists("Report", REPORT[:15])
        assert not exists("Campaign", UNKNOWN_CAMPAIGN)
        asked = len(salesforce.requests)
        assert not exists("SalesforceDataExtension", "Some_DE")
        assert len(salesforce.requests) == asked


def test_missing_campaign_report_or_person_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound, match="no Campaign"):
        materialize(engine, {"Type": "Campaign", "Id": UNKNOWN_CAMPAIGN})
    with pytest.raises(NotFound, match="NOT_FOUND"):
        materialize(engine, {"Type": "Report", "Id": MISSING_REPORT})
    with pytest.raises(NotFound, match="no Contact"):
        materialize(engine, {"Type": "Contact", "Id": BARBARA})


def test_a_report_beyond_the_2000_row_limit_fails_rather_than_send_to_part(
    engine: Engine,
) -> None:
    with pytest.raises(Invalid, match="more detail rows than the Reports API returns"):
        materialize(engine, {"Type": "Report", "Id": BIG_REPORT})


def test_a_rejected_session_is_an_error_that_does_not_show_the_credentials(
    engine: Engine, salesforce: SalesforceStandIn
) -> None:
    with engine.begin() as conn:
        stale = connection_settings(salesforce.url, session_id="stale-session-secret")
        save_connection(conn, MID, "salesforce", stale)

    with pytest.raises(Invalid) as caught:
        materialize(engine, {"Type": "Campaign", "Id": CAMPAIGN})
    assert "401" in caught.value.message and "INVALID_SESSION_ID" in caught.value.message
    assert "stale-session-secret" not in caught.value.message


def test_sealed_credentials_open_only_with_the_secret_key(
    engine: Engine, salesforce: SalesforceStandIn
) -> None:
    with engine.begin() as conn:
        settings = connection_settings(salesforce.url, session_id=SESSION)
        save_connection(conn, MID, "salesforce", seal_credentials(settings, "the secret key"))
        stored = conn.execute(select(crm_connections.c.settings)).scalar_one()
    assert SESSION not in json.dumps(stored)

    rows = materialize(engine, {"Type": "Lead", "Id": GRACE}, secret_key="the secret key")
    assert [r.sf_id for r in rows] == [GRACE]
    with pytest.raises(Invalid, match="sealed"):
        materialize(engine, {"Type": "Lead", "Id": GRACE})
    with pytest.raises(Invalid, match="another secret key"):
        materialize(engine, {"Type": "Lead", "Id": GRACE}, secret_key="a different key")


def test_a_report_person_may_come_from_a_name_column_value() -> None:
    """As in Salesforce's documented run, a name cell's value is its record's id."""
    report = {
        "reportMetadata": {"detailColumns": ["FULL_NAME", "ACCOUNT_NAME"]},
        "reportExtendedMetadata": {
            "detailColumnInfo": {
                "FULL_NAME": {"dataType": "string", "label": "Full Name"},
                "ACCOUNT_NAME": {"dataType": "string", "label": "Account Name"},
            }
        },
        "factMap": {
            "0!T": {
                "rows": [
                    {
                        "dataCells": [
                            {"label": "Ada", "value": ADA[:15]},
                            {"label": "Acme", "value": "0015g00000Ac1XyAAJ"},
                        ]
                    }
                ]
            },
            "1!T": {
                "rows": [
                    {
                        "dataCells": [
                            {"label": "Grace", "value": GRACE},
                            {"label": "-", "value": None},
                        ]
                    }
                ]
            },
            "T!T": {"aggregates": [{"label": "2", "value": 2}], "rows": []},
        },
    }

    assert report_people(report, REPORT) == [("Contact", ADA), ("Lead", GRACE)]


def test_a_report_without_person_ids_says_which_column_to_add() -> None:
    report = {
        "reportMetadata": {"detailColumns": ["ACCOUNT_NAME"]},
        "factMap": {
            "T!T": {"rows": [{"dataCells": [{"label": "Acme", "value": "0015g00000Ac1XyAAJ"}]}]}
        },
    }

    with pytest.raises(Invalid, match="add a Contact ID or Lead ID column"):
        report_people(report, REPORT)
