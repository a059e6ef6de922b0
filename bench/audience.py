"""Audience build at scale: a data extension of N subscribers into a send's recipient ledger.

The account holds a sendable data extension of N rows (5% of them share an email address with
another row, in another letter case), an exclusion data extension of N/10 rows (keys and
addresses of rows of the audience), and N/50 subscribers Unsubscribed in All Subscribers;
the send definition dedupes by email. The rows are written with one SQL statement per table,
as the data extension's own insert would store them. Prints JSON lines: the audience step as
a worker runs it (claim, ledger, counts, chunks; in a process of its own: seconds and peak
RSS) and one hand-written SQL statement computing the same set into a scratch job (the
floor), with the ratio. The counts must be those the rows imply, and the two ledgers the same
recipients in the same order.

    python -m bench.audience [--subscribers 1000000] [--postgres postgresql://…/postgres]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from sendwell.services.accounts import Accounts
from sendwell.services.catalog import find_ref
from sendwell.services.registry import KINDS
from sendwell.services.sends import start_send
from sendwell.store import jobs
from sendwell.store.db import make_engine, upgrade
from sendwell.store.tables import recipients, send_jobs


def setup(engine: Engine, n: int) -> int:
    """The account, its definition and rows; the JobID of a started send (audience to build)."""
    Accounts(engine).create_account(1, "Bench")
    with engine.begin() as conn:

        def create(type_name: str, **props: object) -> dict:
            return KINDS[type_name].create(conn, 1, {"__type__": type_name, **props})

        create(
            "SenderProfile", CustomerKey="sp", Name="B", FromName="B", FromAddress="b@example.test"
        )
        create(
            "SendClassification",
            CustomerKey="Default Commercial",
            Name="C",
            SenderProfile={"CustomerKey": "sp"},
        )
        email = create("Email", Name="B", Subject="Hi %%FirstName%%", TextBody="Hi %%FirstName%%")
        for key, extra in (("members", [("FirstName", "Text")]), ("excluded", [])):
            fields = [
                {"Name": "SubscriberKey", "FieldType": "Text", "IsPrimaryKey": True},
                {"Name": "Email", "FieldType": "EmailAddress"},
                *({"Name": name, "FieldType": kind} for name, kind in extra),
            ]
            create(
                "DataExtension",
                CustomerKey=key,
                Name=key,
                IsSendable=True,
                SendableDataExtensionField={"Name": "SubscriberKey"},
                SendableSubscriberField={"Name": "Subscriber Key"},
                Fields={"Field": fields},
            )
        members = find_ref(conn, 1, "DataExtension", {"CustomerKey": "members"})
        excluded = find_ref(conn, 1, "DataExtension", {"CustomerKey": "excluded"})
        create(
            "EmailSendDefinition",
            CustomerKey="bench",
            Name="Bench",
            Email={"ID": email["ID"]},
            DeduplicateByEmail=True,
            SendDefinitionList=[
                {
                    "SendDefinitionListType": "SourceList",
                    "DataSourceTypeID": "CustomObject",
                    "CustomObjectID": members.object_id,
                },
                {
                    "SendDefinitionListType": "ExclusionList",
                    "DataSourceTypeID": "CustomObject",
                    "CustomObjectID": excluded.object_id,
                },
            ],
        )
        fill(conn, members.id, excluded.id, n)
        return start_send(conn, 1, {"CustomerKey": "bench"}).job_id


def fill(conn, members: int, excluded: int, n: int) -> None:  # type: ignore[no-untyped-def]
    """The rows, generated in the database: row i is S<i>; every 20th row has the address of
    the row before it (upper case); every 10th (from 3) is excluded; every 50th (from 1) is
    Unsubscribed in All Subscribers."""
    pg = conn.dialect.name == "postgresql"
    series = (
        f"(SELECT generate_series(1, {n}) AS i) s"
        if pg
        else f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
        "SELECT i FROM s) s"
    )
    email = (
        "CASE WHEN i % 20 = 0 THEN 'USER' || (i - 1) || '@EXAMPLE.TEST' "
        "ELSE 'user' || i || '@example.test' END"
    )
    obj = "json_build_object" if pg else "json_object"
    conn.execute(
        text(
            "INSERT INTO de_rows (de_id, row_key, subscriber_key, email, data) "
            f"SELECT {members}, lower('S' || i), 'S' || i, {email}, "
            f"{obj}('SubscriberKey', 'S' || i, 'Email', {email}, 'FirstName', 'F' || i) "
            f"FROM {series}"
        )
    )
    conn.execute(
        text(
            "INSERT INTO de_rows (de_id, row_key, subscriber_key, email, data) "
            f"SELECT {excluded}, lower('S' || i), 'S' || i, {email}, "
            f"{obj}('SubscriberKey', 'S' || i, 'Email', {email}) FROM {series} WHERE i % 10 = 3"
        )
    )
    conn.execute(
        text(
            "INSERT INTO subscribers (mid, subscriber_key, email, status, attributes, created_at) "
            f"SELECT 1, 'S' || i, {email}, 'Unsubscribed', {obj}(), CURRENT_TIMESTAMP "
            f"FROM {series} WHERE i % 50 = 1"
        )
    )
    if pg:
        conn.execute(text("ANALYZE"))


# The same set in one statement: valid address, not excluded (by key or address), not
# unsubscribed, first row per key and then per address (in row order), numbered in row order.
FLOOR = """
INSERT INTO recipients (job_id, seq, subscriber_key, email, attributes, status, attempts)
SELECT :job, row_number() OVER (ORDER BY id), subscriber_key, email, data, 'pending', 0
FROM (
  SELECT *, row_number() OVER (PARTITION BY lower(email) ORDER BY id) AS by_email
  FROM (
    SELECT r.*, row_number() OVER (PARTITION BY r.subscriber_key ORDER BY r.id) AS by_key
    FROM de_rows r
    WHERE r.de_id = :members AND r.email LIKE '%_@_%'
      AND r.subscriber_key NOT IN (SELECT x.subscriber_key FROM de_rows x
                                   WHERE x.de_id = :excluded AND x.subscriber_key IS NOT NULL)
      AND lower(r.email) NOT IN (SELECT lower(x.email) FROM de_rows x
                                 WHERE x.de_id = :excluded AND x.email IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM subscribers u WHERE u.mid = 1
                      AND u.subscriber_key = r.subscriber_key
                      AND u.status IN ('Unsubscribed', 'Bounced', 'Held', 'Deleted'))
  ) k WHERE by_key = 1
) e WHERE by_email = 1
"""

# The audience step as a worker runs it (claim, ledger, counts, chunks), in a process of its
# own so that its peak RSS is the step's and not the set-up's.
BUILD = """
import resource, sys, time
from sendwell.config import Settings
from sendwell.engine import audience_step
from sendwell.store import jobs
from sendwell.store.db import make_engine
engine = make_engine(sys.argv[1])
settings = Settings(database_url=sys.argv[1], secret_key="bench-secret-key-of-some-length")
started = time.perf_counter()
job = jobs.claim_audience(engine, settings.lease_seconds)
audience_step.build(engine, settings, job)
print(job.id, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _same_set(conn, job_id: int, scratch: int) -> int:  # type: ignore[no-untyped-def]
    """The ledger's recipients, in order and with their attributes, are exactly the floor's."""
    cols = [recipients.c.seq, recipients.c.subscriber_key, recipients.c.email]
    ours = select(*cols).where(recipients.c.job_id == job_id)
    floor = select(*cols).where(recipients.c.job_id == scratch)
    for a, b in ((ours, floor), (floor, ours)):
        diff = conn.execute(select(func.count()).select_from(a.except_(b).subquery()))
        assert diff.scalar_one() == 0, "the audience step and the floor differ"
    count = conn.execute(select(func.count()).select_from(floor.subquery())).scalar_one()
    assert count == conn.execute(select(func.count()).select_from(ours.subquery())).scalar_one()
    return int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres",
        default=None,
        metavar="URL",
        help="a PostgreSQL server (e.g. postgresql://postgres@127.0.0.1:54329/postgres): the "
        "bench creates a database of its own there and drops it after; default SQLite",
    )
    args = parser.parse_args()
    if args.postgres:
        with scratch_database(args.postgres) as url:
            run(url, args.subscribers)
        return
    tmp = Path(tempfile.mkdtemp(prefix="sendwell-bench-"))
    try:
        run(f"sqlite:///{tmp}/audience.db", args.subscribers)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``admin_url``, dropped on exit."""
    import psycopg

    name = f"sendwell_bench_audience_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(url: str, n: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    job_id = setup(engine, n)
    loaded = round(time.perf_counter() - started, 1)
    out = subprocess.run(
        [sys.executable, "-c", BUILD, url], check=True, capture_output=True, text=True
    ).stdout.split()
    built, seconds, rss_kb = int(out[0]), float(out[1]), int(out[2])
    assert built == job_id
    with engine.connect() as conn:
        job = conn.execute(select(send_jobs).where(send_jobs.c.id == job_id)).one()
    # What the generated rows imply (see fill): none of the kinds overlap.
    expected = (n // 10, n // 50, n // 20)
    assert (job.excluded, job.unsubscribed, job.duplicates) == expected, job
    assert job.targeted == n - sum(expected) and job.status == "Sending", job
    print(
        json.dumps(
            {
                "step": "audience",
                "database": url.split(":")[0],
                "subscribers": n,
                "load_seconds": loaded,
                "seconds": round(seconds, 2),
                "peak_rss_mb": round(rss_kb / 1024, 1),
                "targeted": job.targeted,
                "excluded": job.excluded,
                "duplicates": job.duplicates,
                "unsubscribed": job.unsubscribed,
            }
        )
    )
    members, excluded = (
        find_ref(engine.connect(), 1, "DataExtension", {"CustomerKey": k}).id
        for k in ("members", "excluded")
    )
    with engine.begin() as conn:
        scratch = jobs.create_job(conn, 1, jobs.spec_of(job), interaction_object_id="floor")
        floor_started = time.perf_counter()
        conn.execute(text(FLOOR), {"job": scratch, "members": members, "excluded": excluded})
        floor = time.perf_counter() - floor_started
        same = _same_set(conn, job_id, scratch)
    print(
        json.dumps(
            {
                "step": "hand_written_sql",
                "seconds": round(floor, 2),
                "targeted": same,
                "same_set": True,
                "audience_to_floor": round(seconds / floor, 2),
            }
        )
    )
    print(
        json.dumps(
            {
                "step": "bench_process",
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
