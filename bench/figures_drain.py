"""Figure 4: the queue built up during an outage, drained against CaseWare Cloud's rate limit."""

import itertools
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.context import Bench
from bench.processes import UNLIMITED
from bench.report import Figure
from bench.simctl import CallWatcher

CAPACITY, REFILL = 20, 50.0  # the simulator's token bucket during the drain
TARGET = 0.9  # of the refill rate
WRITERS = 16  # callers making the changes during the outage


def _records(b: Bench, count: int) -> list[tuple[str, int]]:
    """Linked clients and contacts, each changed once while there are enough of them."""
    pool = [("client", c) for c in b.data.linked_clients]
    pool += [("contact", p) for p in b.data.linked_contacts]
    random.Random(4).shuffle(pool)
    return list(itertools.islice(itertools.cycle(pool), count))


def _make_changes(b: Bench, records: list[tuple[str, int]]) -> Counter:
    """One data change per record through the API, from WRITERS threads; answers by status."""
    local, statuses, lock = threading.local(), Counter(), threading.Lock()

    def change(item: tuple[int, tuple[str, int]]) -> None:
        n, (record_type, record_id) = item
        if not hasattr(local, "session"):
            local.session = b.gateway.session()
        if record_type == "client":
            body = {"website": f"https://www.drain{n}.nl"}
        else:
            body = {"phone": f"+31 40 {n:07d}"}
        url = f"{b.gateway.base}/v1/{record_type}s/{record_id}"
        try:
            status = local.session.patch(url, json=body, timeout=120).status_code
        except requests.RequestException as exc:  # counted with the other answers, not fatal
            status = type(exc).__name__
        with lock:
            statuses[status] += 1

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(change, enumerate(records)))
    return statuses


def drain(b: Bench) -> list[Figure]:
    """4: N changes queued while CaseWare Cloud is out; then the time and rate of their drain."""
    try:
        return _drain(b)
    finally:  # whatever happened, CaseWare Cloud is back, without the tight bucket
        b.simctl.faults(outage=False)
        b.simctl.rate_limit(int(UNLIMITED), float(UNLIMITED))


def _drain(b: Bench) -> list[Figure]:
    p, sim = b.profile, b.simctl
    if not b.gateway.wait_no_pending(120):
        b.notes.append("4: deliveries were still pending before the outage began")
    records = _records(b, p.drain_changes)
    sim.faults(outage=True)
    began = time.monotonic()
    statuses = _make_changes(b, records)
    write_rate = len(records) / (time.monotonic() - began)
    queued = b.gateway.pending()
    if queued != len(records) or set(statuses) != {200}:
        b.notes.append(f"4: {len(records)} changes answered {dict(statuses)}; {queued} pending")
    sim.rate_limit(CAPACITY, REFILL)
    sim.clear_calls()
    watcher = CallWatcher(sim)
    sim.faults(outage=False)
    cleared, cleared_at = time.monotonic(), time.time()  # the call log's "at" is wall time
    drained = watcher.follow(lambda: b.gateway.pending() == 0, every=1.0, timeout=p.drain_timeout)
    seconds = time.monotonic() - cleared
    left = 0 if drained else b.gateway.pending()
    calls = watcher.count
    span = (calls.last_ok or 0) - (calls.first_ok or 0)
    rate = calls.ok / span if span > 0 else float("nan")
    lost = " (the call log overflowed between polls: lower bounds)" if calls.overflowed else ""
    first_call = calls.first_ok - cleared_at if calls.first_ok else float("nan")
    outcome = "all delivered" if drained else f"NOT drained: {left} still pending"
    rate_figure = Figure(
        key="4",
        name=f"drain of {queued} queued changes",
        unit="calls/s",
        value=rate,
        baseline=REFILL,
        baseline_name=f"bucket refill, capacity {CAPACITY}",
        target=f">= {TARGET} x baseline",
        passed=None,
        rounds=[rate],
        note=f"delivered calls a second, first to last delivered call; {queued} pending when "
        f"the outage ended, {outcome} {seconds:.1f} s later; the changes were made at "
        f"{write_rate:.0f}/s",
    )
    rate_figure.passed = drained and (rate_figure.ratio or 0) >= TARGET
    too_many = calls.statuses[429]
    return [
        rate_figure,
        Figure(
            key="4.429",
            name="drain: CWC 429 answers",
            unit="calls",
            value=too_many,
            baseline=calls.ok,
            baseline_name="successful calls",
            target="< 1 x baseline",
            passed=too_many < calls.ok,
            note=f"call log during the drain, by status: {dict(calls.statuses)}{lost}",
        ),
        Figure(
            key="4.time",
            name="drain: outage end to empty queue",
            unit="s",
            value=seconds,
            baseline=max(queued - CAPACITY, 0) / REFILL,
            baseline_name="the bucket's own time",
            target="-",
            passed=None,
            note=f"first delivered call {first_call:.1f} s after the outage ended "
            "(circuit breaker pause, back-off)",
        ),
    ]
