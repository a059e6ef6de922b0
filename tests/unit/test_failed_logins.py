"""The failed-login throttle's rules, as pure values."""

from __future__ import annotations

from datetime import datetime, timedelta

from sendwell.domain.login_throttle import PER_ACCOUNT, PER_ADDRESS, FailedLogins

T0 = datetime(2026, 11, 30, 12, 0, 0)


def failures(count: int, policy=PER_ACCOUNT, start: datetime = T0) -> FailedLogins:  # type: ignore[no-untyped-def]
    state = FailedLogins()
    for n in range(count):
        state = state.after_failure(start + timedelta(seconds=n), policy)
    return state


def test_four_failures_are_free_the_fifth_locks_for_thirty_seconds() -> None:
    four = failures(4)
    assert four.failures == 4 and four.retry_after(T0 + timedelta(seconds=4), PER_ACCOUNT) == 0
    five = failures(5)
    last = T0 + timedelta(seconds=4)
    assert five.retry_after(last, PER_ACCOUNT) == 30
    assert five.retry_after(last + timedelta(seconds=29.5), PER_ACCOUNT) == 1
    assert five.retry_after(last + timedelta(seconds=30), PER_ACCOUNT) == 0


def test_each_further_failure_doubles_the_wait_up_to_fifteen_minutes() -> None:
    waits = []
    for count in range(5, 12):
        state = failures(count)
        waits.append(state.retry_after(state.last_failure_at, PER_ACCOUNT))  # type: ignore[arg-type]
    assert waits == [30, 60, 120, 240, 480, 900, 900]


def test_a_quiet_window_after_the_lockout_starts_afresh() -> None:
    state = failures(6)
    end_of_lockout = state.last_failure_at + timedelta(seconds=60)  # type: ignore[operator]
    still_counted = state.after_failure(end_of_lockout + timedelta(minutes=14), PER_ACCOUNT)
    assert still_counted.failures == 7
    fresh = state.after_failure(end_of_lockout + timedelta(minutes=15), PER_ACCOUNT)
    assert fresh.failures == 1


def test_an_address_has_more_room_than_an_account() -> None:
    assert failures(19, PER_ADDRESS).retry_after(T0 + timedelta(seconds=18), PER_ADDRESS) == 0
    assert failures(20, PER_ADDRESS).retry_after(T0 + timedelta(seconds=19), PER_ADDRESS) == 30
