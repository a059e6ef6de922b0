"""The API under load: SOAP Perform start and REST Schedule Send, 50 concurrent clients, while a
1,000,000-recipient send delivers.

Starts Sendwell as separate processes (``sendwell serve`` with no in-process workers, and
``sendwell worker`` processes delivering into Postfix's smtp-sink on 127.0.0.1) on a fresh
database: SQLite by default, or a database of its own made on the PostgreSQL server given by
``--postgres`` (dropped afterwards). The load comes from ``wrk`` (a C load generator in a
process of its own, so the client does not eat the server's CPU):

- ``perform``: SOAP ``Perform`` ``start`` of an EmailSendDefinition over a 5-row data
  extension, so every call makes a real job that the workers build and deliver;
- ``schedule``: REST ``POST …/{definitionId}/schedule`` at a time a day away, of a definition
  targeting a 5-member campaign (an instance stored, as bench/send_api.py measures it).

Each is measured once with nothing else running (``quiet``), then, per round, while a fresh 1M
send is delivering (``under_send``). Prints JSON lines: calls/s, p50/p95/p99/max, answers that
were not a success, the CPU share of the API process and of the workers in the window, and
how many messages the 1M send delivered meanwhile.

    python -m bench.api_load [--postgres postgresql://postgres@127.0.0.1:54329/]
        [--recipients 1000000] [--workers 2] [--clients 50] [--seconds 15] [--rounds 2]
        [--worker-nice 10]  # the workers yield the CPU to the API (SENDWELL_WORKER_NICE)
        [--profile DIR]     # py-spy record (raw stacks) of the API process in each window
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, select, text

from bench.harness import free_port, smtp_sink, wait_port, worker_processes
from bench.send_api import BASE, CAMPAIGN
from bench.throughput import PERFORM, load
from sendwell.services.accounts import Accounts
from sendwell.services.audience_data import insert_rows, validate_row
from sendwell.services.catalog import find_ref
from sendwell.services.registry import KINDS
from sendwell.services.salesforce.crm_import import import_folder
from sendwell.services.send_control import control
from sendwell.store.db import make_engine, upgrade
from sendwell.store.tables import send_jobs

SECRET = "bench-secret-key"
SMALL = 5  # recipients of each job the load makes
PYSPY_MODE = os.environ.get("BENCH_PYSPY_MODE", "--idle").split()

# wrk's Lua: one fixed request; an answer counts as a success only with the marker in its body;
# done() prints one JSON object with wrk's own latency histogram.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, MARKER, 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  io.write(string.format(
    'JSON {"calls":%d,"seconds":%.3f,"not_ok":%d,"socket_errors":%d,' ..
    '"p50_ms":%.2f,"p95_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}\\n',
    summary.requests, summary.duration / 1e6, bad_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def small_objects(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A 5-row data extension with its EmailSendDefinition ``small`` (the Perform load), and
    what a REST definition needs (email and classification IDs)."""
    with engine.begin() as conn:

        def create(type_name: str, **props: object) -> dict:
            return KINDS[type_name].create(conn, 1, {"__type__": type_name, **props})

        email = create(
            "Email", Name="Small", Subject="Hi %%FirstName%%", TextBody="Hi %%FirstName%%"
        )
        classification = create("SendClassification", Name="S", SenderProfile={"CustomerKey": "sp"})
        fields = [
            {"Name": "SubscriberKey", "FieldType": "Text", "IsPrimaryKey": True},
            {"Name": "Email", "FieldType": "EmailAddress"},
            {"Name": "FirstName", "FieldType": "Text"},
        ]
        create(
            "DataExtension",
            CustomerKey="few",
            Name="Few",
            IsSendable=True,
            SendableDataExtensionField={"Name": "SubscriberKey"},
            SendableSubscriberField={"Name": "Subscriber Key"},
            Fields={"Field": fields},
        )
        de = find_ref(conn, 1, "DataExtension", {"CustomerKey": "few"})
        rows = [
            validate_row(
                de.props,
                {"SubscriberKey": f"F{i}", "Email": f"few{i}@example.test", "FirstName": "F"},
            )
            for i in range(SMALL)
        ]
        insert_rows(conn, de, rows)
        create(
            "EmailSendDefinition",
            CustomerKey="small",
            Name="Small",
            Email={"ID": email["ID"]},
            SendDefinitionList=[
                {"DataSourceTypeID": "CustomObject", "CustomObjectID": de.object_id}
            ],
        )
    return {"email": email["ID"], "classification": classification["ID"]}


