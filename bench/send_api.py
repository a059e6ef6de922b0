"""REST Send API under load: Schedule Send answer times while a 100,000-recipient send runs,
and the time to resolve a 100,000-member campaign from the local CRM store.

Loads a local CRM folder (CSV, Salesforce field names) with one campaign of N members, creates
a definition targeting it over REST and schedules it now (workers deliver into Postfix's
smtp-sink); while that send runs it times Schedule Send calls on a second definition.

    python -m bench.send_api [--members 100000] [--workers 2] [--samples 300]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.harness import api_server, smtp_sink, worker_processes
from sendwell.app import create_app
from sendwell.config import Settings
from sendwell.services.accounts import Accounts
from sendwell.services.registry import KINDS
from sendwell.services.salesforce.crm_import import import_folder
from sendwell.store.tables import send_jobs, syncs

BASE = "/data/v1/integration/send/salesforce/email"
CAMPAIGN = "701000000000001"


def write_crm(folder: Path, members: int) -> None:
    folder.mkdir(parents=True)
    with (folder / "contacts.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Id", "FirstName", "LastName", "Email", "HasOptedOutOfEmail"])
        for i in range(members):
            out.writerow([f"003{i:012d}", f"First{i}", f"Last{i}", f"c{i}@example.test", "false"])
    with (folder / "campaigns.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["Id", "Name"], [CAMPAIGN, "Big campaign"]])
    with (folder / "campaign_members.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["CampaignId", "ContactId"])
        out.writerows([CAMPAIGN, f"003{i:012d}"] for i in range(members))


def setup(engine, folder: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    accounts = Accounts(engine)
    accounts.create_account(1, "Bench")
    accounts.create_package(1, "bench", "bench-client", "bench-secret")
    started = time.perf_counter()
    import_folder(engine, 1, folder)
    print(json.dumps({"step": "crm_import", "seconds": round(time.perf_counter() - started, 2)}))
    with engine.begin() as conn:

        def create(type_name: str, **props: object) -> dict:
            return KINDS[type_name].create(conn, 1, {"__type__": type_name, **props})

        profile = create("SenderProfile", Name="B", FromName="Bench", FromAddress="b@example.test")
        classification = create("SendClassification", Name="C", SenderProfile={"ID": profile["ID"]})
        email = create(
            "Email",
            Name="Bench",
            Subject="Hello %%FirstName%%",
            TextBody="Dear %%FirstName%% %%LastName%%,\n" + "Some news for you.\n" * 60,
            HTMLBody="<p>Dear %%FirstName%% %%LastName%%</p>" + "<p>Some news for you.</p>" * 60,
        )
    return {"email": email["ID"], "classification": classification["ID"]}


def definition(ids: dict[str, int], name: str) -> dict:
    return {
        "EmailDefinition": {
            "Name": name,
            "EmailId": ids["email"],
            "SendClassificationId": ids["classification"],
            "Targets": [{"Type": "Campaign", "Name": "Big campaign", "Id": CAMPAIGN}],
        }
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sendwell-bench-"))
    try:
        write_crm(tmp / "crm", args.members)
        with smtp_sink() as sink_port:
            run(args, tmp, sink_port)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path, sink_port: int) -> None:
    db_url = f"sqlite:///{tmp}/bench.db"
    transport = f"smtp://127.0.0.1:{sink_port}?starttls=off&connections=4&helo=bench"
    app = create_app(Settings(database_url=db_url, transport=transport, workers=0), False)
    engine = app.state.engine
    ids = setup(engine, tmp / "crm")
    env = {"SENDWELL_DATABASE_URL": db_url, "SENDWELL_TRANSPORT": transport}
    with api_server(app) as port, worker_processes(args.workers, env):
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        token = client.post(
            "/v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": "bench-client",
                "client_secret": "bench-secret",
            },
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        big = client.post(BASE, json=definition(ids, "Big")).json()["DefinitionId"]
        other = client.post(BASE, json=definition(ids, "Other")).json()["DefinitionId"]
        started = time.perf_counter()
        instance = client.post(
            f"{BASE}/{big}/schedule",
            json={"Schedule": {"StartImmediately": True, "AllRecipientsOptedIn": True}},
        ).json()["InstanceId"]
        while client.get(f"{BASE}/instance/{instance}").json()["Status"] in (
            "Scheduled",
            "Processing",
        ):
            time.sleep(0.02)
        later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        timings, sending = [], 0
        for _ in range(args.samples):
            t = time.perf_counter()
            reply = client.post(
                f"{BASE}/{other}/schedule",
                json={"Schedule": {"StartDateTime": later, "AllRecipientsOptedIn": True}},
            )
            timings.append((time.perf_counter() - t) * 1000)
            assert reply.json()["IsError"] is False, reply.text
            with engine.connect() as conn:
                status = (
                    conn.execute(select(send_jobs.c.status).order_by(send_jobs.c.id))
                    .scalars()
                    .first()
                )
            sending += status == "Sending"
        while (status := client.get(f"{BASE}/instance/{instance}").json())["Status"] not in (
            "Complete",
            "Error",
            "Canceled",
        ):
            time.sleep(0.05)
        total = time.perf_counter() - started
        with engine.connect() as conn:
            sync_seconds = (
                conn.execute(select(syncs.c.seconds).order_by(syncs.c.id)).scalars().first()
            )
            job = conn.execute(select(send_jobs).where(send_jobs.c.id == status["JobId"])).one()
    timings.sort()
    print(
        json.dumps(
            {
                "step": "audience",
                "members": args.members,
                "crm_to_sync_seconds": sync_seconds,
                "audience_build_seconds": (job.timings or {}).get("audience"),
                "targeted": job.targeted,
            }
        )
    )
    print(
        json.dumps(
            {
                "step": "schedule_send_latency",
                "samples": len(timings),
                "samples_while_sending": sending,
                "p50_ms": round(statistics.median(timings), 2),
                "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 2),
                "max_ms": round(timings[-1], 2),
            }
        )
    )
    print(
        json.dumps(
            {
                "step": "send",
                "status": status["Status"],
                "sent": status["NumberSent"],
                "seconds_schedule_to_complete": round(total, 2),
                "msgs_per_s_overall": round(status["NumberSent"] / total),
            }
        )
    )


if __name__ == "__main__":
    main()
