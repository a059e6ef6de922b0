from datetime import datetime, timedelta

import pytest

from sendwell.domain.retry import DomainGate, DomainLimit, RetryPolicy, parse_domain_limits


def test_backoff_doubles_up_to_the_cap_and_stops_at_max_age() -> None:
    policy = RetryPolicy(base_seconds=60, max_interval_seconds=300, max_age_seconds=3600)
    first = datetime(2026, 1, 1, 12, 0)
    assert policy.next_attempt(first, first, 1) == first + timedelta(seconds=60)
    assert policy.next_attempt(first, first, 2) == first + timedelta(seconds=120)
    assert policy.next_attempt(first, first, 5) == first + timedelta(seconds=300)
    assert policy.next_attempt(first + timedelta(hours=1), first, 3) is None


def test_domain_limits_parse_and_refuse_unknown_options() -> None:
    limits = parse_domain_limits("gmail.com:rate=10,concurrency=2; Yahoo.com:rate=0.5")
    assert limits == {"gmail.com": DomainLimit(10, 2), "yahoo.com": DomainLimit(0.5, None)}
    with pytest.raises(ValueError):
        parse_domain_limits("x.com:speed=3")


def test_gate_admits_by_rate_and_concurrency() -> None:
    now = [100.0]
    gate = DomainGate(
        {"gmail.com": DomainLimit(rate=2), "aol.com": DomainLimit(concurrency=1)},
        clock=lambda: now[0],
    )
    admitted, wait = gate.admit(
        ["gmail.com", "gmail.com", "gmail.com", "other.org", "aol.com", "aol.com"]
    )
    assert admitted == [True, True, False, True, True, False]
    assert wait == pytest.approx(0.5)
    now[0] += 0.5
    assert gate.admit(["gmail.com", "gmail.com"])[0] == [True, False]
