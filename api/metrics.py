"""/metrics in Prometheus' text format: requests, latency, deliveries, and what waits.

Under gunicorn every worker process writes its numbers to PROMETHEUS_MULTIPROC_DIR (set in
gunicorn.conf.py) and a scrape adds them up; elsewhere the app keeps its own registry.
"""

import os
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from api.context import reader
from services import operations, reconciliation


class GatewayMetrics:
    """The app's metric objects, on a registry of its own (no global state)."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gateway_http_requests", "HTTP requests answered", ["method", "route", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "gateway_http_request_seconds", "Time to answer an HTTP request", ["method", "route"],
            registry=self.registry,
        )  # fmt: skip
        self.deliveries = Counter(
            "gateway_cwc_deliveries", "Delivery attempts to CaseWare Cloud by outcome", ["outcome"],
            registry=self.registry,
        )  # fmt: skip
        self._series: dict[tuple[str, str, int], tuple] = {}

    def series(self, method: str, route: str, status: int) -> tuple:
        """The request counter and latency histogram of these labels, looked up once: labels()
        validates and locks at every call, a cost on every request."""
        key = (method, route, status)
        found = self._series.get(key)
        if found is None:  # a race here makes the same children twice: labels() is idempotent
            found = self._series[key] = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
        return found


class _Collected:
    """Metrics computed at scrape time."""

    def __init__(self, *metrics):
        self._metrics = metrics

    def collect(self):
        yield from self._metrics


# Label values come from these sets, never from what a caller sends: a made-up method or path
# must not add a series (each one costs memory in every worker and time at every scrape).
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STATUSES = frozenset(range(100, 600))


def _start_timer():
    g.metrics_started = time.perf_counter()


def _observe(response: Response):
    started = g.pop("metrics_started", None)
    if started is not None and request.endpoint != "metrics":
        method = request.method if request.method in _METHODS else "other"
        route = request.url_rule.rule if request.url_rule else "unmatched"
        status = response.status_code if response.status_code in _STATUSES else 0
        count, latency = current_app.extensions["metrics"].series(method, route, status)
        count.inc()
        latency.observe(time.perf_counter() - started)
    return response


def _scrape():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = current_app.extensions["metrics"].registry
    return Response(generate_latest(registry) + _backlog(), mimetype=CONTENT_TYPE_LATEST)


def _backlog() -> bytes:
    """Read from the database, so that every worker reports the same numbers; none if it is down.

    Alert on the oldest pending change's age (CaseWare Cloud away too long), on failed
    deliveries (refused: a person must fix the data, then retry) and on held ones (the unlink
    guard tripped: a person must look, then release)."""
    backlog = operations.delivery_backlog(reader())
    if backlog is None:
        return b""
    gauges = [
        GaugeMetricFamily(name, description, value=value)
        for name, description, value in (
            ("gateway_pending_deliveries", "Changes waiting for CaseWare Cloud", backlog.pending),
            ("gateway_failed_deliveries", "Changes CaseWare Cloud refused", backlog.failed),
            (
                "gateway_held_deliveries",
                "Withdrawals the unlink guard holds until an admin releases them",
                backlog.held,
            ),
            (
                "gateway_oldest_pending_delivery_seconds",
                "Age of the oldest change waiting for CaseWare Cloud (0: none waits)",
                backlog.oldest_pending_seconds,
            ),
        )
    ]
    drifted = reconciliation.drifted_records(reader())
    if drifted is not None:
        # Alert above 0: someone changed linked records in CaseWare Cloud (the runbook: look
        # at the results, then reconcile with repair).
        gauges.append(
            GaugeMetricFamily(
                "gateway_reconciliation_drifted_records",
                "Drifted and missing records of the latest finished reconciliation",
                value=drifted,
            )
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collected(*gauges))
    return generate_latest(registry)


def register(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.add_url_rule("/metrics", "metrics", _scrape)
