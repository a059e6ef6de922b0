"""What the README tells a new user holds: its SOAP samples start sends in the demo account as
they are written (credentials filled in), and its CSV table names the columns ``crm import``
reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select
from tests.support import NS, ROOT, wait_for

from sendwell.app import create_app
from sendwell.config import Settings
from sendwell.services.captured import list_captured
from sendwell.services.demo import ensure_demo
from sendwell.services.salesforce import crm_files
from sendwell.store.tables import send_jobs

README = (ROOT / "README.md").read_text(encoding="utf-8")


def curl_requests() -> list[str]:
    """The bodies of the README's ``curl … --data '…'`` samples."""
    return re.findall(r"--data '\n(.*?)'\n```", README, re.DOTALL)


@pytest.fixture
def demo(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(database_url=f"sqlite:///{tmp_path}/demo.db", secret_key="readme")
    app = create_app(settings)
    creds = ensure_demo(app.state.engine, settings)
    with TestClient(app) as client:
        yield client, creds


def perform(client: TestClient, request: str) -> str:
    response = client.post(
        "/Service.asmx",
        content=request.encode(),
        headers={"Content-Type": "text/xml", "SOAPAction": "Perform"},
    )
    body = etree.fromstring(response.content)
    assert body.findtext(".//p:OverallStatus", namespaces=NS) == "OK", response.text
    return body.findtext(".//p:Results/p:Result/p:Task/p:ID", namespaces=NS)


def test_the_child_unit_sample_sends_in_100002_and_completes(demo) -> None:  # type: ignore[no-untyped-def]
    client, creds = demo
    (sample,) = [r for r in curl_requests() if "<Client><ID>100002</ID></Client>" in r]
    job_id = int(perform(client, sample.replace(">PASSWORD<", f">{creds.password}<")))

    engine = client.app.state.engine

    def job():  # type: ignore[no-untyped-def]
        with engine.connect() as conn:
            row = conn.execute(select(send_jobs).where(send_jobs.c.id == job_id)).one()
        return row if row.status in ("Complete", "Error") else None

    finished = wait_for(job)
    assert (finished.mid, finished.status, finished.sent) == (100002, "Complete", 18)
    total, messages = list_captured(engine, 100002, job_id, limit=100)
    assert total == 18
    assert {m.mail_from for m in messages} == {"SendTime@example.com"}
    assert all(m.rcpt_to.startswith("child") for m in messages)
    assert list_captured(engine, 100001)[0] == 0  # nothing in the parent account


def test_the_parent_sample_starts_a_send_in_100001(demo) -> None:  # type: ignore[no-untyped-def]
    client, creds = demo
    (sample,) = [r for r in curl_requests() if "<Options>" not in r]
    job_id = int(perform(client, sample.replace(">PASSWORD<", f">{creds.password}<")))
    with client.app.state.engine.connect() as conn:
        assert conn.execute(select(send_jobs.c.mid).where(send_jobs.c.id == job_id)).scalar() == (
            100001
        )


def test_the_csv_table_names_every_file_and_column_crm_import_reads() -> None:
    table = README.split("| file | columns read")[1].split("\n\n")[0]
    files = {**crm_files.PEOPLE_FILES, **crm_files.GROUP_FILES, **crm_files.MEMBER_FILES}
    for name in files:
        (row,) = [line for line in table.splitlines() if f"`{name}`" in line]
        required, known = crm_files._columns(name)
        for column in required:
            for one in column if isinstance(column, tuple) else (column,):
                assert f"**`{one}`**" in row, (name, one)
        for column in known:
            assert f"`{column}`" in row, (name, column)
