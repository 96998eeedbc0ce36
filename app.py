"""The gateway's application factory; importing this module does nothing else."""

import logging
import sys
from datetime import timedelta
from inspect import iscoroutinefunction

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import api
import cli
import log_format
from adapters.caseware_cloud import CaseWareCloud
from adapters.caseware_cloud.unconfigured import UnconfiguredCaseWareCloud
from api.metrics import GatewayMetrics
from api.request_id import current_request_id
from config import Config
from db.changes import DatabaseChanges
from db.engine import make_engine, make_reader_engine
from db.uow import unit_of_work_factory
from services import idempotency, people, tokens
from services.delivery import Courier, call_deadline, sending_for
from services.delivery_policy import delivery_policy
from services.link_job_runner import LinkJobRunner, job_policy
from services.operations import CaseWareCloudProbe
from services.reconciliation_runner import ReconciliationRunner
from services.unlink_guard import guard_from_config
from services.worker import BackgroundCourier


class GatewayFlask(Flask):
    """Flask, remembering which views and hooks are plain functions (none of ours is async):
    Flask asks inspect about each, some twenty times a request, at about 1 us a time."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._plain: dict = {}

    def ensure_sync(self, func):
        target = getattr(func, "__func__", func)  # a view's bound method: its function
        plain = self._plain.get(target)
        if plain is None:
            if len(self._plain) > 10_000:  # functions made per request would grow it forever
                self._plain.clear()
            plain = self._plain[target] = not iscoroutinefunction(func)
        return func if plain else super().ensure_sync(func)


def _request_id() -> str | None:
    """The request being served, or the one a delivery under way belongs to (the courier's)."""
    return current_request_id() or sending_for.get()


def _configure_logging(app: Flask, stream=None) -> logging.Handler:
    """One line per record on stdout (or `stream`): JSON, or plain text on a terminal."""
    stream = stream or sys.stdout
    kind = log_format.choose(app.config["LOG_FORMAT"], stream)
    return log_format.install(kind, stream, _request_id, app.config["LOG_LEVEL"])


def _caseware_cloud(app: Flask):
    """The CaseWare Cloud adapter, or a stand-in that refuses when it is not configured."""
    if app.config.get("CWC_CLIENT_ID") and app.config.get("CWC_CLIENT_SECRET"):
        return CaseWareCloud.from_config(
            app.config,
            request_id_provider=_request_id,
            deadline_provider=call_deadline,
        )
    if app.config["GATEWAY_ENV"] == "production":
        raise RuntimeError("CWC_CLIENT_ID and CWC_CLIENT_SECRET are required in production")
    logging.getLogger(__name__).warning(
        "CaseWare Cloud is not configured: changes will wait in the delivery queue"
    )
    return UnconfiguredCaseWareCloud()


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies, the client's address and scheme are the ones they forward."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops < 0:
        raise RuntimeError("TRUSTED_PROXIES must be 0 or more")
    if hops:
        # Each proxy appends the address it saw; only the last `hops` entries are theirs, the
        # rest is whatever the client wrote.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _forget_expired_keys(app: Flask):
    ttl = timedelta(seconds=app.config["IDEMPOTENCY_TTL_SECONDS"])
    return lambda: idempotency.purge_expired(app.extensions["uow_factory"](), ttl)


def create_app(config: type[Config] | Config | None = None) -> Flask:
    """Build a gateway: storage, the /v1 API, the operator commands."""
    # api/templates holds our Swagger UI page, which takes precedence over flask-smorest's.
    app = GatewayFlask(__name__, static_folder=None, template_folder="api/templates")
    app.config.from_object(config or Config)
    app.json.sort_keys = False  # fields in the order the schemas declare them
    if not app.config["TESTING"]:
        _configure_logging(app)
    # Checked before anything starts: a gateway with unusable JWT settings must not serve.
    app.extensions["jwt_settings"] = people.settings_from_config(app.config)

    engine = make_engine(
        app.config["DATABASE_URL"], sqlite_busy_timeout=app.config["SQLITE_BUSY_TIMEOUT_SECONDS"]
    )
    readers = make_reader_engine(
        engine, sqlite_busy_timeout=app.config["SQLITE_BUSY_TIMEOUT_SECONDS"]
    )
    app.extensions["db_engine"] = engine
    app.extensions["db_reader_engine"] = readers
    app.extensions["uow_factory"] = unit_of_work_factory(engine)
    app.extensions["reader_factory"] = unit_of_work_factory(readers, read_only=True)
    app.extensions["db_changes"] = changes = DatabaseChanges(readers)
    app.extensions["known_tokens"] = tokens.KnownTokens(
        changes.version, proof_costs_a_round_trip=changes.costs_a_round_trip
    )

    app.extensions["cwc"] = _caseware_cloud(app)
    app.extensions["cwc_probe"] = CaseWareCloudProbe(app.extensions["cwc"])
    metrics = app.extensions["metrics"] = GatewayMetrics()
    courier = Courier(
        app.extensions["uow_factory"],
        app.extensions["cwc"],
        delivery_policy(app.config),
        on_outcome=lambda outcome: metrics.deliveries.labels(outcome).inc(),
        reader_factory=app.extensions["reader_factory"],
        guard=guard_from_config(app.config),
    )
    app.extensions["courier"] = courier
    runner = app.extensions["reconciliation_runner"] = ReconciliationRunner(
        app.extensions["uow_factory"],
        app.extensions["cwc"],
        courier,
        lease_seconds=app.config["DELIVERY_LEASE_SECONDS"],
        reader_factory=app.extensions["reader_factory"],
    )
    jobs = LinkJobRunner(
        app.extensions["uow_factory"],
        app.extensions["reader_factory"],
        courier,
        app.extensions["cwc"],
        job_policy(app.config),
    )
    app.extensions["link_job_runner"] = jobs
    # Started by gunicorn's post_worker_init (gunicorn.conf.py), not here: a CLI command that
    # builds the app must not start delivering.
    poll = app.config["DELIVERY_POLL_SECONDS"]
    app.extensions["background_courier"] = (
        BackgroundCourier(
            courier,
            poll,
            housekeeping=_forget_expired_keys(app),
            threads=app.config["DELIVERY_COURIER_THREADS"],
            rounds=[jobs.run_round, runner.run_due],
        )
        if poll > 0
        else None
    )

    api.register(app)
    cli.register(app)
    _trust_proxies(app)
    return app
