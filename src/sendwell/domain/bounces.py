"""What a bounce is: the failure it reports, and its type and category (RFC 3463 status codes).

Pure rules; the listener that reads bounce messages is ``engine.bounces``, and the store
records the events (``store.bounces``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HARD, SOFT, OTHER = "HardBounce", "SoftBounce", "OtherBounce"
STATUS_CODE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class Failure:
    """One failed recipient as a bounce reports it."""

    address: str  # the original recipient the bounce names (lower case)
    permanent: bool  # flufl.bounce's split: failed (True) or delayed (False)
    status: str = ""  # enhanced status code, "5.1.1"
    smtp_code: str = ""  # the remote server's reply code, "550"
    reason: str = ""  # the diagnostic text


def classify(status: str, smtp_code: str, permanent: bool) -> tuple[str, str]:
    """Event type and Marketing Cloud BounceCategory from a status code (RFC 3463).

    x.7.x (policy, spam, authentication) and x.1.7/x.1.8 (our sender refused) block the sender,
    not the address: "Block bounce", never counted towards Held. x.2.2 (mailbox full) is soft.
    """
    found = STATUS_CODE.search(status)
    if found:
        klass, subject, detail = found.groups()
        if subject == "7" or (subject == "1" and detail in ("7", "8")):
            return OTHER, "Block bounce"
        if klass == "4" or (subject, detail) == ("2", "2"):
            return SOFT, "Soft bounce"
        if klass == "5" and subject in ("3", "5", "6"):
            return OTHER, "Technical/Other bounce"
        return (HARD, "Hard bounce") if klass == "5" else (OTHER, "Unknown bounce")
    if smtp_code.startswith("5") or (not smtp_code and permanent):
        return HARD, "Hard bounce"
    return SOFT, "Soft bounce"


def refusal(address: str, code: int, reply: str) -> Failure:
    """The failure of a recipient the relay refused during delivery (a 5xx to RCPT or DATA)."""
    text = " ".join(reply.split())
    status = STATUS_CODE.search(text)
    return Failure(address.lower(), True, status[0] if status else "", str(code), text)


def details(failure: Failure, category: str, bounce_type: str) -> dict[str, str]:
    """The BounceEvent fields kept with the event."""
    return {
        "SMTPCode": failure.smtp_code or failure.status,
        "SMTPReason": failure.reason[:1000],
        "BounceCategory": category,
        "BounceType": bounce_type,
        "Status": failure.status,
        "Recipient": failure.address,
    }
