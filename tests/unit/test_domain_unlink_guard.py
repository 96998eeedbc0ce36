"""The unlink guard's rule, without a database."""

from datetime import UTC, datetime, timedelta

from domain.unlink_guard import must_hold, window_start


def test_the_withdrawal_after_the_limit_is_held_and_not_one_before():
    assert [must_hold(n, 3) for n in range(5)] == [False, False, False, True, True]


def test_a_limit_of_zero_turns_the_guard_off():
    assert not must_hold(10_000, 0)


def test_the_window_reaches_back_its_length_from_now():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert window_start(now, 3600) == now - timedelta(hours=1)
