"""What AMPscript's ContentBlockBy* and a transactional definition's ``content.customerKey`` read:
an account's content blocks and email assets, saved over REST and SOAP, on both stores."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from tests.integration.send_api_support import bearer
from tests.support import create, soap, text

from sendwell.services.assets import email_by_asset_key
from sendwell.services.content_blocks import AccountContent

ASSETS = "/asset/v1/content/assets"


def saved(world, auth: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    reply = world.client.post(ASSETS, json=body, headers=auth)
    assert reply.status_code == 201, reply.text
    return reply.json()


def footer(world, auth: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return saved(
        world,
        auth,
        {
            "name": "Footer",
            "customerKey": "footer-key",
            "assetType": {"id": 197},
            "content": "<p>Footer %%=v(@x)=%%</p>",
        },
    )


def test_blocks_are_found_by_name_key_and_id(world) -> None:
    auth = bearer(world)
    block = footer(world, auth)
    email = saved(
        world,
        auth,
        {
            "name": "Receipt",
            "customerKey": "receipt",
            "assetType": {"id": 208},
            "views": {"html": {"content": "<p>Receipt</p>"}, "text": {"content": "Receipt"}},
        },
    )
    content = AccountContent(world.engine, world.mid)
    expected = "<p>Footer %%=v(@x)=%%</p>"
    assert content.block("key", "footer-key") == expected
    assert content.block("key", "FOOTER-KEY") == expected  # keys differ in case only
    assert content.block("name", "footer") == expected
    assert content.block("name", "Content Builder\\Shared\\Footer") == expected
    assert content.block("id", str(block["id"])) == expected
    assert content.block("key", "receipt") == "<p>Receipt</p>"  # an email: its HTML view
    assert content.block("id", str(email["legacyData"]["legacyId"])) == "<p>Receipt</p>"
    for by, ref in (("key", "nope"), ("name", "Nope"), ("id", "999999"), ("id", "x")):
        assert content.block(by, ref) is None, (by, ref)
    with pytest.raises(ValueError):
        content.block("path", "Footer")
    assert AccountContent(world.engine, world.other_mid).block("key", "footer-key") is None


def test_a_block_comes_before_an_email_of_the_same_name(world) -> None:
    auth = bearer(world)
    soap(
        world.client,
        "Create",
        create("Email", "<Name>Banner</Name><HTMLBody>email banner</HTMLBody>"),
        user=world.user,
    )
    saved(world, auth, {"name": "Banner", "assetType": {"id": 196}, "content": "block banner"})
    assert AccountContent(world.engine, world.mid).block("name", "banner") == "block banner"


def test_a_job_reads_each_block_once(world) -> None:
    auth = bearer(world)
    block = footer(world, auth)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(world.engine, "before_cursor_execute", count)
    try:
        content = AccountContent(world.engine, world.mid)
        for _ in range(1000):  # one call per recipient
            assert content.block("key", "footer-key")
            assert content.block("name", "Missing") is None
        assert len(statements) == 2
    finally:
        event.remove(world.engine, "before_cursor_execute", count)
    changed = world.client.patch(
        f"{ASSETS}/{block['id']}", json={"content": "<p>New footer</p>"}, headers=auth
    )
    assert changed.status_code == 200
    assert content.block("key", "footer-key") == "<p>Footer %%=v(@x)=%%</p>"  # this job's copy
    assert AccountContent(world.engine, world.mid).block("key", "footer-key") == "<p>New footer</p>"


def test_a_definitions_content_key_resolves_to_the_email_it_sends(world) -> None:
    auth = bearer(world)
    email = saved(
        world,
        auth,
        {
            "name": "Password reset",
            "customerKey": "pw-reset",
            "assetType": {"id": 208},
            "views": {"html": {"content": "<p>Reset</p>"}},
        },
    )
    footer(world, auth)
    _, made = soap(
        world.client,
        "Create",
        create("Email", "<CustomerKey>soap-key</CustomerKey><Name>S</Name><TextBody>t</TextBody>"),
        user=world.user,
    )
    soap_id = int(text(made, "p:Results/p:NewID") or 0)
    with world.engine.connect() as conn:
        row = email_by_asset_key(conn, world.mid, "pw-reset")
        assert row is not None and row.id == email["legacyData"]["legacyId"]
        assert row.props["HTMLBody"] == "<p>Reset</p>"
        assert email_by_asset_key(conn, world.mid, "soap-key").id == soap_id
        assert email_by_asset_key(conn, world.mid, "footer-key") is None  # a block sends nothing
        assert email_by_asset_key(conn, world.other_mid, "pw-reset") is None
        assert email_by_asset_key(conn, world.mid, "unknown") is None
