"""End-to-end send throughput: Perform start of N recipients → Postfix smtp-sink on 127.0.0.1.

Starts Sendwell (API in this process, `sendwell worker` processes for delivery) on a fresh
database, loads a sendable data extension of N subscribers and a personalised ~5 KB HTML + text
email, posts a SOAP Perform start, and waits for the job to complete. Prints JSON lines: Perform
start latency, audience build time, delivered messages per second, worker CPU per 1,000
messages, peak worker RSS; then smtp-source sending the same number of same-size messages to the
same sink, and the ratio.

    python -m bench.throughput [--recipients 100000] [--workers 2] [--connections 4]
                               [--database-url postgresql://…] [--dkim [rsa|ed25519]]
                               [--no-tracking] [--celery]

With ``--celery`` the workers are Celery workers (``SENDWELL_BROKER_URL``) on a Redis of the
bench's own, and the API process wakes them through it.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.harness import api_server, postfix_tool, redis_server, smtp_sink, worker_processes
from sendwell.app import create_app
from sendwell.config import Settings
from sendwell.services.audience_data import insert_rows, validate_row
from sendwell.services.catalog import find_ref
from sendwell.services.registry import KINDS
from sendwell.store.tables import send_jobs

PARAGRAPH = (
    "We have prepared your monthly account summary and a few offers picked for you. Your loyalty "
    "balance and recent orders are listed below; reply to this message if anything looks wrong "
    "and our team will sort it out within one business day."
)
HTML = (
    "<html><body><h1>Hello %%FirstName%% %%LastName%%</h1>"
    + f"<p>{PARAGRAPH}</p>\n" * 9
    + "<p>Member <b>%%MemberNo%%</b> in %%City%%, %%Points%% points.</p>"
    '<a href="https://shop.example.test/offers">Offers</a></body></html>\n'
)
TEXT = "Hello %%FirstName%% %%LastName%%,\n\n" + (PARAGRAPH + "\n\n") * 8 + "Member %%MemberNo%%\n"


def load(engine, n: int, tracking: bool = True) -> None:  # type: ignore[no-untyped-def]
    app_accounts = __import__("sendwell.services.accounts", fromlist=["Accounts"]).Accounts(engine)
    app_accounts.create_account(1, "Bench")
    app_accounts.create_user(1, "bench", "bench-password")
    with engine.begin() as conn:

        def create(type_name: str, **props: object) -> dict:
            return KINDS[type_name].create(conn, 1, {"__type__": type_name, **props})

        create(
            "SenderProfile",
            CustomerKey="sp",
            Name="Bench",
            FromName="Bench",
            FromAddress="bench@example.test",
        )
        create(
            "SendClassification",
            CustomerKey="Default Commercial",
            Name="C",
            SenderProfile={"CustomerKey": "sp"},
        )
        email = create(
            "Email",
            Name="Bench",
            Subject="Hello %%FirstName%%, your November summary",
            HTMLBody=HTML,
            TextBody=TEXT,
        )
        fields = [
            {"Name": name, "FieldType": kind}
            for name, kind in (
                ("SubscriberKey", "Text"),
                ("Email", "EmailAddress"),
                ("FirstName", "Text"),
                ("LastName", "Text"),
                ("MemberNo", "Text"),
                ("City", "Text"),
                ("Points", "Number"),
            )
        ]
        fields[0]["IsPrimaryKey"] = True
        create(
            "DataExtension",
            CustomerKey="members",
            Name="Members",
            IsSendable=True,
            SendableDataExtensionField={"Name": "SubscriberKey"},
            SendableSubscriberField={"Name": "Subscriber Key"},
            Fields={"Field": fields},
        )
        de = find_ref(conn, 1, "DataExtension", {"CustomerKey": "members"})
        rng = random.Random(7)
        batch = []
        for i in range(1, n + 1):
            batch.append(
                validate_row(
                    de.props,
                    {
                        "SubscriberKey": f"S{i:08d}",
                        "Email": f"user{i}@example.test",
                        "FirstName": f"First{i}",
                        "LastName": f"Last{i}",
                        "MemberNo": f"M{i:08d}",
                        "City": rng.choice(("Oslo", "Lyon", "Porto")),
                        "Points": str(rng.randint(0, 9999)),
                    },
                )
            )
            if len(batch) == 10_000:
                insert_rows(conn, de, batch)
                batch = []
        insert_rows(conn, de, batch)
        create(
            "EmailSendDefinition",
            CustomerKey="bench",
            Name="Bench",
            Email={"ID": email["ID"]},
            SuppressTracking=not tracking,
            SendDefinitionList=[
                {"DataSourceTypeID": "CustomObject", "CustomObjectID": de.object_id}
            ],
        )


PERFORM = """<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Header>
<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
<wsse:UsernameToken><wsse:Username>bench</wsse:Username><wsse:Password>bench-password</wsse:Password>
</wsse:UsernameToken></wsse:Security></soap:Header><soap:Body>
<PerformRequestMsg xmlns="http://exacttarget.com/wsdl/partnerAPI"><Action>start</Action><Definitions>
<Definition xsi:type="EmailSendDefinition"><CustomerKey>bench</CustomerKey></Definition>
</Definitions></PerformRequestMsg></soap:Body></soap:Envelope>"""


def dkim_key(kind: str, directory: Path) -> str:
    """A fresh DKIM key for the bench's From domain, as a SENDWELL_DKIM_KEYS value."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if kind == "rsa"
        else ed25519.Ed25519PrivateKey.generate()
    )
    pem = directory / f"dkim-{kind}.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return f"example.test:bench:{pem}"


