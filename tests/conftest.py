"""Shared fixtures: an app on each database (SQLite always, PostgreSQL when configured)."""

import os
import secrets
import uuid
from urllib.parse import quote

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from adapters.caseware_cloud.simulator import start_in_thread
from app import create_app
from cli import alembic_config
from config import TestConfig
from domain.rights import ALL_RIGHTS
from services import tokens
from services.tokens import OPERATOR
from tests import log_watch

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_configure(config):
    log_watch.start()


# What the logs of pytest-xdist's workers leaked, gathered by the controller as each one ends.
_leaks_from_workers: list[str] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist's controller: a worker is done; keep what its logs leaked."""
    _leaks_from_workers.extend(getattr(node, "workeroutput", {}).get("log_leaks", []))


def pytest_sessionfinish(session, exitstatus):
    """Fail the run when any log of the gateway kept a secret (api.md: none ever appears)."""
    found = log_watch.leaks()
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: its exit status is not the run's
        workeroutput["log_leaks"] = found
        return
    found += _leaks_from_workers
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"{len(found)} secret(s) written to a log of the gateway:", *found[:30]]
        if reporter:
            reporter.write_sep("=", "secrets in logs", red=True)
            reporter.write_line("\n".join(lines))
        session.exitstatus = 1


BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _postgres_schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory):
    """One migrated database per backend for the session; PostgreSQL's in a throwaway schema."""
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'gateway.db'}"}
    schema = None
    if POSTGRES_URL:
        schema = f"gw_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES_URL)
        try:
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:  # configured but unreachable: say so, do not pass silently
            pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL cannot be used: {exc}")
        urls["postgresql"] = _postgres_schema_url(schema)
    for url in urls.values():
        command.upgrade(alembic_config(url), "head")
    yield urls
    if schema:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _empty_tables(engine) -> None:
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


# Retries cost milliseconds in tests; the timeouts stay generous for a slow CI machine.
FAST_CWC = {
    "CWC_CONNECT_TIMEOUT": 1.0,
    "CWC_READ_TIMEOUT": 2.0,
    "CWC_MAX_ATTEMPTS": 3,
    "CWC_BACKOFF_BASE": 0.001,
    "CWC_BACKOFF_CAP": 0.005,
    "CWC_MAX_RETRY_WAIT": 1.0,
    # A create whose answer was lost is looked up again this long after, not 30 s.
    "CWC_CREATE_SETTLE_SECONDS": 0.5,
}


@pytest.fixture(scope="session")
def cwc_sim_server():
    """One CaseWare Cloud simulator on a real socket for the whole session."""
    handle = start_in_thread("gateway-test", "secret-" + secrets.token_hex(16))
    yield handle
    handle.stop()


@pytest.fixture
def cwc_sim(cwc_sim_server):
    """The simulator, emptied and without faults, for one test."""
    cwc_sim_server.reset()
    cwc_sim_server.accept_connections()
    yield cwc_sim_server
    cwc_sim_server.clear_faults()
    cwc_sim_server.accept_connections()


@pytest.fixture
def app_settings() -> dict:
    """Settings over TestConfig for the app fixture (a test module may override this fixture)."""
    return {}


@pytest.fixture(params=BACKENDS)
def app(request, migrated_databases, cwc_sim, app_settings):
    """A gateway on a migrated, empty database of each backend, pointed at the simulator."""

    class Config(TestConfig):
        DATABASE_URL = migrated_databases[request.param]
        CWC_BASE_URL = cwc_sim.api_url
        CWC_CLIENT_ID = cwc_sim.client_id
        CWC_CLIENT_SECRET = cwc_sim.client_secret
        locals().update(FAST_CWC)
        locals().update(app_settings)

    application = create_app(Config)
    engine = application.extensions["db_engine"]
    _empty_tables(engine)
    yield application
    application.extensions["cwc"].close()
    engine.dispose()
    application.extensions["db_reader_engine"].dispose()


@pytest.fixture
def http(app):
    """Flask's test client: the app through its HTTP interface."""
    return app.test_client()


@pytest.fixture
def make_token(app):
    """make_token("name", ["clients:read"]) -> the bearer secret."""

    def make(name: str, rights=ALL_RIGHTS, expires_at=None) -> str:
        _token, secret = tokens.create_token(
            app.extensions["uow_factory"](), OPERATOR, name, list(rights), expires_at
        )
        return secret

    return make


@pytest.fixture
def auth(make_token):
    """Authorization headers of a token that holds every right."""
    return {"Authorization": f"Bearer {make_token('tester')}"}


@pytest.fixture
def new_client(http, auth):
    """new_client(number="1001", **fields) -> the created client's JSON."""

    def create(number="1001", name="Bakkerij Jansen BV", **fields):
        response = http.post(
            "/v1/clients", json={"number": number, "name": name, **fields}, headers=auth
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create
