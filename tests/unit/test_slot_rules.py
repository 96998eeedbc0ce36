"""Request slots: holders of a slot wait on CaseWare Cloud the request's whole time; when every
slot is taken, and only while their calls are quick, the spare's holder waits its short time;
then a request waits briefly for a slot and, failing that, is told to answer 202."""

import threading
import time
from contextlib import ExitStack

from services.request_slots import RequestSlots


def taken(slots: RequestSlots, seconds: float = 5.0) -> tuple[ExitStack, float | None]:
    """Take a slot and keep it until the returned stack is closed."""
    stack = ExitStack()
    return stack, stack.enter_context(slots.take(seconds))


def test_the_slots_give_the_full_time_then_the_spare_its_short_one():
    slots = RequestSlots(2, slot_wait=0.01, spare_seconds=0.5)
    first, second, spare = taken(slots), taken(slots), taken(slots)

    assert [first[1], second[1], spare[1]] == [5.0, 5.0, 0.5]
    for stack, _ in (first, second, spare):
        stack.close()


def test_the_spare_never_gives_more_than_the_request_has():
    slots = RequestSlots(1, slot_wait=0.01, spare_seconds=0.5)
    held, _ = taken(slots)

    with slots.take(0.2) as seconds:
        assert seconds == 0.2
    held.close()


def test_with_every_slot_and_the_spare_taken_a_request_waits_briefly_and_gets_none():
    slots = RequestSlots(1, slot_wait=0.05, spare_seconds=0.5)
    held = [taken(slots)[0], taken(slots)[0]]
    started = time.monotonic()

    with slots.take(5.0) as seconds:
        assert seconds is None
    assert time.monotonic() - started >= 0.05
    for stack in held:
        stack.close()


def test_a_slot_freed_during_the_wait_is_taken():
    slots = RequestSlots(1, slot_wait=5.0, spare_seconds=0.5)
    slot, spare = taken(slots)[0], taken(slots)[0]
    threading.Timer(0.05, slot.close).start()

    with slots.take(5.0) as seconds:
        assert seconds == 5.0  # a full slot, not the spare
    spare.close()


def test_a_freed_spare_is_taken_again():
    slots = RequestSlots(1, slot_wait=0.01, spare_seconds=0.5)
    slot = taken(slots)[0]
    with slots.take(5.0) as seconds:
        assert seconds == 0.5
    with slots.take(5.0) as seconds:
        assert seconds == 0.5
    slot.close()


def test_no_spare_when_its_time_is_zero():
    slots = RequestSlots(1, slot_wait=0.01, spare_seconds=0)
    slot = taken(slots)[0]

    with slots.take(5.0) as seconds:
        assert seconds is None
    slot.close()


def test_no_spare_once_the_slots_have_been_held_for_its_time():
    """CaseWare Cloud is slow: the spare thread is kept for /healthz and the reads."""
    slots = RequestSlots(1, slot_wait=0.01, spare_seconds=0.05)
    slot = taken(slots)[0]
    time.sleep(0.06)

    with slots.take(5.0) as seconds:
        assert seconds is None
    slot.close()
    with slots.take(5.0) as seconds:
        assert seconds == 5.0


def test_no_spare_for_work_that_may_not_have_it():
    slots = RequestSlots(1, slot_wait=0.01, spare_seconds=0.5)
    slot = taken(slots)[0]

    with slots.take(5.0, spare=False) as seconds:
        assert seconds is None
    with slots.take(5.0) as seconds:
        assert seconds == 0.5
    slot.close()
