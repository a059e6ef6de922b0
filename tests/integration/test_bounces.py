"""Bounces end to end: VERP senders out, RFC 3464 DSNs in over SMTP, BounceEvents, Held.

A real send goes to an aiosmtpd relay; the bounce listener started by the app takes DSNs sent
with smtplib to the envelope sender of a delivered message, as a remote MTA would. Runs on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import smtplib
from email.utils import formatdate

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from tests.conftest import make_world
from tests.support import (
    SmtpRecorder,
    create,
    free_port,
    perform_start,
    retrieve,
    simple_filter,
    soap,
    text,
    texts,
    wait_for,
)

from sendwell.domain import verp
from sendwell.domain.bounces import Failure, classify
from sendwell.engine.bounces import read_failures
from sendwell.engine.delivery import smtp_refusals
from sendwell.engine.transports.base import Outcome
from sendwell.store.bounces import record_refusals
from sendwell.store.tables import recipients, send_jobs, subscribers, tracking_events

BOUNCE_DOMAIN = "bounces.example.test"
SECRET = "bounce-test-secret"
MEMBERS = [("k1", "ann@example.test"), ("k2", "bob@example.test"), ("k3", "cid@example.test")]


class RefusingRecorder(SmtpRecorder):
    """A relay that refuses some recipients at RCPT with a 5xx, as a receiving MX would."""

    refuse: frozenset[str] = frozenset()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def relay():  # type: ignore[no-untyped-def]
    recorder = RefusingRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield recorder, f"smtp://127.0.0.1:{controller.port}?starttls=off"
    controller.stop()


@pytest.fixture
def world(database_url, relay):  # type: ignore[no-untyped-def]
    recorder, url = relay
    port = free_port()
    for w in make_world(
        database_url,
        transport=url,
        secret_key=SECRET,
        bounce_domain=BOUNCE_DOMAIN,
        bounce_listen=f"127.0.0.1:{port}",
        bounce_hold_threshold=2,
    ):
        w.smtp = recorder  # type: ignore[attr-defined]
        w.bounce_port = port  # type: ignore[attr-defined]
        yield w


def ok(world, action: str, body: str):  # type: ignore[no-untyped-def]
    status, response = soap(world.client, action, body, user=world.user)
    assert status == 200 and text(response, "p:OverallStatus") == "OK", texts(
        response, ".//p:StatusMessage"
    )
    return response


def build_definition(world) -> None:  # type: ignore[no-untyped-def]
    ok(
        world,
        "Create",
        create(
            "SenderProfile",
            "<CustomerKey>sp</CustomerKey><Name>News</Name><FromName>News</FromName>"
            "<FromAddress>news@example.test</FromAddress>",
        ),
    )
    ok(
        world,
        "Create",
        create(
            "SendClassification",
            "<CustomerKey>Default Commercial</CustomerKey><Name>Commercial</Name>"
            "<SendClassificationType>Marketing</SendClassificationType>"
            "<SenderProfile><CustomerKey>sp</CustomerKey></SenderProfile>",
        ),
    )
    email = ok(
        world,
        "Create",
        create("Email", "<Name>N</Name><Subject>News</Subject><TextBody>Hi %%Key%%</TextBody>"),
    )
    ok(
        world,
        "Create",
        create(
            "DataExtension",
            "<CustomerKey>members</CustomerKey><Name>Members</Name><IsSendable>true</IsSendable>"
            "<SendableDataExtensionField><Name>Key</Name></SendableDataExtensionField>"
            "<SendableSubscriberField><Name>Subscriber Key</Name></SendableSubscriberField>"
            "<Fields><Field><Name>Key</Name><FieldType>Text</FieldType>"
            "<IsPrimaryKey>true</IsPrimaryKey><IsRequired>true</IsRequired></Field>"
            "<Field><Name>Email</Name><FieldType>EmailAddress</FieldType></Field></Fields>",
        ),
    )
    for key, address in MEMBERS:
        ok(
            world,
            "Create",
            create(
                "DataExtensionObject",
                "<CustomerKey>members</CustomerKey><Properties>"
                f"<Property><Name>Key</Name><Value>{key}</Value></Property>"
                f"<Property><Name>Email</Name><Value>{address}</Value></Property>"
                "</Properties>",
            ),
        )
    de = ok(
        world,
        "Retrieve",
        retrieve("DataExtension", ["ObjectID"], simple_filter("CustomerKey", "equals", "members")),
    )
    ok(
        world,
        "Create",
        create(
            "EmailSendDefinition",
            "<CustomerKey>news</CustomerKey><Name>News</Name>"
            "<SendClassification><CustomerKey>Default Commercial</CustomerKey>"
            "</SendClassification><SendDefinitionList>"
            f"<CustomObjectID>{text(de, 'p:Results/p:ObjectID')}</CustomObjectID>"
            "<SendDefinitionListType>SourceList</SendDefinitionListType>"
            "<DataSourceTypeID>CustomObject</DataSourceTypeID></SendDefinitionList>"
            f"<Email><ID>{text(email, 'p:Results/p:NewID')}</ID></Email>",
        ),
    )


def send(world) -> int:  # type: ignore[no-untyped-def]
    """Start the definition, wait until the job is done; its JobID."""
    response = ok(world, "Perform", perform_start("news"))
    job_id = int(text(response, "p:Results/p:Result/p:Task/p:ID") or 0)

    def done() -> bool:
        with world.engine.connect() as conn:
            status = conn.execute(
                select(send_jobs.c.status).where(send_jobs.c.id == job_id)
            ).scalar_one()
        return status != "Sending"

    wait_for(done)
    return job_id


def delivered_to(world, job_id: int, address: str):  # type: ignore[no-untyped-def]
    return next(
        m
        for m in world.smtp.messages
        if m.rcpt_to == [address] and m.message["X-Job-ID"] == str(job_id)
    )


def dsn(to: str, recipient: str, status: str = "5.1.1", action: str = "failed") -> bytes:
    """An RFC 3464 delivery status notification, as Postfix writes one."""
    reason = {"5": "Recipient address rejected: User unknown", "4": "Mailbox full"}[status[0]]
    code = {"5": "550", "4": "452"}[status[0]]
    return (
        "From: MAILER-DAEMON@mx.example.test (Mail Delivery System)\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {formatdate()}\r\n"
        "Message-ID: <dsn.1@mx.example.test>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BND"\r\n'
        "\r\n"
        "--BND\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host mx.example.test.\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "\r\n"
        "--BND\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.test\r\n"
        f"Arrival-Date: {formatdate()}\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; mx2.example.test\r\n"
        f"Diagnostic-Code: smtp; {code} {status} <{recipient}>: {reason}\r\n"
        "\r\n"
        "--BND\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "From: News <news@example.test>\r\n"
        f"To: {recipient}\r\n"
        "Subject: News\r\n"
        "\r\n"
        "--BND--\r\n"
    ).encode()


def bounce(world, to: str, message: bytes) -> None:  # type: ignore[no-untyped-def]
    with smtplib.SMTP("127.0.0.1", world.bounce_port, timeout=10) as client:
        client.sendmail("", [to], message)


def events(world) -> list:  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        return conn.execute(select(tracking_events).order_by(tracking_events.c.id)).all()


def send_counters(world, job_id: int) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    names = ["HardBounces", "SoftBounces", "OtherBounces"]
    _, found = soap(
        world.client,
        "Retrieve",
        retrieve("Send", ["ID", *names], simple_filter("ID", "equals", str(job_id))),
        user=world.user,
    )
    return {name: text(found, f"p:Results/p:{name}") for name in names}


def seq_of(world, job_id: int, address: str) -> int:  # type: ignore[no-untyped-def]
    with world.engine.connect() as conn:
        return conn.execute(
            select(recipients.c.seq).where(
                recipients.c.job_id == job_id, recipients.c.email == address
            )
        ).scalar_one()


def test_a_dsn_to_the_verp_sender_records_a_hard_bounce_for_that_recipient_only(world) -> None:
    build_definition(world)
    job_id = send(world)
    message = delivered_to(world, job_id, "bob@example.test")
    assert message.message["From"] == "News <news@example.test>"  # the header is unchanged
    assert message.mail_from.endswith("@" + BOUNCE_DOMAIN)
    assert verp.decode(message.mail_from, SECRET) == (
        job_id,
        seq_of(world, job_id, "bob@example.test"),
    )
    senders = {m.mail_from for m in world.smtp.messages}
    assert len(senders) == 3  # one return path per recipient

    bounce(world, message.mail_from, dsn(message.mail_from, "bob@example.test"))

    (event,) = events(world)
    assert (event.mid, event.job_id, event.subscriber_key) == (world.mid, job_id, "k2")
    assert event.seq == seq_of(world, job_id, "bob@example.test")
    assert event.event_type == "HardBounce"
    assert event.details["SMTPCode"] == "550"
    assert event.details["BounceCategory"] == "Hard bounce"
    assert event.details["BounceType"] == "delayed"
    assert "User unknown" in event.details["SMTPReason"]

    # The same DSN again (a retrying MTA) is not a second bounce.
    bounce(world, message.mail_from, dsn(message.mail_from, "bob@example.test"))
    assert len(events(world)) == 1

    _, found = soap(
        world.client,
        "Retrieve",
        retrieve(
            "BounceEvent",
            ["SendID", "SubscriberKey", "EventType", "SMTPCode", "BounceCategory", "BounceType"],
            simple_filter("SendID", "equals", str(job_id)),
        ),
        user=world.user,
    )
    assert texts(found, "p:Results/p:SubscriberKey") == ["k2"]
    assert texts(found, "p:Results/p:EventType") == ["HardBounce"]
    assert texts(found, "p:Results/p:BounceCategory") == ["Hard bounce"]
    assert texts(found, "p:Results/p:SMTPCode") == ["550"]
    assert send_counters(world, job_id) == {
        "HardBounces": "1",
        "SoftBounces": "0",
        "OtherBounces": "0",
    }


def test_forged_and_foreign_addresses_record_nothing(world) -> None:
    build_definition(world)
    job_id = send(world)
    seq = seq_of(world, job_id, "ann@example.test")
    forged = f"bounce+{job_id}.{seq}.aaaaaaaa@{BOUNCE_DOMAIN}"
    bounce(world, forged, dsn(forged, "ann@example.test"))
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        bounce(world, "postmaster@example.test", dsn("postmaster@example.test", "ann@example.test"))
    assert refused.value.recipients["postmaster@example.test"][0] == 550
    # A reply that is no bounce (an out-of-office note) to a real return path is no event.
    real = delivered_to(world, job_id, "ann@example.test").mail_from
    bounce(world, real, b"From: ann@example.test\r\nSubject: Out of office\r\n\r\nBack Monday.\r\n")
    bounce(world, real, b"Subject: no From header at all\r\n\r\n?\r\n")  # trips a detector
    assert events(world) == []


def test_a_job_address_matches_the_failed_recipient_in_the_ledger(world) -> None:
    build_definition(world)
    job_id = send(world)
    job_address = verp.encode(job_id, 0, SECRET, BOUNCE_DOMAIN)  # what CC/BCC copies carry
    bounce(world, job_address, dsn(job_address, "CID@example.test"))
    bounce(world, job_address, dsn(job_address, "nobody@example.test"))  # not a recipient
    assert [(e.subscriber_key, e.event_type) for e in events(world)] == [("k3", "HardBounce")]


def test_soft_and_block_bounces_are_recorded_but_never_hold(world) -> None:
    build_definition(world)
    for _ in range(2):
        job_id = send(world)
        to = delivered_to(world, job_id, "ann@example.test").mail_from
        bounce(world, to, dsn(to, "ann@example.test", "4.2.2", action="delayed"))
        bounce(world, to, dsn(to, "ann@example.test", "5.7.1"))
        to = delivered_to(world, job_id, "cid@example.test").mail_from
        bounce(world, to, dsn(to, "cid@example.test", "4.4.1", action="delayed"))
    assert send_counters(world, job_id) == {
        "HardBounces": "0",
        "SoftBounces": "2",
        "OtherBounces": "1",
    }
    kinds = [(e.event_type, e.details["BounceCategory"]) for e in events(world)]
    assert (
        kinds
        == [
            ("SoftBounce", "Soft bounce"),
            ("OtherBounce", "Block bounce"),
            ("SoftBounce", "Soft bounce"),
        ]
        * 2
    )
    with world.engine.connect() as conn:
        assert conn.execute(select(subscribers.c.status)).all() == []


def test_hard_bounces_hold_the_subscriber_and_the_next_send_skips_them(world) -> None:
    build_definition(world)
    for n in range(2):  # bounce_hold_threshold=2
        job_id = send(world)
        to = delivered_to(world, job_id, "bob@example.test").mail_from
        bounce(world, to, dsn(to, "bob@example.test"))
        with world.engine.connect() as conn:
            status = conn.execute(
                select(subscribers.c.status).where(subscribers.c.subscriber_key == "k2")
            ).scalar_one_or_none()
        assert status == (None if n == 0 else "Held")
    delivered = len(world.smtp.messages)
    job_id = send(world)
    assert sorted(r for m in world.smtp.messages[delivered:] for r in m.rcpt_to) == [
        "ann@example.test",
        "cid@example.test",
    ]
    with world.engine.connect() as conn:
        job = conn.execute(select(send_jobs).where(send_jobs.c.id == job_id)).one()
    assert (job.targeted, job.undeliverable) == (2, 1)


def test_a_relay_refusing_a_recipient_is_an_immediate_bounce(world) -> None:
    world.smtp.refuse = frozenset({"cid@example.test"})
    build_definition(world)
    job_id = send(world)
    (event,) = events(world)
    assert (event.job_id, event.subscriber_key, event.event_type) == (job_id, "k3", "HardBounce")
    assert event.details["BounceType"] == "immediate"
    assert event.details["SMTPCode"] == "550"
    assert event.details["BounceCategory"] == "Hard bounce"
    assert "5.1.1" in event.details["SMTPReason"]


def test_without_a_configured_secret_the_installation_key_file_is_used(sqlite_url, relay) -> None:
    recorder, url = relay
    port = free_port()
    for world in make_world(
        sqlite_url, transport=url, bounce_domain=BOUNCE_DOMAIN, bounce_listen=f"127.0.0.1:{port}"
    ):
        world.smtp = recorder  # type: ignore[attr-defined]
        world.bounce_port = port  # type: ignore[attr-defined]
        build_definition(world)
        job_id = send(world)
        to = delivered_to(world, job_id, "bob@example.test").mail_from
        assert verp.decode(to, SECRET) is None  # signed with the generated key instead
        bounce(world, to, dsn(to, "bob@example.test"))
        assert [e.subscriber_key for e in events(world)] == ["k2"]


@pytest.mark.parametrize(
    ("status", "code", "permanent", "expected"),
    [
        ("5.1.1", "550", True, ("HardBounce", "Hard bounce")),
        ("5.1.2", "", True, ("HardBounce", "Hard bounce")),
        ("4.4.1", "", False, ("SoftBounce", "Soft bounce")),
        ("5.2.2", "552", True, ("SoftBounce", "Soft bounce")),  # mailbox full
        ("5.7.1", "554", True, ("OtherBounce", "Block bounce")),
        ("5.1.8", "553", True, ("OtherBounce", "Block bounce")),  # our sender refused
        ("5.3.4", "552", True, ("OtherBounce", "Technical/Other bounce")),
        ("", "550", True, ("HardBounce", "Hard bounce")),
        ("", "", False, ("SoftBounce", "Soft bounce")),
        ("", "", True, ("HardBounce", "Hard bounce")),
    ],
)
def test_classification(status: str, code: str, permanent: bool, expected: tuple) -> None:
    assert classify(status, code, permanent) == expected


def test_read_failures_takes_status_and_reason_from_the_dsn() -> None:
    from email import message_from_bytes

    found = read_failures(message_from_bytes(dsn("x@b.test", "Bob@Example.test", "5.1.1")))
    assert found == {
        "bob@example.test": Failure(
            "bob@example.test",
            True,
            "5.1.1",
            "550",
            "550 5.1.1 <Bob@Example.test>: Recipient address rejected: User unknown",
        )
    }


def test_mail_to_the_list_unsubscribe_address_unsubscribes(world) -> None:
    build_definition(world)
    job_id = send(world)
    message = delivered_to(world, job_id, "bob@example.test")
    header = str(message.message["List-Unsubscribe"])
    mailto = header.split("<mailto:")[1].split(">")[0]
    assert mailto.startswith("unsubscribe+")
    with smtplib.SMTP("127.0.0.1", world.bounce_port, timeout=10) as client:
        client.sendmail("bob@example.test", [mailto], b"Subject: unsubscribe\r\n\r\nplease\r\n")
    (event,) = [e for e in events(world) if e.event_type == "Unsubscribe"]
    assert event.subscriber_key == "k2" and event.job_id == job_id
    with world.engine.connect() as conn:
        status = conn.execute(
            select(subscribers.c.status).where(subscribers.c.subscriber_key == "k2")
        ).scalar_one()
    assert status == "Unsubscribed"
    with smtplib.SMTP("127.0.0.1", world.bounce_port, timeout=10) as client:
        forged = mailto.replace("unsubscribe+", "unsubscribe+x")
        client.sendmail("eve@example.test", [forged], b"Subject: x\r\n\r\nx\r\n")
    assert len([e for e in events(world) if e.event_type == "Unsubscribe"]) == 1


def test_a_refused_sender_is_not_a_bounce_of_the_recipients(world) -> None:
    build_definition(world)
    job_id = send(world)
    seq = seq_of(world, job_id, "bob@example.test")
    refusal = Outcome(seq, "failed", 550, "550 sender not allowed", "MAIL")
    with world.engine.begin() as conn:
        rows = {
            r.seq: r for r in conn.execute(select(recipients).where(recipients.c.job_id == job_id))
        }
        assert smtp_refusals(job_id, [refusal], rows) == []
        refused_rcpt = Outcome(seq, "failed", 550, "550 5.1.1 no such user", "RCPT")
        refused = smtp_refusals(job_id, [refused_rcpt], rows)
        assert record_refusals(conn, world.mid, refused, 3) == 1
