"""Renders per second of a realistic ~5 KB email with 10 personalization strings and 3 AMPscript
blocks (plus inline expressions), one core, for the target of 24,000 per second.

Run: python -m bench.ampscript [--n 20000] [--repeat 5]
Prints one JSON line per case:

* ``message``: ``CompiledMessage.render`` as a send job calls it: AMPscript in the HTML body,
  text body and subject line run in one context, a ``Lookup`` into a data extension per
  recipient (``DataExtensionLookups``, the engine's per-job cache, over an in-memory SQLite
  store), then the bytes of a two-part MIME message, quoted-printable included.
* ``program``: the AMPscript of the three parts run and filled, without building the message.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import datetime
from email.utils import formatdate

from sqlalchemy import create_engine, insert

from sendwell.domain.ampscript import RenderEnvironment
from sendwell.domain.content import render_parts
from sendwell.domain.message import MessageSpec, compile_message
from sendwell.services.lookups import DataExtensionLookups
from sendwell.store.tables import accounts, de_rows, metadata, objects

_PARAGRAPH = (
    "Our spring collection is here, with new colours, lighter fabrics and the same quality "
    "you already know. Free returns for 60 days on every order. "
)
# Block 1: who the recipient is and what they are offered.
_BLOCK_1 = """%%[
VAR @name, @tier, @offer, @greeting
SET @name = ProperCase(FirstName)
IF Empty(@name) THEN
  SET @name = "there"
ENDIF
SET @tier = Lowercase(Tier)
IF @tier == "gold" THEN
  SET @offer = "25%"
ELSEIF @tier == "silver" THEN
  SET @offer = "15%"
ELSE
  SET @offer = "10%"
ENDIF
SET @greeting = IIf(DateDiff(Joined, Now(), "Y") >= 5, "Thank you for five years", "Welcome back")
]%%"""
# Block 2: a product from a data extension, looked up per recipient.
_BLOCK_2 = """%%[
SET @product = Lookup("Products", "Name", "SKU", FavouriteSku)
IF NOT Empty(@product) THEN
  SET @price = FormatNumber(Lookup("Products", "Price", "SKU", FavouriteSku), "C2")
]%%<p>Still thinking about the <b>%%=v(@product)=%%</b>? It is %%=v(@price)=%% this week.</p>
%%[ ENDIF ]%%"""
# Block 3: loyalty points.
_BLOCK_3 = """%%[ IF Score > 100 THEN ]%%<p>You have %%=FormatNumber(Score, "N0")=%% points.</p>
%%[ ELSE ]%%<p>Earn points with every order.</p>
%%[ ENDIF ]%%"""
_HTML = (
    _BLOCK_1 + "<!doctype html><html><head><meta charset='utf-8'><title>Spring</title></head>\n"
    '<body style="font-family: Arial, sans-serif; color: #222222;">\n'
    "<h1>%%=v(@greeting)=%%, %%=v(@name)=%% %%LastName%%</h1>\n"
    + '<p style="margin: 0 0 12px 0; line-height: 1.4;">'
    + _PARAGRAPH * 3
    + "</p>\n"
    + '<p><a href="https://acme.test/c?s=%%_subscriberkey%%&j=%%jobid%%">Shop now</a></p>\n'
    + _BLOCK_2
    + "\n<p>"
    + _PARAGRAPH * 13
    + "</p>\n"
    + "<p>Your code: <b>%%OfferCode%%</b> for %%=v(@offer)=%% off, valid in %%City%%.</p>\n"
    + _BLOCK_3
    + '\n<p style="font-size: 11px;">Sent to %%emailaddr%% by %%member_busname%%. '
    '<a href="https://acme.test/u/%%_subscriberkey%%?j=%%jobid%%">Unsubscribe</a></p>\n'
    "</body></html>\n"
)
_TEXT = (
    "%%=v(@greeting)=%%, %%=v(@name)=%%!\n\n"
    + _PARAGRAPH * 8
    + "\n\nYour code: %%OfferCode%% (%%=v(@offer)=%% off in %%City%%).\n"
    "Sent to %%emailaddr%%. Unsubscribe: https://acme.test/u/%%_subscriberkey%%\n"
)
_SUBJECT = "%%=v(@name)=%%, %%=v(@offer)=%% off your spring order"
PRODUCTS = [
    {"SKU": f"P{i:04d}", "Name": f"Product {i}", "Price": f"{10 + i % 90}.99"} for i in range(2000)
]


def _environment() -> RenderEnvironment:
    """The engine's per-job lookups over an in-memory store holding the Products DE."""
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    stamp = datetime(2024, 1, 1)
    with engine.begin() as conn:
        conn.execute(insert(accounts).values(mid=1, name="Acme", created_at=stamp))
        de_id = conn.execute(
            insert(objects).values(
                mid=1,
                type="DataExtension",
                object_id="products",
                customer_key="products",
                name="Products",
                props={},
                created_at=stamp,
                modified_at=stamp,
            )
        ).inserted_primary_key[0]
        conn.execute(insert(de_rows), [{"de_id": de_id, "data": row} for row in PRODUCTS])
    return RenderEnvironment(
        data=DataExtensionLookups(engine, 1),
        clock=lambda: datetime(2024, 3, 5, 14, 7, 9),
        system={"member_busname": "Acme Corp"},
    )


