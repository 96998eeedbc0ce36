"""Real processes: the simulator and gunicorn, started as a user starts them."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import NamedTuple

import pytest
import redis
import requests
from sqlalchemy import create_engine, text

from tests import log_watch
from tests.conftest import POSTGRES_URL, _postgres_schema_url

ROOT = Path(__file__).resolve().parents[2]


NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
)


def nginx_args(prefix, conf, *options):
    """nginx in the foreground, a child of the test, with its files under `prefix`."""
    # Root's workers would otherwise run as the packaged user, who cannot enter the test's
    # private temporary folder.
    settings = "user root;" if os.geteuid() == 0 else ""
    return [NGINX, *options, "-p", str(prefix), "-c", str(conf), "-e", "stderr",
            "-g", f"daemon off; {settings}"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Process:
    """A child in its own process group, so that a kill takes its workers too."""

    def __init__(self, args, env, log: Path, *, ours: bool = True):
        self.log = log
        self._file = log.open("ab")
        if ours:  # the gateway's (gunicorn, nginx): checked for secrets at the suite's end
            log_watch.watch_file(log)
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            self.popen.wait(10)
        self._file.close()


@pytest.fixture
def simulator(tmp_path):
    port, client_id, secret = free_port(), "e2e", secrets.token_hex(16)
    args = [sys.executable, "-m", "adapters.caseware_cloud.simulator", "--port", str(port),
            "--client-id", client_id, "--client-secret", secret]  # fmt: skip
    process = Process(args, os.environ.copy(), tmp_path / "simulator.log", ours=False)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: requests.get(f"{base}/_sim/state", timeout=1).ok, 15, "the simulator")
    yield {
        "base": base,
        "api": f"{base}/demo/ms/caseware-cloud/api/v2",
        "id": client_id,
        "secret": secret,
    }
    process.kill()


@pytest.fixture
def database_url(tmp_path):
    """The gateway's database: a SQLite file. A module that runs on every database overrides
    this with `@pytest.fixture(params=BACKENDS)` over `each_database`."""
    return f"sqlite:///{tmp_path / 'gateway.db'}"


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class RedisKeys(NamedTuple):
    prefix: str
    client: redis.Redis


@pytest.fixture
def redis_keys():
    """A key prefix of this test's own in a Redis that answers (else a skip saying so), and a
    client to look at the keys; every key under the prefix is deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        pytest.skip(f"Redis at {REDIS_URL} cannot be reached ({error}): set TEST_REDIS_URL")
    prefix = f"gateway-test-{uuid.uuid4().hex[:12]}"
    yield RedisKeys(prefix, client)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def each_database(backend: str, tmp_path):
    """A database URL for one test, as a fixture's generator: a SQLite file, or PostgreSQL in
    a throwaway schema, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.db'}"
        return
    schema = f"gw_e2e_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def gateway_env():
    """Extra environment for gunicorn (a test module may override this fixture)."""
    return {}


# `flask --app app db upgrade`, then `token create e2e --rights RIGHTS`, in one process: each
# start of Python imports the whole app (about a second on a loaded machine), and every e2e
# test starts here. The secret is the last line printed, as with the command alone.
MIGRATE_AND_CREATE_TOKEN = """
import sys
from flask.cli import cli
for args in (["db", "upgrade"], ["token", "create", "e2e", "--rights", sys.argv[1]]):
    cli.main(["--app", "app", *args], standalone_mode=False)
"""


@pytest.fixture
def gateway(tmp_path, simulator, database_url, gateway_env):
    """start() runs gunicorn on a migrated database; the same database survives restarts."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CWC_BASE_URL": simulator["api"],
        "CWC_CLIENT_ID": simulator["id"],
        "CWC_CLIENT_SECRET": simulator["secret"],
        "CWC_MAX_ATTEMPTS": "1",
        "CWC_READ_TIMEOUT": "2",
        "DELIVERY_POLL_SECONDS": "0.2",
        "DELIVERY_BACKOFF_BASE": "0.05",
        "DELIVERY_BACKOFF_CAP": "0.2",
        "DELIVERY_LEASE_SECONDS": "2",
        "CWC_BREAKER_RESET_SECONDS": "0.5",
        "GATEWAY_WORKERS": "2",
        # gunicorn empties this folder when it starts: one of its own for each test, so that
        # gunicorns of tests running side by side (pytest -n) keep their metrics.
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        **gateway_env,
    }
    rights = "clients:read,clients:write,links:read,links:write,admin"
    created = subprocess.run(
        [sys.executable, "-c", MIGRATE_AND_CREATE_TOKEN, rights],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    token = created.stdout.strip().splitlines()[-1]
    port = free_port()
    env["GATEWAY_BIND"] = f"127.0.0.1:{port}"
    running: list[Process] = []

    def start() -> Process:
        args = [sys.executable, "-m", "gunicorn", "app:create_app()"]
        process = Process(args, env, tmp_path / "gateway.log")
        running.append(process)
        wait_until(lambda: requests.get(f"{base}/healthz", timeout=1).ok, 20, "gunicorn")
        return process

    base = f"http://127.0.0.1:{port}"
    yield {
        "base": base,
        "headers": {"Authorization": f"Bearer {token}"},
        "start": start,
        "env": env,  # for other processes on the same database (a standalone worker, say)
    }
    for process in running:
        process.kill(signal.SIGTERM)
