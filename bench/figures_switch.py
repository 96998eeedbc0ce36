"""Figure 3: link switches from many callers at once, against the ideal that the gunicorn
threads and CaseWare Cloud's 50 ms per call allow."""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from bench.context import CWC_LATENCY_MS, Bench
from bench.report import Figure, median, percentile
from bench.simctl import CallCount, count_calls

TARGET = 0.8  # of the ideal


@dataclass
class Race:
    """What the callers saw: answers by status, latencies of the 200s, the end state."""

    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    final: dict[int, bool] = field(default_factory=dict)  # contact -> switched on at the end
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _caller(b: Bench, contact: int, start: threading.Barrier, until: list, race: Race) -> None:
    session, on = b.gateway.session(), True
    url = f"{b.gateway.base}/v1/contacts/{contact}/links"
    start.wait()
    while time.monotonic() < until[0]:
        began = time.perf_counter()
        try:
            answer = session.patch(url, json={"caseware_cloud": {"active": not on}}, timeout=60)
            status = answer.status_code
        except requests.RequestException as exc:  # counted with the other answers, not fatal
            status = type(exc).__name__
        took = (time.perf_counter() - began) * 1000
        with race.lock:
            race.statuses[status] += 1
            if status == 200:
                race.latencies.append(took)
        if status in (200, 202):  # the switch moved (202: CaseWare Cloud has yet to confirm)
            on = not on
    race.final[contact] = on


def _race(b: Bench, contacts: list[int], seconds: float) -> Race:
    race, until = Race(), [0.0]
    start = threading.Barrier(len(contacts) + 1)
    threads = [threading.Thread(target=_caller, args=(b, c, start, until, race)) for c in contacts]
    for thread in threads:
        thread.start()
    until[0] = time.monotonic() + seconds
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join()
    race.seconds = time.monotonic() - began  # to the last answer, in-flight ones included
    return race


def _switch_back_on(b: Bench, race: Race) -> None:
    """Leave every contact linked, as the figures after this one expect."""
    for contact, on in race.final.items():
        if not on:
            url = f"{b.gateway.base}/v1/contacts/{contact}/links"
            b.gateway.http.patch(url, json={"caseware_cloud": {"active": True}}, timeout=60)


def switch_throughput(b: Bench) -> list[Figure]:
    """3: callers on different linked contacts (of different clients) switch off and on."""
    p = b.profile
    clients = b.data.linked_clients[1 : 1 + p.switch_callers]
    contacts = [b.data.contacts_of[cid][0] for cid in clients]
    slots = b.settings["workers"] * b.settings["threads"]
    rates, ideals, per_switch, p50s = [], [], [], []
    statuses, calls = Counter(), CallCount()
    for _ in range(p.rounds):
        b.simctl.clear_calls()
        race = _race(b, contacts, p.switch_seconds)
        if not b.gateway.wait_no_pending(120):  # a 202's calls come from the background
            b.notes.append("3: deliveries still pending 120 s after the switches")
        counted = count_calls(b.simctl)
        calls.kinds.update(counted.kinds)
        calls.statuses.update(counted.statuses)
        calls.overflowed |= counted.overflowed
        _switch_back_on(b, race)
        b.gateway.wait_no_pending(60)
        statuses.update(race.statuses)
        moved = race.statuses[200] + race.statuses[202]
        cps = counted.total / moved if moved else float("nan")
        per_switch.append(cps)
        rates.append(race.statuses[200] / race.seconds)
        ideals.append(slots / (cps * CWC_LATENCY_MS / 1000) if moved else float("nan"))
        p50s.append(percentile(race.latencies, 50))
    others = {s: n for s, n in statuses.items() if s not in (200, 202)}
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(calls.kinds.items()))
    figure = Figure(
        key="3",
        name=f"link switches/s, {len(contacts)} callers",
        unit="switches/s",
        value=median(rates),
        baseline=median(ideals),
        baseline_name=f"ideal: {slots} threads / (calls x {CWC_LATENCY_MS} ms)",
        target=f">= {TARGET} x baseline",
        passed=None,
        rounds=rates,
        note=f"{statuses[200]} switches answered 200, {statuses[202]} answered 202 (not "
        f"counted), other answers: {others or 'none'}; {p.switch_seconds:g} s x {p.rounds}",
    )
    figure.passed = (figure.ratio or 0) >= TARGET and not others
    overflow = " (the call log overflowed: lower bounds)" if calls.overflowed else ""
    return [
        figure,
        Figure(
            key="3.calls",
            name="CWC calls per switch",
            unit="calls",
            value=median(per_switch),
            baseline=None,
            baseline_name="",
            target="as few as needed",
            passed=None,
            rounds=per_switch,
            note=f"the switches' calls (off and on alike): {kinds}{overflow}",
        ),
        Figure(
            key="3.p50",
            name="switch latency p50 (the 200s)",
            unit="ms",
            value=median(p50s),
            baseline=None,
            baseline_name="",
            target="-",
            passed=None,
            rounds=p50s,
        ),
    ]