def _recipients() -> list[tuple[dict[str, str | None], str]]:
    return [
        (
            {
                "firstname": f"name{i}",
                "lastname": "Müller" if i % 2 else "Smith",
                "tier": ("Gold", "silver", "Bronze")[i % 3],
                "joined": f"{2010 + i % 14}-0{1 + i % 9}-15",
                "favouritesku": f"P{i % 2500:04d}",  # some have no product
                "score": str(i % 250),
                "offercode": f"SPRING{i:06d}",
                "city": "Zürich" if i % 3 else "Lyon",
                "emailaddr": f"user{i}@example.test",
                "_subscriberkey": f"SK{i:08d}",
                "jobid": "4711",
            },
            f"user{i}@example.test",
        )
        for i in range(1000)
    ]


def _timed(run, n: int, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    """CPU microseconds per call, one figure per repeat: per core, whatever else runs."""
    per = []
    for _ in range(repeat):
        start = time.process_time()
        for seq in range(n):
            run(seq)
        per.append((time.process_time() - start) / n * 1e6)
    return per


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    environment = _environment()
    recipients = _recipients()
    spec = MessageSpec(
        from_name="Acme News",
        from_address="news@acme.test",
        subject=_SUBJECT,
        html=_HTML,
        text=_TEXT,
        message_id_domain="mail.acme.test",
        job_id=4711,
    )
    message = compile_message(spec)
    date = formatdate(usegmt=True)
    parts = {"HTMLBody": _HTML, "TextBody": _TEXT, "Subject": _SUBJECT}
    sample = message.render(recipients[1][0], recipients[1][1], None, 1, date, environment)

    def render_message(seq: int) -> None:
        values, address = recipients[seq % 1000]
        message.render(values, address, None, seq, date, environment)

    from sendwell.domain.ampscript import compile_content  # the parts, compiled once

    programs = [compile_content(parts[p]) for p in ("HTMLBody", "TextBody", "Subject")]

    def run_programs(seq: int) -> None:
        from sendwell.domain.ampscript import Context

        values = recipients[seq % 1000][0]
        context = Context(values, environment)
        for program in programs:
            program.run(context)
        filled = {**values, **context.slots}
        for program in programs:
            program.template.fill(filled)

    assert render_parts(parts, recipients[1][0], environment)["Subject"] == (
        "Name1, 15% off your spring order"
    )
    for case, run in (("message", render_message), ("program", run_programs)):
        per = _timed(run, args.n, args.repeat)
        print(
            json.dumps(
                {
                    "bench": "ampscript",
                    "case": case,
                    "html_bytes": len(_HTML.encode()),
                    "message_bytes": len(sample.data),
                    "personalization_strings": 10,
                    "ampscript_blocks": 3,
                    "n": args.n,
                    "repeat": args.repeat,
                    "cpu_us_per_render_median": round(statistics.median(per), 2),
                    "renders_per_second_median": round(1e6 / statistics.median(per)),
                    "renders_per_second_best": round(1e6 / min(per)),
                    "target_per_second": 24_000,
                    "python": platform.python_version(),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
