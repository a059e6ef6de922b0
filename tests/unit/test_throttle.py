from datetime import datetime, time

from sendwell.domain.throttle import PeriodState, Throttle, after_delivery, in_window, next_opening

CST = -360


def test_window_in_system_time() -> None:
    t = Throttle(None, 3600, time(8, 0), time(17, 0), CST)
    assert in_window(datetime(2026, 1, 1, 14, 0), t)  # 08:00 CST
    assert not in_window(datetime(2026, 1, 1, 13, 59), t)  # 07:59 CST
    assert not in_window(datetime(2026, 1, 1, 23, 0), t)  # 17:00 CST, closed
    assert next_opening(datetime(2026, 1, 1, 23, 0), t) == datetime(2026, 1, 2, 14, 0)
    assert next_opening(datetime(2026, 1, 1, 13, 0), t) == datetime(2026, 1, 1, 14, 0)


def test_window_across_midnight() -> None:
    t = Throttle(None, 3600, time(22, 0), time(2, 0), 0)
    assert in_window(datetime(2026, 1, 1, 23, 0), t)
    assert in_window(datetime(2026, 1, 2, 1, 0), t)
    assert not in_window(datetime(2026, 1, 2, 3, 0), t)


def test_limit_per_period() -> None:
    t = Throttle(100, 60, None, None, 0)
    now = datetime(2026, 1, 1, 12, 0, 0)
    state, next_at = after_delivery(now, PeriodState(None, 0), 50, t)
    assert (state.period_sent, next_at) == (50, None)
    state, next_at = after_delivery(now, state, 50, t)
    assert next_at == datetime(2026, 1, 1, 12, 1, 0)
    later = datetime(2026, 1, 1, 12, 1, 0)
    state, next_at = after_delivery(later, state, 10, t)
    assert state == PeriodState(later, 10) and next_at is None
    assert t.chunk_size(1000) == 100
