"""Figures 1 and 5: read throughput against the bare app (wrk), and list latency."""

import random
import time

from bench import wrk
from bench.context import Bench
from bench.report import Figure, median, percentile

READ_TARGET = 0.6  # of the bare app's throughput
LIST_P99_TARGET_MS = 50.0
PAGE_SIZE = 100


def _skipped(key: str, name: str, target: str, why: str) -> Figure:
    return Figure(
        key=key,
        name=name,
        unit="req/s",
        value=float("nan"),
        baseline=None,
        baseline_name="",
        target=target,
        passed=None,
        note=f"skipped: {why}",
    )


def _list_queries(b: Bench) -> list[tuple[str, str, object]]:
    """(key, name, a function making one request's (path, params)): the filtered lists, with
    realistic filters of api.md; a filter the gateway does not take yet is left out."""
    data, rng = b.data, random.Random(5)
    filters = {"status": "active", "kind": "business"}
    total = b.gateway.get("/v1/clients", page_size=1, **filters)["total"]
    pages = max(1, -(-total // PAGE_SIZE))

    def active_businesses():
        return "/v1/clients", {**filters, "page": rng.randint(1, pages)}

    queries = [("5a", "GET /v1/clients?status=active&kind=business", active_businesses)]
    if b.gateway.supports("/v1/clients", "linked"):
        linked_pages = max(1, -(-len(data.linked_clients) // PAGE_SIZE))

        def linked_clients():
            return "/v1/clients", {"linked": "true", "page": rng.randint(1, linked_pages)}

        queries.append(("5b", "GET /v1/clients?linked=true", linked_clients))
    else:
        b.notes.append("5b skipped: GET /v1/clients does not take linked= yet (api.md lists it)")
    contact_filter = {}
    if b.gateway.supports("/v1/clients/{client_id}/contacts", "linked"):
        contact_filter = {"linked": "true"}

    def contacts_of_linked():
        return f"/v1/clients/{rng.choice(data.linked_clients)}/contacts", dict(contact_filter)

    suffix = "?linked=true" if contact_filter else ""
    queries.append(("5c", f"GET /v1/clients/{{id}}/contacts{suffix}", contacts_of_linked))
    return queries


def capture_bodies(b: Bench) -> dict[str, bytes]:
    """Real answers of the gateway, one per route, for the bare app to send byte for byte."""
    cid, pid = b.data.linked_clients[0], b.data.linked_contacts[0]
    filters = {"status": "active", "kind": "business", "page_size": PAGE_SIZE}
    return {
        "client_links": b.capture(f"/v1/clients/{cid}/links"),
        "contact_links": b.capture(f"/v1/contacts/{pid}/links"),
        "clients": b.capture("/v1/clients", **filters),
        "client_contacts": b.capture(f"/v1/clients/{cid}/contacts", page_size=PAGE_SIZE),
    }


def read_throughput(b: Bench, bare: str) -> list[Figure]:
    """1: GET of a client's and of a contact's link, random linked ids, against the bare app."""
    reads = (
        ("1a", "GET /v1/clients/{id}/links", "/v1/clients/%d/links", b.data.linked_clients),
        ("1b", "GET /v1/contacts/{id}/links", "/v1/contacts/%d/links", b.data.linked_contacts),
    )
    target = f">= {READ_TARGET} x baseline"
    why = wrk.ensure_wrk()
    if why:
        b.notes.append(f"figure 1 skipped: {why}")
        return [_skipped(key, f"{name} req/s", target, why) for key, name, *_ in reads]
    p = b.profile
    figures = []
    for key, name, template, ids in reads:
        script = wrk.write_script(b.tmp, f"read-{key}", template, ids, b.token)

        def run(base, seconds=p.wrk_seconds, script=script):
            return wrk.run(base, script, seconds, p.wrk_connections, threads=1)

        run(b.gateway.base, 1), run(bare, 1)  # warm both: connections, caches, lazy imports
        ours, theirs = [], []
        for _ in range(p.rounds):  # alternated, so that a drift of the machine hits both
            ours.append(run(b.gateway.base))
            theirs.append(run(bare))
        bad = sum(r.status_errors + r.socket_errors for r in ours + theirs)
        rates = [r.ok_per_second for r in ours]
        p99, bare99 = median([r.p99_ms for r in ours]), median([r.p99_ms for r in theirs])
        figure = Figure(
            key=key,
            name=f"{name} req/s",
            unit="req/s",
            value=median(rates),
            baseline=median([r.ok_per_second for r in theirs]),
            baseline_name="bare Flask",
            target=target,
            passed=None,
            rounds=rates,
            note=f"{name}: p99 {p99:.1f} ms (bare {bare99:.1f} ms), {bad} non-2xx or socket "
            f"errors; wrk -t1 -c{p.wrk_connections}, {p.wrk_seconds:g} s x {p.rounds}",
        )
        figure.passed = bad == 0 and (figure.ratio or 0) >= READ_TARGET
        figures.append(figure)
    return figures


def _latencies(session, base: str, requests: list[tuple[str, dict]]) -> list[float]:
    samples = []
    for path, params in requests:
        started = time.perf_counter()
        query = {**params, "page_size": PAGE_SIZE}
        answer = session.get(f"{base}{path}", params=query, timeout=60)
        samples.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path} {params} answered {answer.status_code}")
    return samples


def list_latency(b: Bench, bare: str) -> list[Figure]:
    """5: filtered lists over the whole data set, page of 100, one caller: p50 and p99."""
    figures = []
    ours_session, bare_session = b.gateway.session(), b.gateway.session()
    for key, name, make in _list_queries(b):
        _latencies(ours_session, b.gateway.base, [make() for _ in range(5)])  # warm up
        p50s, p99s, bare50, bare99 = [], [], [], []
        for _ in range(b.profile.rounds):
            requests = [make() for _ in range(b.profile.list_samples)]
            ours = _latencies(ours_session, b.gateway.base, requests)
            theirs = _latencies(bare_session, bare, requests)
            p50s.append(percentile(ours, 50))
            p99s.append(percentile(ours, 99))
            bare50.append(percentile(theirs, 50))
            bare99.append(percentile(theirs, 99))
        figures.append(
            Figure(
                key=f"{key}.p50",
                name=f"{name} p50",
                unit="ms",
                value=median(p50s),
                baseline=median(bare50),
                baseline_name="bare Flask",
                target="-",
                passed=None,
                rounds=p50s,
            )
        )
        p99 = median(p99s)
        figures.append(
            Figure(
                key=f"{key}.p99",
                name=f"{name} p99",
                unit="ms",
                value=p99,
                baseline=median(bare99),
                baseline_name="bare Flask",
                target=f"<= {LIST_P99_TARGET_MS:g} ms",
                passed=p99 <= LIST_P99_TARGET_MS,
                rounds=p99s,
                note=f"{name}: page of {PAGE_SIZE}, random page or client, "
                f"{b.profile.list_samples} requests a round from one caller",
            )
        )
    return figures
