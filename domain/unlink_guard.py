"""The unlink guard's rule: how many withdrawals may reach CaseWare Cloud within a window."""

from datetime import datetime, timedelta


def window_start(now: datetime, window_seconds: float) -> datetime:
    """The earliest moment a withdrawal let through still counts against the limit."""
    return now - timedelta(seconds=window_seconds)


def must_hold(let_through_in_window: int, limit: int) -> bool:
    """Whether the next withdrawal waits for a person: `limit` have gone within the window
    already. A limit of 0 turns the guard off."""
    return limit > 0 and let_through_in_window >= limit
