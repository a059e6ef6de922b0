"""pysfmc's Content Builder helpers (``assets.content`` / ``assets.query``) against a real Sendwell,
and the email asset they create sent through the REST Send API, delivered over SMTP.

Usage: ``python pysfmc_assets.py WORKDIR``, inside a network namespace with only loopback. As in
``pysfmc_send.py``, the only change made to pysfmc is the settings subclass whose
``auth_base_url`` is the local server.

Recipe, through one ``SFMCClient``: create an ``htmlemail`` with AMPscript in its views, an
``htmlblock``, a ``textblock``, a ``codesnippetblock`` and FuelSDK-Node's bare
``templatebasedemail`` with pysfmc's typed ``create_asset``; read one back with
``get_asset_by_id``; list with ``get_assets`` (``$filter``, ``$orderBy``, paging); change the
email with ``patch`` and find it with the advanced query (``post``); go down the error paths
(a duplicate key, an unknown type, broken AMPscript, an unknown id); delete a block with
``delete_asset``; then send the email asset to the CRM campaign with the Send API and poll the
instance until it is done.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import harness
from pysfmc import SFMCClient
from pysfmc_send import TERMINAL, raised, settings
from tests.integration.send_api_support import BASE, CAMPAIGN, write_crm

from sendwell.services.salesforce.crm_import import import_folder

ASSETS = "/asset/v1/content/assets"
HTML = (
    "<p>Dear %%=ProperCase(FirstName)=%%,</p>%%[ SET @n = Length(FirstName) ]%%<p>%%=v(@n)=%%</p>"
)
TEXT = "Dear %%FirstName%%"


def typed(asset: Any) -> dict[str, Any]:
    """What pysfmc's Asset model parsed from Sendwell's reply."""
    views = asset.views or {}
    return {
        "type": type(asset).__name__,
        "id": asset.id,
        "customer_key": asset.customer_key,
        "name": asset.name,
        "asset_type": asset.asset_type.name if asset.asset_type else None,
        "legacy": asset.legacy_data,
        "content": asset.content,
        "html": views["html"].content if "html" in views else None,
        "category": asset.category.name if asset.category else None,
        "owner": asset.owner.name if asset.owner else None,
        "created_date": asset.created_date,
    }


def create_all(client: SFMCClient, result: dict[str, Any]) -> dict[str, Any]:
    create = client.assets.content.create_asset
    made = {
        "email": create(
            name="Order confirmation",
            asset_type_name="htmlemail",
            asset_type_id=208,
            customer_key="order-confirmation",
            views={
                "html": {"content": HTML},
                "text": {"content": TEXT},
                "subjectline": {"content": "Thanks %%FirstName%%"},
            },
        ),
        "block": create(
            name="Footer",
            asset_type_name="htmlblock",
            asset_type_id=197,
            customer_key="footer",
            content="<p>Footer</p>",
        ),
        "text": create(
            name="Legal", asset_type_name="textblock", asset_type_id=196, content="Legal"
        ),
        "snippet": create(
            name="Snippet",
            asset_type_name="codesnippetblock",
            asset_type_id=220,
            content="%%[ SET @x = 1 ]%%",
        ),
        # FuelSDK-Node's campaign tests create exactly this: a name and a type.
        "template": create(
            name="NTO Welcome Series Email", asset_type_name="templatebasedemail", asset_type_id=207
        ),
    }
    result["created"] = {name: typed(asset) for name, asset in made.items()}
    return made


def read_and_change(client: SFMCClient, made: dict[str, Any], result: dict[str, Any]) -> None:
    result["got"] = typed(client.assets.query.get_asset_by_id(made["block"].id))
    page = client.assets.query.get_assets(
        page=1, page_size=2, order_by="name desc", filter_expr="assetType.name like 'block'"
    )
    result["listed"] = {
        "type": type(page).__name__,
        "count": page.count,
        "names": [a.name for a in page.items],
    }
    email_id = made["email"].id
    result["patched"] = client.patch(
        f"{ASSETS}/{email_id}",
        json={"views": {"subjectline": {"content": "Order confirmed, %%FirstName%%"}}},
    )
    result["queried"] = client.post(
        f"{ASSETS}/query",
        json={
            "query": {
                "property": "views.subjectline.content",
                "simpleOperator": "contains",
                "value": "confirmed",
            },
            "fields": ["legacyData"],
        },
    )
    create = client.assets.content.create_asset
    result["duplicate"] = raised(
        lambda: create(
            name="Other", asset_type_name="htmlblock", asset_type_id=197, customer_key="footer"
        )
    )
    result["unknown_type"] = raised(
        lambda: create(name="Picture", asset_type_name="png", asset_type_id=28)
    )
    result["bad_ampscript"] = raised(
        lambda: create(
            name="Broken",
            asset_type_name="htmlblock",
            asset_type_id=197,
            content="%%[ SET @x = ]%%",
        )
    )
    result["unknown_id"] = raised(lambda: client.assets.query.get_asset_by_id(987654321))
    result["deleted"] = client.assets.content.delete_asset(made["text"].id)
    result["after_delete"] = raised(lambda: client.assets.query.get_asset_by_id(made["text"].id))


def send(client: SFMCClient, server: harness.Server, email_id: int, result: dict[str, Any]) -> None:
    classes = client.get("/sendwell/v1/sendclassifications")
    classification = next(i["id"] for i in classes["items"] if i["key"] == "Default Commercial")
    definition = {
        "Name": "pysfmc asset send",
        "EmailId": email_id,
        "SendClassificationId": str(classification),
        "DedupeByEmail": True,
        "Targets": [{"Type": "Campaign", "Name": "Spring", "Id": CAMPAIGN}],
    }
    created = client.post(BASE, json={"EmailDefinition": definition})
    result["send_create"] = created
    scheduled = client.post(
        f"{BASE}/{created['DefinitionId']}/schedule",
        json={"Schedule": {"StartImmediately": True, "AllRecipientsOptedIn": True}},
    )

    def done() -> Any:
        status = client.get(f"{BASE}/instance/{scheduled['InstanceId']}")
        return status if status["Status"] in TERMINAL else None

    result["send_status"] = harness.wait_for(done, timeout=60)
    result["smtp"] = []
    for message in server.extra["smtp"].messages:
        html = message.message.get_body(("html",))
        result["smtp"].append(
            {
                "rcpt_to": message.rcpt_to,
                **harness.summarise(message.message),
                "html": html.get_content() if html is not None else None,
            }
        )


def recipe(server: harness.Server, result: dict[str, Any]) -> None:
    crm = Path(sys.argv[1]) / "crm"
    write_crm(crm)
    result["crm_import"] = import_folder(server.engine, server.mid, crm)
    with SFMCClient(settings=settings(server), timeout=15) as client:
        made = create_all(client, result)
        read_and_change(client, made, result)
        send(client, server, made["email"].legacy_data["legacyId"], result)


if __name__ == "__main__":
    harness.run(recipe, smtp=True)
