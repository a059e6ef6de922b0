"""pysfmc (httpx + pydantic) driving the REST Send API of a real Sendwell, delivered over SMTP.

Usage: ``python pysfmc_send.py WORKDIR``, inside a network namespace with only loopback. Sendwell
delivers with ``smtp://`` to an aiosmtpd recorder started in this process.

pysfmc has one auth host setting, the computed ``SFMCSettings.auth_base_url``
(``https://{subdomain}.auth.marketingcloudapis.com``); the only change made to it here is a
subclass whose ``auth_base_url`` is the local server. Everything after the token (the REST base)
comes from the token reply's ``rest_instance_url``, as in Marketing Cloud.

Recipe: the CRM folder of the Send API tests (``write_crm``) is written to ``WORKDIR/crm`` and
imported for the demo MID; then through pysfmc's ``SFMCClient``: the look-ups (``get`` on
``/asset/v1/content/assets`` and ``/sendwell/v1/sendclassifications``, and pysfmc's typed
``assets.query.get_assets``), create a definition with a Campaign target and a Contact
exclusion, schedule it with StartImmediately, poll the instance until it is done, read the
definition back; then error paths: an unknown definition id, an unknown route, a wrong client
secret.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import harness
from pydantic import SecretStr
from pysfmc import SFMCClient, SFMCError, SFMCSettings
from tests.integration.send_api_support import BASE, CAMPAIGN, C, write_crm

from sendwell.services.salesforce.crm_import import import_folder

TERMINAL = ("Complete", "Error", "Canceled")
EMAIL_KEY, CLASSIFICATION_KEY = "demo_newsletter", "Default Commercial"


class LocalSettings(SFMCSettings):
    """pysfmc's settings with the auth host pointed at Sendwell (``subdomain`` is then unused)."""

    local_auth_url: str

    @property
    def auth_base_url(self) -> SecretStr:
        return SecretStr(self.local_auth_url)


def settings(server: harness.Server, secret: str | None = None) -> LocalSettings:
    return LocalSettings(
        client_id=server.client_id,
        client_secret=secret if secret is not None else server.client_secret,
        account_id=str(server.mid),
        subdomain="mc-not-used-here",
        local_auth_url=server.base,
    )


def raised(call: Any) -> dict[str, Any]:
    """What a pysfmc call returned or raised, as plain data."""
    try:
        return {"raised": None, "returned": call()}
    except SFMCError as exc:
        body: Any = None
        if exc.response is not None:
            try:
                body = exc.response.json()
            except ValueError:
                body = exc.response.text
        return {
            "raised": type(exc).__name__,
            "message": str(exc),
            "status_code": exc.status_code,
            "body": body,
        }
    except Exception as exc:  # anything outside pysfmc's hierarchy is a finding too
        return {"raised": type(exc).__name__, "message": str(exc), "foreign": True}


def recipe(server: harness.Server, result: dict[str, Any]) -> None:
    crm = Path(sys.argv[1]) / "crm"  # the run's workdir; the test reads the CSV files from here
    write_crm(crm)
    result["crm_import"] = import_folder(server.engine, server.mid, crm)

    with SFMCClient(settings=settings(server), timeout=15) as client:
        result["rest_base"] = client._authenticator.get_rest_base_url()

        assets = client.get("/asset/v1/content/assets")
        result["assets"] = assets
        email_id = next(
            i["legacyData"]["legacyId"] for i in assets["items"] if i["customerKey"] == EMAIL_KEY
        )
        typed = client.assets.query.get_assets(page=1, page_size=50)
        result["typed_assets"] = {
            "type": type(typed).__name__,
            "count": typed.count,
            "items": [
                {"type": type(a).__name__, "customer_key": a.customer_key, "legacy": a.legacy_data}
                for a in typed.items
            ],
        }
        classes = client.get("/sendwell/v1/sendclassifications")
        result["classifications"] = classes
        classification_id = next(
            i["id"] for i in classes["items"] if i["key"] == CLASSIFICATION_KEY
        )
        result["lookups"] = {"EmailId": email_id, "SendClassificationId": classification_id}

        definition = {
            "Name": "pysfmc compatibility send",
            "EmailId": email_id,
            "SendClassificationId": str(classification_id),
            "DedupeByEmail": True,
            "Targets": [{"Type": "Campaign", "Name": "Spring", "Id": CAMPAIGN}],
            "Exclusions": [{"Type": "Contact", "Name": "Carl", "Id": C[2]}],
        }
        result["definition_sent"] = definition
        created = client.post(BASE, json={"EmailDefinition": definition})
        result["create"] = created
        definition_id = created["DefinitionId"]

        scheduled = client.post(
            f"{BASE}/{definition_id}/schedule",
            json={"Schedule": {"StartImmediately": True, "AllRecipientsOptedIn": True}},
        )
        result["schedule"] = scheduled
        instance_id = scheduled["InstanceId"]

        polls: list[str] = []

        def done() -> Any:
            status = client.get(f"{BASE}/instance/{instance_id}")
            polls.append(status["Status"])
            return status if status["Status"] in TERMINAL else None

        result["status"] = harness.wait_for(done, timeout=60)
        result["polled_statuses"] = polls
        result["definition"] = client.get(f"{BASE}/{definition_id}")
        result["instances"] = client.get(f"{BASE}/{definition_id}/instance")

        recorder = server.extra["smtp"]
        result["smtp"] = [
            {"mail_from": m.mail_from, "rcpt_to": m.rcpt_to, **harness.summarise(m.message)}
            for m in recorder.messages
        ]

        # Error paths, all through the same pysfmc client.
        result["unknown_definition"] = raised(lambda: client.get(f"{BASE}/987654321"))
        result["unknown_instance"] = raised(lambda: client.get(f"{BASE}/instance/987654321"))
        result["unknown_route"] = raised(lambda: client.get("/data/v1/no-such-route"))
        result["bad_definition"] = raised(
            lambda: client.post(BASE, json={"EmailDefinition": {"Name": "no email, no targets"}})
        )

    with SFMCClient(settings=settings(server, secret="wrong-secret"), timeout=15) as wrong:
        result["wrong_secret"] = raised(lambda: wrong.get("/asset/v1/content/assets"))


if __name__ == "__main__":
    harness.run(recipe, smtp=True)
