"""pysfmc 0.1.4's Content Builder helpers (written by nobody here) against Sendwell, with the
network cut off: typed ``create_asset`` for each stored asset type, ``get_asset_by_id``,
``get_assets`` with a filter, an order and paging, ``delete_asset``, the error paths, and the
created email asset sent by the REST Send API to a real SMTP server (``clients/pysfmc_assets.py``).

sfmc-sdk, the other REST client the compat tests use, has no asset helpers of its own (only
``rest.get/post/patch/delete``), so pysfmc's typed ones are the client exercised here.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select
from tests.integration.send_api_support import BASE

from sendwell.services.demo import DEMO_MID
from sendwell.store.tables import objects

from .netns import ClientRun, run_client
from .test_pysfmc import expected_audience

ASSETS = "/asset/v1/content/assets"
_runs: dict[str, ClientRun] = {}


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    if "run" not in _runs:
        _runs["run"] = run_client("pysfmc_assets.py", tmp_path_factory.mktemp("pysfmc-assets"))
    return _runs["run"]


def test_typed_create_parses_every_asset_type(run: ClientRun) -> None:
    created = run["created"]
    assert {name: a["asset_type"] for name, a in created.items()} == {
        "email": "htmlemail",
        "block": "htmlblock",
        "text": "textblock",
        "snippet": "codesnippetblock",
        "template": "templatebasedemail",
    }
    assert all(a["type"] == "Asset" and a["id"] > 0 for a in created.values())
    email = created["email"]
    assert email["customer_key"] == "order-confirmation" and email["html"].startswith("<p>Dear")
    assert email["legacy"]["legacyId"] == email["id"]
    assert email["category"] == "Content Builder" and email["owner"].endswith("app user")
    assert created["block"]["content"] == "<p>Footer</p>"
    assert len(created["template"]["customer_key"]) == 36
    assert run.requests().count(f"POST {ASSETS} -> 201") == 5


def test_the_email_asset_is_the_partner_api_email(run: ClientRun) -> None:
    engine = create_engine(f"sqlite:///{run.workdir}/sendwell.db")
    with engine.connect() as conn:
        row = conn.execute(
            select(objects).where(
                objects.c.mid == DEMO_MID, objects.c.customer_key == "order-confirmation"
            )
        ).one()
    engine.dispose()
    assert row.type == "Email" and row.id == run["created"]["email"]["id"]
    assert row.props["Subject"] == "Order confirmed, %%FirstName%%"  # the PATCH reached it
    assert row.props["TextBody"] == "Dear %%FirstName%%"


def test_read_list_change_and_query(run: ClientRun) -> None:
    assert run["got"]["customer_key"] == "footer" and run["got"]["content"] == "<p>Footer</p>"
    listed = run["listed"]
    assert listed == {"type": "AssetResponse", "count": 3, "names": ["Snippet", "Legal"]}
    assert (
        f"GET {ASSETS}?%24page=1&%24pageSize=2&%24orderBy=name+desc"
        "&%24filter=assetType.name+like+%27block%27 -> 200"
    ) in run.requests()
    patched = run["patched"]
    assert patched["views"]["subjectline"]["content"] == "Order confirmed, %%FirstName%%"
    assert patched["views"]["html"]["content"].startswith("<p>Dear")  # kept
    # The demo's own order confirmation's subject says "confirmed" too.
    items = {i["customerKey"]: i for i in run["queried"]["items"]}
    assert set(items) == {"order-confirmation", "demo_order"}
    found = items["order-confirmation"]
    assert found["legacyData"]["legacyId"] == run["created"]["email"]["id"]


def test_error_paths_reach_pysfmc_as_its_exceptions(run: ClientRun) -> None:
    duplicate = run["duplicate"]
    assert duplicate["raised"] == "SFMCError" and duplicate["status_code"] == 409
    assert duplicate["body"]["errorcode"] == 30004
    assert duplicate["body"]["validationErrors"][0]["message"] == duplicate["message"]
    unknown = run["unknown_type"]
    assert unknown["status_code"] == 400 and unknown["body"]["errorcode"] == 10005
    broken = run["bad_ampscript"]
    assert broken["status_code"] == 400
    assert broken["message"].startswith("Invalid AMPscript in content line 1, column")
    for missing in (run["unknown_id"], run["after_delete"]):
        assert missing["raised"] == "SFMCNotFoundError" and missing["body"]["errorcode"] == 30003
    assert run["deleted"] == "OK"  # pysfmc's delete_asset returns the parsed "OK"


def test_the_email_asset_is_sent_by_the_send_api(run: ClientRun) -> None:
    assert run["send_create"]["IsError"] is False
    assert f"POST {BASE} -> 201" in run.requests()
    status = run["send_status"]
    assert status["Status"] == "Complete", status
    audience = expected_audience(run.workdir / "crm", "701000000000001", set())
    recipients = audience["recipients"]
    assert status["NumberSent"] == len(recipients) == len(run["smtp"])
    for message in run["smtp"]:
        (address,) = message["rcpt_to"]
        first = recipients[address.lower()]["FirstName"]
        assert message["subject"] == f"Order confirmed, {first}"
        assert message["text"].strip() == f"Dear {first}"
        assert f"<p>Dear {first.title()},</p><p>{len(first)}</p>" in message["html"]