def small_campaign(engine, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """The local CRM store with one campaign of 5 members, the REST definition's target."""
    folder.mkdir()
    contacts = ["Id,FirstName,LastName,Email,HasOptedOutOfEmail"]
    contacts += [f"003{i:012d},C,{i},c{i}@example.test,false" for i in range(SMALL)]
    (folder / "contacts.csv").write_text("\n".join(contacts) + "\n")
    (folder / "campaigns.csv").write_text(f"Id,Name\n{CAMPAIGN},Small campaign\n")
    members = ["CampaignId,ContactId"] + [f"{CAMPAIGN},003{i:012d}" for i in range(SMALL)]
    (folder / "campaign_members.csv").write_text("\n".join(members) + "\n")
    import_folder(engine, 1, folder)


def wrk(url: str, clients: int, seconds: float, tmp: Path, request: dict, marker: str) -> dict:
    """``clients`` connections sending ``request`` as fast as answers come, for ``seconds``."""
    script = tmp / "load.lua"
    setup = (
        f"wrk.method = 'POST'\nwrk.body = {json.dumps(request['body'])}\n"
        + "".join(
            f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n"
            for k, v in request["headers"].items()
        )
        + f"MARKER = {json.dumps(marker)}\n"
    )
    script.write_text(setup + WRK_SCRIPT)
    out = subprocess.run(
        [
            "wrk",
            f"-c{clients}",
            "-t2",
            f"-d{int(seconds)}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next((x for x in out.splitlines() if x.startswith("JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no figures:\n{out}")
    figures = json.loads(line[5:])
    figures["calls_per_s"] = round(figures["calls"] / figures["seconds"])
    return figures


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def job_sent(engine, job_id: int) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(
            conn.execute(select(send_jobs.c.sent).where(send_jobs.c.id == job_id)).scalar_one()
        )


def cancel_small_jobs(engine, big_job: int | None) -> None:  # type: ignore[no-untyped-def]
    """Cancel what the window's Perform calls left to send, so that the next window's workers
    deliver the 1M send rather than a backlog of small jobs."""
    with engine.begin() as conn:
        left = conn.execute(
            select(send_jobs.c.id).where(
                send_jobs.c.id != (big_job or 0),
                send_jobs.c.status.not_in(("Complete", "Canceled", "Error")),
            )
        ).scalars()
        for job_id in list(left):
            control(conn, 1, job_id, "cancel")


@contextmanager
def sendwell_server(env: dict[str, str]) -> Iterator[tuple[int, int]]:
    """``sendwell serve`` in a process of its own (no in-process workers); yields port and pid."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sendwell", "serve", "--port", str(port)],
        env={**os.environ, **env, "SENDWELL_WORKERS": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(30)


@contextmanager
def profiler(pid: int, seconds: float, out: Path | None) -> Iterator[None]:
    """py-spy recording the API process (every thread, idle ones too) for the window."""
    spy = None
    if out is not None:
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "-p",
                str(pid),
                "-r",
                "50",
                "-d",
                str(int(seconds)),
                "--idle",
                "--threads",
                "-f",
                "raw",
                "-o",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        yield
    finally:
        if spy is not None:
            spy.wait(60)


def measure(args, ctx: dict, name: str, phase: str, big_job: int | None) -> None:  # type: ignore[no-untyped-def]
    """One wrk window on one call, with the CPU used meanwhile; prints its JSON line."""
    server_pid, worker_pids = ctx["server_pid"], ctx["worker_pids"]
    before_cpu = (cpu_seconds([server_pid]), cpu_seconds(worker_pids))
    before_sent = job_sent(ctx["engine"], big_job) if big_job else 0
    out = args.profile / f"{ctx['db']}-{name}-{phase}.txt" if args.profile else None
    with profiler(server_pid, args.seconds, out):
        figures = wrk(
            ctx["url"] + ctx[name]["path"],
            args.clients,
            args.seconds,
            args.tmp,
            ctx[name],
            ctx[name]["marker"],
        )
    api_cpu = cpu_seconds([server_pid]) - before_cpu[0]
    workers_cpu = cpu_seconds(worker_pids) - before_cpu[1]
    with open("/proc/loadavg") as handle:
        load1 = float(handle.read().split()[0])
    line = {
        "step": name,
        "phase": phase,
        "database": ctx["db"],
        "clients": args.clients,
        **figures,
        "api_cpu_share": round(api_cpu / figures["seconds"], 2),
        "workers_cpu_share": round(workers_cpu / figures["seconds"], 2),
        "loadavg_1m": load1,
    }
    cancel_small_jobs(ctx["engine"], big_job)
    if big_job:
        line["big_send_msgs_per_s"] = round(
            (job_sent(ctx["engine"], big_job) - before_sent) / figures["seconds"]
        )
    print(json.dumps(line), flush=True)


def start_big(ctx: dict) -> int:
    """Perform start of the 1M send; returns its JobID once it is delivering."""
    reply = httpx.post(
        ctx["url"] + "/Service.asmx",
        content=PERFORM.encode(),
        headers={"Content-Type": "text/xml", "SOAPAction": "Perform"},
        timeout=120,
    )
    assert "<OverallStatus>OK</OverallStatus>" in reply.text, reply.text[:500]
    job_id = int(reply.text.split("<ID>")[1].split("</ID>")[0])
    started = time.perf_counter()
    while job_sent(ctx["engine"], job_id) == 0:
        time.sleep(0.1)
    print(
        json.dumps(
            {
                "step": "big_send_delivering",
                "job_id": job_id,
                "seconds": round(time.perf_counter() - started, 1),
            }
        ),
        flush=True,
    )
    return job_id


def requests_for(ctx: dict, ids: dict[str, int]) -> None:
    """The token, the REST definition, and the two fixed requests wrk repeats."""
    with httpx.Client(base_url=ctx["url"], timeout=60) as client:
        token = client.post(
            "/v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": "bench-client",
                "client_secret": "bench-client-secret",
            },
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        created = client.post(
            BASE,
            json={
                "EmailDefinition": {
                    "Name": "Small",
                    "EmailId": ids["email"],
                    "SendClassificationId": ids["classification"],
                    "Targets": [{"Type": "Campaign", "Name": "Small campaign", "Id": CAMPAIGN}],
                }
            },
        )
        assert created.status_code == 201, created.text
        definition = created.json()["DefinitionId"]
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    ctx["perform"] = {
        "path": "/Service.asmx",
        "body": PERFORM.replace(
            "<CustomerKey>bench</CustomerKey>", "<CustomerKey>small</CustomerKey>"
        ),
        "headers": {"Content-Type": "text/xml", "SOAPAction": "Perform"},
        "marker": "<OverallStatus>OK</OverallStatus>",
    }
    ctx["schedule"] = {
        "path": f"{BASE}/{definition}/schedule",
        # At a time a day away (as bench/send_api.py): each call stores an instance; the
        # workers keep to the 1M send (Perform's jobs are the ones they start at once).
        "body": json.dumps({"Schedule": {"StartDateTime": later, "AllRecipientsOptedIn": True}}),
        "headers": {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        "marker": '"IsError":false',
    }
    # Warm up: the first UsernameToken check runs scrypt; later ones hit the cache.
    httpx.post(
        ctx["url"] + ctx["perform"]["path"],
        content=ctx["perform"]["body"].encode(),
        headers=ctx["perform"]["headers"],
        timeout=60,
    )


def run(args: argparse.Namespace, db_url: str, sink_port: int) -> None:
    transport = f"smtp://127.0.0.1:{sink_port}?starttls=off&connections=4&helo=bench"
    engine = make_engine(db_url)
    upgrade(engine)
    t0 = time.perf_counter()
    load(engine, args.recipients)
    Accounts(engine).create_package(1, "Bench", "bench-client", "bench-client-secret")
    ids = small_objects(engine)
    small_campaign(engine, args.tmp / "crm")
    db = db_url.split(":")[0].split("+")[0]
    print(
        json.dumps(
            {
                "step": "load",
                "database": db,
                "worker_nice": args.worker_nice,
                "recipients": args.recipients,
                "seconds": round(time.perf_counter() - t0, 1),
            }
        ),
        flush=True,
    )
    env = {
        "SENDWELL_DATABASE_URL": db_url,
        "SENDWELL_TRANSPORT": transport,
        "SENDWELL_SECRET_KEY": SECRET,
    }
    if args.worker_nice:
        env["SENDWELL_WORKER_NICE"] = str(args.worker_nice)
    with sendwell_server(env) as (port, server_pid), worker_processes(args.workers, env) as workers:
        ctx = {
            "url": f"http://127.0.0.1:{port}",
            "engine": engine,
            "db": db,
            "server_pid": server_pid,
            "worker_pids": [w.pid for w in workers],
        }
        requests_for(ctx, ids)
        for name in ("perform", "schedule"):
            measure(args, ctx, name, "quiet", None)
        for _ in range(args.rounds):
            big = start_big(ctx)
            for name in ("perform", "schedule"):
                measure(args, ctx, name, "under_send", big)
            with engine.begin() as conn:
                control(conn, 1, big, "cancel")


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """SQLite in the temporary folder, or a fresh PostgreSQL database dropped afterwards."""
    if not args.postgres:
        yield f"sqlite:///{args.tmp}/bench.db"
        return
    name = f"sendwell_apiload_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        args.postgres.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres",
        default=None,
        help="a PostgreSQL server URL (a database of its own is made there)",
    )
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument(
        "--worker-nice", type=int, default=0, help="SENDWELL_WORKER_NICE of the workers (0-19)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found (Debian package: wrk)")
    args.tmp = Path(tempfile.mkdtemp(prefix="sendwell-bench-"))
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    try:
        with database(args) as db_url, smtp_sink() as sink_port:
            run(args, db_url, sink_port)
    finally:
        shutil.rmtree(args.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
