"""Time CompiledMessage.render for a ~5 KB two-part message with 7 personalization slots.

Run: python bench/render.py [--n 20000] [--repeat 5]
Prints one JSON line per case, with the median and best microseconds per rendered message:

* ``multiline``: bodies as an editor writes them; lines without slots are encoded at compile
  time, so only the lines holding slots are quoted-printable-encoded per recipient.
* ``one_line_html``: the same HTML minified to one line (and the text part on one line), so
  every byte of both bodies is encoded per recipient: the worst case.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from email.utils import formatdate

from sendwell.domain.message import MessageSpec, compile_message

_PARAGRAPH = (
    "Our spring collection is here, with new colours, lighter fabrics and the same quality "
    "you already know. Free returns for 60 days on every order. "
)
_TEXT = (
    "Hello %%FirstName%% %%LastName%%,\n\n"
    + _PARAGRAPH * 11
    + "\n\nYour code: %%OfferCode%% (valid in %%City%%).\n\n"
    "This message was sent to %%emailaddr%%.\n"
    "Unsubscribe: https://acme.test/u/%%_subscriberkey%%?j=%%jobid%%\n"
)
_HTML = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Spring</title></head>"
    '<body style="font-family: Arial, sans-serif; color: #222222;">\n'
    "<h1>Hello %%FirstName%% %%LastName%%</h1>\n"
    + '<p style="margin: 0 0 12px 0; line-height: 1.4;">'
    + _PARAGRAPH * 3
    + "</p>\n"
    + '<p><a href="https://acme.test/c?s=%%_subscriberkey%%&j=%%jobid%%">Shop now</a></p>\n'
    + "<p>"
    + _PARAGRAPH * 9
    + "</p>\n"
    + "<p>Your code: <b>%%OfferCode%%</b>, valid in %%City%%.</p>\n"
    '<p style="font-size: 11px;">Sent to %%emailaddr%%. '
    '<a href="https://acme.test/u/%%_subscriberkey%%?j=%%jobid%%">Unsubscribe</a></p>\n'
    '<img src="https://acme.test/o/%%_subscriberkey%%/%%jobid%%.gif" width="1" height="1">\n'
    "</body></html>\n"
)


def _recipients() -> list[tuple[dict[str, str], str, str]]:
    return [
        (
            {
                "firstname": f"Name{i}",
                "lastname": "Müller" if i % 2 else "Smith",
                "offercode": f"SPRING{i:06d}",
                "city": "Zürich" if i % 3 else "Lyon",
                "emailaddr": f"user{i}@example.test",
                "_subscriberkey": f"SK{i:08d}",
                "jobid": "4711",
            },
            f"user{i}@example.test",
            f"Name{i} Smith",
        )
        for i in range(1000)
    ]


def _bench(case: str, html: str, text: str, n: int, repeat: int) -> dict[str, object]:
    spec = MessageSpec(
        from_name="Acme News",
        from_address="news@acme.test",
        subject="%%FirstName%%, your spring code %%OfferCode%% is inside",
        html=html,
        text=text,
        reply_to="help@acme.test",
        message_id_domain="mail.acme.test",
        headers=(("X-Job-ID", "4711"),),
        job_id=4711,
    )
    compiled = compile_message(spec)
    date = formatdate(localtime=False, usegmt=True)
    recipients = _recipients()
    render = compiled.render
    size = len(render(*recipients[0], 0, date).data)
    per_message = []
    for _ in range(repeat):
        start = time.perf_counter()
        for seq in range(n):
            values, address, name = recipients[seq % 1000]
            render(values, address, name, seq, date)
        per_message.append((time.perf_counter() - start) / n * 1e6)
    return {
        "bench": "render",
        "case": case,
        "message_bytes": size,
        "slots": len(compiled.fields),
        "n": n,
        "repeat": repeat,
        "us_per_message_median": round(statistics.median(per_message), 2),
        "us_per_message_best": round(min(per_message), 2),
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cases = {
        "multiline": (_HTML, _TEXT),
        "one_line_html": (_HTML.replace("\n", ""), _TEXT.replace("\n", " ")),
    }
    for case, (html, text) in cases.items():
        print(json.dumps(_bench(case, html, text, args.n, args.repeat)), flush=True)


if __name__ == "__main__":
    main()
