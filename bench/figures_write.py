"""Figure 2: a linked record's change through the gateway against the same CaseWare Cloud call
sent straight to the simulator, and the calls each change makes."""

import itertools
import os
import time
from dataclasses import dataclass

import requests

from adapters.caseware_cloud.field_map import load_field_maps
from bench.context import Bench
from bench.report import Figure, median, percentile
from bench.simctl import CallCount

P50_TARGET = 1.2  # x the direct call
RECORDS = 10  # linked clients the changes rotate over
_serial = itertools.count(1)


@dataclass(frozen=True)
class Change:
    """One kind of change: through the gateway, and as the adapter would send it."""

    key: str
    name: str
    record_type: str  # client | contact
    field: str
    resource: str  # entity | address | user: the CaseWare Cloud resource it changes

    def value(self) -> str:
        """A value never sent before: an unchanged field is not forwarded."""
        n = next(_serial)
        values = {"website": f"https://www.bench{n}.nl", "city": f"Benchstad {n}"}
        return values.get(self.field, f"+31 10 {n:07d}")


CHANGES = (
    Change("2a", "client website (entity field)", "client", "website", "entity"),
    Change("2b", "client city (address field)", "client", "city", "address"),
    Change("2c", "contact phone (user field)", "contact", "phone", "user"),
)


class Direct:
    """The same calls sent straight to the simulator: one session, a bearer token."""

    def __init__(self, b: Bench):
        self.api, self.data = b.sim_api, b.data
        self.maps = load_field_maps(os.environ.get("CWC_FIELD_MAP"))
        client_id, secret = b.sim_credentials
        self.http = requests.Session()
        body = {"ClientId": client_id, "ClientSecret": secret, "Language": "en"}
        answer = self.http.post(f"{self.api}/auth/token", json=body, timeout=30)
        answer.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {answer.json()['Token']}"

    def request(self, change: Change, record: int, value: str) -> requests.Response:
        """PATCH entities/{guid}, entities/addresses/{guid} or users/{guid}, as the adapter."""
        body = self.maps.to_cwc(change.resource, {change.field: value})
        values = self.maps.values
        if change.resource == "entity":
            path = f"entities/{self.data.entity[record]}"
            body |= {"OwnerType": values["entity_owner_type"], "Type": values["active_type"]}
        elif change.resource == "address":
            path = f"entities/addresses/{self.data.address[record]}"
        else:
            path = f"users/{self.data.user[record]}"
            body |= {"OwnerType": values["contact_owner_type"]}
        return self.http.patch(f"{self.api}/{path}", json=body, timeout=30)


def _records(b: Bench, change: Change) -> list[int]:
    clients = b.data.linked_clients[-RECORDS:]
    if change.record_type == "client":
        return clients
    return [b.data.contacts_of[cid][0] for cid in clients]


def _through_gateway(b: Bench, session, change: Change, record: int) -> requests.Response:
    url = f"{b.gateway.base}/v1/{change.record_type}s/{record}"
    return session.patch(url, json={change.field: change.value()}, timeout=60)


def _timed(send, records: list[int], samples: int) -> list[float]:
    times = []
    for n in range(samples):
        started = time.perf_counter()
        answer = send(records[n % len(records)])
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"a change answered {answer.status_code}: {answer.text[:300]}")
    return times


def _warm_up(b: Bench, change: Change, records: list[int]) -> None:
    """Each worker gets its CaseWare Cloud token and connections before the clock runs:
    new connections (Connection: close) land on the workers in turn."""
    for n in range(4 * b.settings["workers"]):
        session = b.gateway.session()
        session.headers["Connection"] = "close"
        _through_gateway(b, session, change, records[n % len(records)])


def _unsynced(b: Bench, change: Change, records: list[int]) -> list[str]:
    states = []
    for record in records:
        link = b.gateway.get(f"/v1/{change.record_type}s/{record}/links")["caseware_cloud"]
        if link["sync"]["state"] != "synced":
            states.append(f"{change.record_type} {record}: {link['sync']['state']}")
    return states


def write_latency(b: Bench) -> list[Figure]:
    """2: p50 and p99 of each change against the direct call, and its CaseWare Cloud calls."""
    direct, session, figures = Direct(b), b.gateway.session(), []
    samples = b.profile.write_samples
    for change in CHANGES:
        records = _records(b, change)

        def ours(record, change=change):
            return _through_gateway(b, session, change, record)

        def theirs(record, change=change):
            return direct.request(change, record, change.value())

        _warm_up(b, change, records)
        _timed(ours, records, 2)
        gateway_times, direct_times, calls = [], [], CallCount()
        for _ in range(b.profile.rounds):
            b.simctl.clear_calls()
            gateway_times.append(_timed(ours, records, samples))
            calls.add(b.simctl.calls())
            direct_times.append(_timed(theirs, records, samples))
        unsynced = _unsynced(b, change, records)
        if unsynced:
            b.notes.append(f"{change.key}: not synced after the changes: {', '.join(unsynced)}")
        figures += _latency_figures(change, gateway_times, direct_times)
        figures.append(_calls_figure(change, calls, samples * b.profile.rounds))
    return figures


def _latency_figures(change: Change, ours: list[list[float]], theirs: list[list[float]]):
    """p50 (the target) and p99 (shown) of each round's changes, the median of the rounds."""
    figures = []
    for q in (50, 99):
        rounds = [percentile(s, q) for s in ours]
        figure = Figure(
            key=f"{change.key}.p{q}",
            name=f"{change.name} p{q}",
            unit="ms",
            value=median(rounds),
            baseline=median([percentile(s, q) for s in theirs]),
            baseline_name="direct call",
            target=f"<= {P50_TARGET} x baseline" if q == 50 else "-",
            passed=None,
            rounds=rounds,
            note="" if q == 50 else f"{len(ours[0])} changes a round, one caller",
        )
        if q == 50:
            figure.passed = (figure.ratio or 99) <= P50_TARGET
        figures.append(figure)
    return figures


def _calls_figure(change: Change, calls: CallCount, changes: int) -> Figure:
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(calls.kinds.items())) or "none"
    exact = calls.total == changes and calls.kinds["write"] == changes
    overflow = " (the call log overflowed)" if calls.overflowed else ""
    return Figure(
        key=f"{change.key}.calls",
        name=f"{change.name}: CWC calls per change",
        unit="calls",
        value=calls.total / changes,
        baseline=1.0,
        baseline_name=f"1 {change.resource} PATCH",
        target="exactly 1, no token/search/read",
        passed=exact and not calls.overflowed,
        note=f"{change.name}: {changes} changes made {kinds}{overflow}",
    )