def message_size(job_id: int, stored_spec: dict, settings: Settings) -> int:
    """Bytes of one rendered message of the job, so smtp-source sends the same size."""
    from email.utils import formatdate

    from sendwell.domain.jobs import JobSpec
    from sendwell.domain.message import compile_message
    from sendwell.engine.prepared_job import message_spec

    spec = JobSpec.from_json(stored_spec)

    values = {
        "firstname": "First1",
        "lastname": "Last1",
        "memberno": "M00000001",
        "city": "Oslo",
        "points": "1234",
        "emailaddr": "user1@example.test",
    }
    from sendwell.engine.dkim_signing import DkimKeys

    compiled = compile_message(message_spec(job_id, spec, settings))
    data = compiled.render(values, "user1@example.test", None, 1, formatdate()).data
    signer = DkimKeys(settings.dkim_keys_by_domain).signer_for(spec.from_address)
    return len(signer(data) if signer else data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="sendwell worker processes")
    parser.add_argument("--connections", type=int, default=4, help="SMTP connections per worker")
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--dkim", nargs="?", const="rsa", choices=("rsa", "ed25519"), help="sign (RSA-2048)"
    )
    parser.add_argument(
        "--no-tracking", action="store_true", help="SuppressTracking: no link rewriting, no pixel"
    )
    parser.add_argument("--celery", action="store_true", help="Celery workers on Redis")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sendwell-bench-"))
    db_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    try:
        with smtp_sink() as sink_port, ExitStack() as stack:
            broker = stack.enter_context(redis_server()) if args.celery else ""
            run(args, db_url, sink_port, dkim_key(args.dkim, tmp) if args.dkim else "", broker)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(
    args: argparse.Namespace, db_url: str, sink_port: int, dkim_keys: str = "", broker: str = ""
) -> None:
    transport = (
        f"smtp://127.0.0.1:{sink_port}?starttls=off&connections={args.connections}&helo=bench"
    )
    settings = Settings(
        database_url=db_url,
        transport=transport,
        workers=0,
        chunk_size=args.chunk_size,
        dkim_keys=dkim_keys,
        broker_url=broker,
    )
    app = create_app(settings, start_workers=bool(broker))  # with a broker: only its Waker
    engine = app.state.engine
    t0 = time.perf_counter()
    load(engine, args.recipients, tracking=not args.no_tracking)
    print(
        json.dumps(
            {
                "step": "load",
                "recipients": args.recipients,
                "seconds": round(time.perf_counter() - t0, 2),
                "database": db_url.split(":")[0],
                "dkim": args.dkim or "off",
                "tracking": not args.no_tracking,
                "workers": f"{args.workers} {'celery' if broker else 'polling'}",
            }
        )
    )
    env = {
        "SENDWELL_DATABASE_URL": db_url,
        "SENDWELL_TRANSPORT": transport,
        "SENDWELL_CHUNK_SIZE": str(args.chunk_size),
        "SENDWELL_DKIM_KEYS": dkim_keys,
        "SENDWELL_BROKER_URL": broker,
    }
    with api_server(app) as api_port, worker_processes(args.workers, env):
        with httpx.Client(base_url=f"http://127.0.0.1:{api_port}") as client:
            # Warm up: the first UsernameToken check runs scrypt; later ones hit the cache.
            warm = PERFORM.replace("PerformRequestMsg", "Nothing")
            client.post("/Service.asmx", content=warm.encode(), headers={"SOAPAction": "Perform"})
            started = time.perf_counter()
            reply = client.post(
                "/Service.asmx",
                content=PERFORM.encode(),
                headers={"Content-Type": "text/xml", "SOAPAction": "Perform"},
            )
            perform_ms = (time.perf_counter() - started) * 1000
        assert "<OverallStatus>OK</OverallStatus>" in reply.text, reply.text
        job_id = int(reply.text.split("<ID>")[1].split("</ID>")[0])
        print(json.dumps({"step": "perform_start", "job_id": job_id, "ms": round(perform_ms, 1)}))
        while True:
            with engine.connect() as conn:
                job = conn.execute(select(send_jobs).where(send_jobs.c.id == job_id)).one()
            if job.status != "Sending":
                break
            time.sleep(0.05)
        done = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, now stopped
    audience = (job.timings or {}).get("audience") or 0
    delivery_seconds = done - started - audience
    print(
        json.dumps(
            {
                "step": "send",
                "status": job.status,
                "targeted": job.targeted,
                "sent": job.sent,
                "errored": job.errored,
                "deferred": job.deferred,
                "audience_seconds": audience,
                "total_seconds": round(done - started, 2),
                "msgs_per_s": round(job.sent / delivery_seconds),
                "msgs_per_s_including_audience": round(job.sent / (done - started)),
            }
        )
    )
    worker_cpu = usage.ru_utime + usage.ru_stime
    print(
        json.dumps(
            {
                "step": "resources",
                "workers": args.workers,
                "worker_cpu_ms_per_1000_msgs": round(1e6 * worker_cpu / max(job.sent, 1), 1),
                "peak_worker_rss_mb": round(usage.ru_maxrss / 1024, 1),
                "api_process_peak_rss_mb": round(
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
                ),
            }
        )
    )
    size = message_size(job_id, job.spec, settings)
    sessions = args.workers * args.connections
    t = time.perf_counter()
    subprocess.run(
        [
            postfix_tool("smtp-source"),
            "-d",
            "-s",
            str(sessions),
            "-m",
            str(job.sent),
            "-l",
            str(size),
            f"127.0.0.1:{sink_port}",
        ],
        check=True,
    )
    rate = job.sent / (time.perf_counter() - t)
    print(
        json.dumps(
            {
                "step": "smtp-source",
                "messages": job.sent,
                "bytes": size,
                "sessions": sessions,
                "msgs_per_s": round(rate),
                "sendwell_ratio": round((job.sent / delivery_seconds) / rate, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
