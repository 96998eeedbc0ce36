"""The circuit breaker: opens on repeated failures, probes once, never holds its lock in a call."""

import threading

import pytest

from services.circuit import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, CircuitOpen


class Refused(Exception):
    pass


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def fail():
    raise OSError("down")


def test_it_opens_after_fail_max_failures_in_a_row_and_refuses_calls():
    clock = Clock()
    breaker = CircuitBreaker(3, 30, clock=clock)
    for _ in range(3):
        with pytest.raises(OSError):
            breaker.call(fail)
    assert breaker.state == OPEN
    with pytest.raises(CircuitOpen):
        breaker.call(lambda: "not called")


def test_a_success_resets_the_count_and_refusals_are_not_failures():
    breaker = CircuitBreaker(2, 30, exclude=(Refused,), clock=Clock())
    with pytest.raises(OSError):
        breaker.call(fail)
    assert breaker.call(lambda: 1) == 1

    def refuse():
        raise Refused()

    for _ in range(5):
        with pytest.raises(Refused):
            breaker.call(refuse)
    with pytest.raises(OSError):
        breaker.call(fail)
    assert breaker.state == CLOSED


def test_after_the_pause_one_probe_goes_through_and_decides():
    clock = Clock()
    breaker = CircuitBreaker(1, 30, clock=clock)
    with pytest.raises(OSError):
        breaker.call(fail)
    clock.now = 31
    entered, leave = threading.Event(), threading.Event()

    def slow_probe():
        entered.set()
        leave.wait(5)
        return "ok"

    probe = threading.Thread(target=breaker.call, args=(slow_probe,))
    probe.start()
    entered.wait(5)
    assert breaker.state == HALF_OPEN
    with pytest.raises(CircuitOpen):  # one probe at a time
        breaker.call(lambda: "second")
    leave.set()
    probe.join(5)
    assert breaker.state == CLOSED


def test_a_failed_probe_opens_the_circuit_again():
    clock = Clock()
    breaker = CircuitBreaker(1, 30, clock=clock)
    with pytest.raises(OSError):
        breaker.call(fail)
    clock.now = 31
    with pytest.raises(OSError):
        breaker.call(fail)
    assert breaker.state == OPEN
    clock.now = 40
    with pytest.raises(CircuitOpen):
        breaker.call(lambda: "too soon")


def test_a_slow_call_does_not_hold_up_other_calls():
    breaker = CircuitBreaker(5, 30)
    entered, leave = threading.Event(), threading.Event()

    def slow():
        entered.set()
        leave.wait(5)

    slow_thread = threading.Thread(target=breaker.call, args=(slow,))
    slow_thread.start()
    entered.wait(5)
    finished = threading.Event()
    fast = threading.Thread(target=lambda: (breaker.call(lambda: None), finished.set()))
    fast.start()
    # pybreaker held its lock for the whole of the slow call: this one waited behind it.
    assert finished.wait(1)
    leave.set()
    slow_thread.join(5)
    fast.join(5)
