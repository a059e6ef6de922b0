"""Throughput of SmtpTransport into Postfix smtp-sink on 127.0.0.1, next to smtp-source.

    python bench/smtp_transport.py [--messages 20000] [--runs 3] [--pin none|same|split]

Prints one JSON line per run and a median line per case: msg/s, client CPU µs per message
(this process; for smtp-source its child CPU) and smtp-sink CPU µs per message.

--pin same puts client and sink on CPU 0, --pin split puts the client on CPU 0 and the sink on
CPU 1. On small VMs the single-connection figure depends on it: a wake-up across CPUs costs
more than the SMTP work itself, so unpinned runs land in either mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sendwell.engine.transports.base import Envelope
from sendwell.engine.transports.smtp import SmtpTransport

POSTFIX_PATH = f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/lib/postfix/sbin"
PARAGRAPH = (
    b"We have prepared your monthly account summary and a few offers picked for you.\r\n"
    b"Your loyalty balance and recent orders are listed below; reply if anything looks\r\n"
    b"wrong and our team will sort it out within one business day.\r\n\r\n"
)


def build_messages(n: int) -> list[Envelope]:
    """~5 KB personalised messages, built by joining a template split at its slots."""
    head = [
        b"From: Bench <news@example.test>\r\nTo: First",
        b" <user",
        b"@example.test>\r\nSubject: Hello First",
        b", your summary\r\nMessage-ID: <",
        b".b@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nHello First",
        b",\r\n\r\n" + PARAGRAPH * 21 + b"Unsubscribe: https://t.example.test/u/",
        b"\r\n",
    ]
    envelopes = []
    for i in range(n):
        slot = b"%d" % i
        token = b"%032x" % (i * 2654435761)
        values = [slot, slot, slot, slot, slot, token]
        data = b"".join(part for pair in zip(head, [*values, b""], strict=True) for part in pair)
        envelopes.append(Envelope(i, "bounce@example.test", f"user{i}@example.test", data))
    return envelopes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def self_cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


async def run_transport(port: int, envelopes: list[Envelope], connections: int) -> int:
    transport = SmtpTransport("127.0.0.1", port, connections=connections, starttls="off")
    try:
        outcomes = await transport.deliver(envelopes)
    finally:
        await transport.aclose()
    return sum(o.status == "sent" for o in outcomes)


def measure(case: str, sink: subprocess.Popen, n: int, action) -> dict:
    sink_cpu0, t0 = process_cpu(sink.pid), time.perf_counter()
    sent, cpu = action()
    wall = time.perf_counter() - t0
    sink_cpu = process_cpu(sink.pid) - sink_cpu0
    return {
        "case": case,
        "messages": n,
        "sent": sent,
        "msgs_per_s": round(n / wall),
        "client_cpu_us_per_msg": round(1e6 * cpu / n),
        "sink_cpu_us_per_msg": round(1e6 * sink_cpu / n),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pin", choices=("none", "same", "split"), default="none")
    args = parser.parse_args()
    sink_bin = shutil.which("smtp-sink", path=POSTFIX_PATH)
    source_bin = shutil.which("smtp-source", path=POSTFIX_PATH)
    if not sink_bin:
        sys.exit("smtp-sink not found (Debian package: postfix)")

    n = args.messages
    envelopes = build_messages(n)
    port = free_port()
    command = [sink_bin, *(["-u", "nobody"] if os.geteuid() == 0 else []), f"127.0.0.1:{port}"]
    sink_cpus = {"none": None, "same": {0}, "split": {1}}[args.pin]
    if args.pin != "none":
        os.sched_setaffinity(0, {0})  # smtp-source inherits this too
    sink = subprocess.Popen(
        [*command, "1000"],
        stdout=subprocess.DEVNULL,
        preexec_fn=(lambda: os.sched_setaffinity(0, sink_cpus)) if sink_cpus else None,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        size = statistics.mean(len(e.data) for e in envelopes)
        print(json.dumps({"message_bytes": round(size), "pin": args.pin}))
        cases: list[tuple[str, object]] = []
        for connections in (1, 4):

            def transport_run(connections: int = connections) -> tuple[int, float]:
                cpu0 = self_cpu()
                sent = asyncio.run(run_transport(port, envelopes, connections))
                return sent, self_cpu() - cpu0

            cases.append((f"SmtpTransport connections={connections}", transport_run))
        if source_bin:

            def source_run() -> tuple[int, float]:
                cpu0 = self_cpu(resource.RUSAGE_CHILDREN)
                source = [source_bin, "-d", "-s", "4", "-m", str(n), "-l", "5120"]
                subprocess.run([*source, f"127.0.0.1:{port}"], check=True)
                return n, self_cpu(resource.RUSAGE_CHILDREN) - cpu0

            cases.append(("smtp-source -d -s 4 -l 5120", source_run))
        for case, action in cases:
            results = [measure(case, sink, n, action) for _ in range(args.runs)]
            for result in results:
                print(json.dumps(result))
            median = dict(results[0], run="median")
            for key in ("msgs_per_s", "client_cpu_us_per_msg", "sink_cpu_us_per_msg"):
                median[key] = statistics.median(r[key] for r in results)
            print(json.dumps(median))
    finally:
        sink.terminate()
        sink.wait(10)


if __name__ == "__main__":
    main()
