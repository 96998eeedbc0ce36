"""The background courier's threads: a process idle for an interval looks for work once an
interval, not once per thread; while there is work, every thread takes part."""

import threading
import time

from services.worker import BackgroundCourier


class Queue:
    """A courier with `due` changes waiting: each round delivers one."""

    def __init__(self, due: int = 0):
        self.due, self.looks = due, 0

    def run_due(self, stopping=lambda: False) -> int:
        self.looks += 1
        if self.due:
            self.due -= 1
            return 1
        return 0


def round_on_a_thread_of_its_own(worker: BackgroundCourier) -> int:
    done = []
    thread = threading.Thread(target=lambda: done.append(worker._round()))
    thread.start()
    thread.join()
    return done[0]


def test_after_a_round_found_nothing_the_other_threads_do_not_look_within_the_interval():
    queue = Queue()
    worker = BackgroundCourier(queue, interval=60.0, threads=4)

    assert worker._round() == 0
    for _ in range(3):
        assert round_on_a_thread_of_its_own(worker) == 0

    assert queue.looks == 1
    assert worker._round() == 0  # the thread that found nothing keeps its own rhythm
    assert queue.looks == 2


def test_once_the_interval_is_over_any_thread_looks_again():
    queue = Queue()
    worker = BackgroundCourier(queue, interval=0.01, threads=4)
    worker._round()
    time.sleep(0.02)

    round_on_a_thread_of_its_own(worker)

    assert queue.looks == 2


def test_while_rounds_find_work_every_thread_takes_part():
    queue = Queue(due=3)
    worker = BackgroundCourier(queue, interval=60.0, threads=4)

    done = [worker._round()] + [round_on_a_thread_of_its_own(worker) for _ in range(2)]

    assert done == [1, 1, 1] and queue.looks == 3
    # A pause in a drain (what is left waits for its retry time): the others go on looking.
    assert round_on_a_thread_of_its_own(worker) == 0
    assert round_on_a_thread_of_its_own(worker) == 0
    assert queue.looks == 5


def test_after_an_interval_without_work_the_others_rest_again():
    queue = Queue(due=1)
    worker = BackgroundCourier(queue, interval=0.05, threads=4)
    assert worker._round() == 1
    time.sleep(0.06)

    assert round_on_a_thread_of_its_own(worker) == 0  # looks, finds nothing
    assert round_on_a_thread_of_its_own(worker) == 0  # rests

    assert queue.looks == 2


def test_duties_are_part_of_the_round_and_count_as_work():
    queue, duty_runs = Queue(), []
    worker = BackgroundCourier(
        queue, interval=60.0, threads=2, rounds=[lambda: duty_runs.append(1) or 1]
    )

    assert worker._round() == 1
    assert round_on_a_thread_of_its_own(worker) == 1  # the duty did work: nobody rests

    assert queue.looks == 2 and len(duty_runs) == 2
