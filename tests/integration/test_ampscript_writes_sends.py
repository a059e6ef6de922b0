"""AMPscript's data extension writes in a real send: each happens once per recipient even when
the recipient is rendered again (its delivery deferred by a 451 and retried), ClaimRowValue
gives a recipient the same coupon on every attempt, and the account's key store serves
EncryptSymmetric. A relay answers as scripted (``test_delivery_retries.Scripted``)."""

from __future__ import annotations

from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from tests.conftest import make_world
from tests.integration.delivery_support import make_definition
from tests.integration.test_delivery_retries import FAST_RETRY, Scripted, job_status, ledger, start
from tests.support import free_port, wait_for
from typer.testing import CliRunner

from sendwell.services.audience_data import insert_rows, validate_row
from sendwell.services.catalog import find_ref
from sendwell.services.registry import KINDS
from sendwell.store.tables import ampscript_writes, crm_people, de_rows, objects, subscribers

TEXT = """%%[
InsertDE("Visits", "Email", emailaddr, "Note", "rendered")
SET @code = ClaimRowValue("Coupons", "Code", "IsClaimed", "NONE", "Email", emailaddr)
SET @secret = EncryptSymmetric("x", "aes", "pw-key", @n, "salt-key", @n, "iv-key", @n)
SET @lead = CreateSalesforceObject("Lead", 2, "Email", emailaddr, "LastName", Name)
SET @sub = CreateObject("Subscriber")
SetObjectProperty(@sub, "EmailAddress", emailaddr)
SetObjectProperty(@sub, "SubscriberKey", Concat("made-", emailaddr))
SET @made = InvokeCreate(@sub, @message, @errorcode)
]%%Hi %%Name%%, your code is %%=v(@code)=%% (%%=Length(@secret)=%%)
"""


class Recording(Scripted):
    """The scripted relay, keeping each accepted message's text."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: dict[str, list[str]] = {}

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            text = message_from_bytes(envelope.content).get_payload(decode=True).decode()
            self.bodies.setdefault(envelope.rcpt_tos[0], []).append(text)
        return reply


@pytest.fixture
def relay(sqlite_url):  # type: ignore[no-untyped-def]
    handler = Recording()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = f"smtp://127.0.0.1:{port}?starttls=off"
        for world in make_world(sqlite_url, transport=url, **FAST_RETRY):
            world.smtp = handler  # type: ignore[attr-defined]
            yield world
    finally:
        controller.stop()


def _data_extension(conn: Any, mid: int, name: str, fields: list[dict[str, Any]]) -> Any:
    KINDS["DataExtension"].create(
        conn,
        mid,
        {
            "__type__": "DataExtension",
            "CustomerKey": name,
            "Name": name,
            "Fields": {"Field": fields},
        },
    )
    return find_ref(conn, mid, "DataExtension", {"CustomerKey": name})


def _prepare(world: Any, addresses: list[str]) -> str:
    key = make_definition(world.engine, world.mid, addresses, key="writes-send")
    with world.engine.begin() as conn:
        _data_extension(
            conn,
            world.mid,
            "Visits",
            [{"Name": "Email", "FieldType": "EmailAddress"}, {"Name": "Note", "FieldType": "Text"}],
        )
        coupons = _data_extension(
            conn,
            world.mid,
            "Coupons",
            [
                {"Name": "Code", "FieldType": "Text", "IsPrimaryKey": True},
                {"Name": "IsClaimed", "FieldType": "Boolean"},
                {"Name": "Email", "FieldType": "EmailAddress"},
            ],
        )
        insert_rows(
            conn,
            coupons,
            [
                validate_row(coupons.props, {"Code": f"C{i}", "IsClaimed": "false"})
                for i in range(5)
            ],
        )
        email = find_ref(conn, world.mid, "Email", {"Name": "E writes-send"})
        conn.execute(
            update(objects)
            .where(objects.c.id == email.id)
            .values(props={**email.props, "TextBody": TEXT})
        )
    runner = CliRunner()
    from sendwell.cli import app

    for name, kind, value in (
        ("pw-key", "password", "correct horse"),
        ("salt-key", "salt", "0102030405060708"),
        ("iv-key", "iv", "00112233445566778899aabbccddeeff"),
    ):
        result = runner.invoke(
            app,
            ["key", "add", str(world.mid), name, "--kind", kind],
            input=f"{value}\n",
            env={
                "SENDWELL_DATABASE_URL": world.settings.database_url,
                "SENDWELL_SECRET_KEY": "test-secret-key",
            },
        )
        assert result.exit_code == 0, result.output
    return key


def _rows(world: Any, name: str) -> list[dict[str, Any]]:
    with world.engine.connect() as conn:
        de = find_ref(conn, world.mid, "DataExtension", {"CustomerKey": name})
        return [
            r.data for r in conn.execute(select(de_rows.c.data).where(de_rows.c.de_id == de.id))
        ]


def test_writes_happen_once_per_recipient_across_retries(relay) -> None:
    world, smtp = relay, relay.smtp
    addresses = ["ann@example.test", "soft@example.test", "cy@example.test"]
    smtp.rcpt = {"soft@example.test": ["451 4.7.1 greylisted, try later", "250 OK"]}
    job = start(world, _prepare(world, addresses))
    wait_for(lambda: job_status(world, job) == "Complete", timeout=30)
    outcome = ledger(world, job)
    assert outcome["soft@example.test"][:2] == ("sent", 2)  # rendered twice
    visits = sorted(r["Email"] for r in _rows(world, "Visits"))
    assert visits == sorted(addresses)  # one row each: the retry wrote nothing again
    claimed = {
        r["Email"]: r["Code"] for r in _rows(world, "Coupons") if r.get("IsClaimed") == "true"
    }
    assert sorted(claimed) == sorted(addresses)
    soft_body = smtp.bodies["soft@example.test"][0]
    assert f"your code is {claimed['soft@example.test']} (24)" in soft_body
    with world.engine.connect() as conn:
        keys = conn.execute(
            select(ampscript_writes.c.write_key).where(ampscript_writes.c.job_id == job)
        ).all()
    # Each recipient's InsertDE, Lead and Subscriber, recorded once (the retry found them).
    assert len(keys) == 3 * len(addresses)
    with world.engine.connect() as conn:
        leads = conn.execute(select(crm_people.c.email, crm_people.c.sf_id)).all()
        made = conn.execute(select(subscribers.c.subscriber_key)).scalars().all()
    assert sorted(e for e, _ in leads) == sorted(addresses)
    assert all(len(i) == 18 and i.startswith("00Q") for _, i in leads)
    assert sorted(k for k in made if k.startswith("made-")) == sorted(
        f"made-{a}" for a in addresses
    )


def test_the_key_store_keeps_values_sealed(relay) -> None:
    world = relay
    _prepare(world, ["ann@example.test"])
    from sendwell.services.key_store import AccountKeys
    from sendwell.store.tables import account_keys

    with world.engine.connect() as conn:
        stored = [r.sealed_value for r in conn.execute(select(account_keys.c.sealed_value))]
    assert len(stored) == 3 and not any("correct horse" in s for s in stored)
    assert AccountKeys(world.engine, world.mid, "test-secret-key").key("pw-key") == "correct horse"
    assert AccountKeys(world.engine, world.mid, "another-secret").key("pw-key") is None
    assert AccountKeys(world.engine, 999, "test-secret-key").key("pw-key") is None
