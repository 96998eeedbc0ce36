"""The README's production recipe, followed from deploy/: the environment file and nginx.conf
rendered, release.sh's migration once, the units' commands as systemd runs them (two gateway
machines and the standalone worker) against PostgreSQL and Redis, and a link switched through
nginx, with CaseWare Cloud down and up."""

import configparser
import http.client
import json
import os
import re
import shlex
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from adapters.caseware_cloud.client import CALL_TIMEOUT
from config import Config
from deploy.render_nginx import render
from tests import log_watch
from tests.conftest import POSTGRES_URL
from tests.e2e.conftest import (
    NGINX,
    REDIS_URL,
    ROOT,
    Process,
    each_database,
    free_port,
    nginx_args,
    wait_until,
)

pytestmark = pytest.mark.slow

DEPLOY = ROOT / "deploy"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
APP_DIR, RUN_DIR = "/opt/caseware-gateway", "/run/caseware-gateway"
CLIENT_ADDRESS = "127.0.0.2"  # the caller; nginx reaches the gunicorns from 127.0.0.1
AUTH_FAILURES = 3


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile reads ours: comments, single quotes."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().removeprefix("'").removesuffix("'")
    return values


def read_unit(name: str) -> configparser.SectionProxy:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # keys keep their case
    unit.read(DEPLOY / name)
    return unit["Service"]


def unit_command(name: str) -> list[str]:
    """The unit's ExecStart, with this checkout in place of its install folder."""
    service = read_unit(name)
    assert service["WorkingDirectory"] == APP_DIR
    return [part.replace(APP_DIR, str(ROOT)) for part in shlex.split(service["ExecStart"])]


def unit_env(name: str, env_file: Path, run_dir: Path) -> dict[str, str]:
    """What systemd gives the unit: its Environment=, overridden by the EnvironmentFile."""
    service = read_unit(name)
    assert service["EnvironmentFile"] == "/etc/caseware-gateway/gateway.env"
    own = dict(
        item.split("=", 1) for item in shlex.split(service.get("Environment", "")) if "=" in item
    )
    own = {key: value.replace(RUN_DIR, str(run_dir)) for key, value in own.items()}
    return {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **own, **read_env_file(env_file)}


def test_the_units_stop_within_their_timeouts_and_nginx_matches_the_body_limit():
    # Read, not run: running gunicorn.conf.py would set gunicorn up in this process.
    graceful = int(re.search(r"^graceful_timeout = (\d+)$", GUNICORN_CONF.read_text(), re.M)[1])
    gateway, worker = read_unit("gateway.service"), read_unit("gateway-worker.service")
    for service in (gateway, worker):
        assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "on-failure"
        assert service["User"] and service["WorkingDirectory"] == APP_DIR
    # systemd kills only after gunicorn's own graceful stop has had its time.
    assert int(gateway["TimeoutStopSec"]) > graceful
    assert gateway["KillMode"] == "mixed"  # SIGTERM to the master; it stops its workers
    # The worker's delivery under way: its current call, then DELIVERY_WAIT_SECONDS.
    assert int(worker["TimeoutStopSec"]) > Config.DELIVERY_WAIT_SECONDS + CALL_TIMEOUT
    conf = render("80", ["10.0.0.11:8080", "10.0.0.12:8080"], "/var/lib/nginx/gw", "/var/log")
    assert re.search(r"client_max_body_size 1m;", conf) and Config.MAX_CONTENT_LENGTH == 2**20
    assert "MAX_BODY_BYTES" not in read_env_file(DEPLOY / "gateway.env.example")
    assert conf.count("server 10.0.0.1") == 2


@pytest.fixture
def postgres_url(tmp_path):
    """A throwaway schema in the suite's PostgreSQL, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip(
            "the production recipe runs on PostgreSQL: set TEST_DATABASE_URL "
            "(make test does when PostgreSQL answers)"
        )
    yield from each_database("postgresql", tmp_path)


@pytest.fixture
def recipe(tmp_path, simulator, postgres_url, redis_keys):
    """The environment file rendered from deploy/gateway.env.example with this machine's
    addresses and secrets, and a place for each process's logs."""
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run does it)")
    values = read_env_file(DEPLOY / "gateway.env.example")
    values.update(
        DATABASE_URL=postgres_url,
        REDIS_URL=REDIS_URL,
        RATE_LIMIT_KEY_PREFIX=redis_keys.prefix,
        CWC_BASE_URL=simulator["api"],
        CWC_CLIENT_ID=simulator["id"],
        CWC_CLIENT_SECRET=simulator["secret"],
        # Two small machines on a 2-core test machine, and quick retries.
        GATEWAY_WORKERS="1",
        CWC_MAX_ATTEMPTS="1",
        CWC_READ_TIMEOUT="2",
        DELIVERY_BACKOFF_BASE="0.05",
        DELIVERY_BACKOFF_CAP="0.2",
        CWC_BREAKER_RESET_SECONDS="0.5",
        RATE_LIMIT_AUTH_FAILURES=f"{AUTH_FAILURES}/minute",
    )
    env_file = tmp_path / "gateway.env"
    env_file.write_text("".join(f"{key}='{value}'\n" for key, value in values.items()))
    return {"env_file": env_file, "values": values, "tmp": tmp_path, "redis": redis_keys.client}


def _machine_env(recipe, unit: str, name: str, **extra) -> dict[str, str]:
    run_dir = recipe["tmp"] / name / "run"
    run_dir.mkdir(parents=True)  # systemd's RuntimeDirectory=
    return {**unit_env(unit, recipe["env_file"], run_dir), **extra}


def _request(port, method, path, headers=None, body=None, source=CLIENT_ADDRESS):
    """One request to nginx from `source`: (status, headers, JSON body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        payload = None if body is None else json.dumps(body)
        sent = {**(headers or {}), **({"Content-Type": "application/json"} if payload else {})}
        conn.request(method, path, body=payload, headers=sent)
        answer = conn.getresponse()
        return answer.status, answer.headers, json.loads(answer.read() or b"null")
    finally:
        conn.close()


def test_the_production_recipe_two_gateways_nginx_and_a_worker_deliver_a_switch(recipe, simulator):
    tmp, sim = recipe["tmp"], simulator["base"]
    assert recipe["values"]["DELIVERY_POLL_SECONDS"] == "0"  # the gateways leave it to the worker
    assert recipe["values"]["TRUSTED_PROXIES"] == "1"

    # A release: migrations once, from one machine; repeating it changes nothing.
    release = {**os.environ, "APP_DIR": str(ROOT), "ENV_FILE": str(recipe["env_file"])}
    for _ in range(2):
        done = subprocess.run([str(DEPLOY / "release.sh"), "--migrate"], env=release,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "database at head" in done.stdout

    ports = [free_port(), free_port()]
    gateways = [
        Process(
            unit_command("gateway.service"),
            _machine_env(
                recipe, "gateway.service", f"machine{n}", GATEWAY_BIND=f"127.0.0.1:{port}"
            ),
            tmp / f"gateway{n}.log",
        )  # fmt: skip
        for n, port in enumerate(ports)
    ]
    processes = list(gateways)
    try:
        flask = unit_command("gateway-worker.service")[:-1]  # `flask --app app`
        env = _machine_env(recipe, "gateway-worker.service", "operator")
        created = subprocess.run([*flask, "token", "create", "recipe", "--rights",
                                  "clients:read,clients:write,links:read,links:write,admin"],
                                 cwd=ROOT, env=env, capture_output=True, text=True,
                                 check=True)  # fmt: skip
        headers = {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}
        for port in ports:
            wait_until(lambda p=port: requests.get(f"http://127.0.0.1:{p}/readyz", timeout=2).ok,
                       30, "a gateway")  # fmt: skip

        prefix = tmp / "nginx"
        (prefix / "logs").mkdir(parents=True)
        (prefix / "state").mkdir()
        port = free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(render(f"127.0.0.1:{port}", [f"127.0.0.1:{p}" for p in ports],
                               str(prefix / "state"), str(prefix / "logs")))  # fmt: skip
        processes.append(Process(nginx_args(prefix, conf), os.environ.copy(), tmp / "nginx.log"))
        access_log = prefix / "logs" / "access.log"
        log_watch.watch_file(access_log)
        wait_until(lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok,
                   10, "nginx")  # fmt: skip

        # CaseWare Cloud down: the switch is queued (202), and only the worker delivers it.
        status, _, client = _request(port, "POST", "/v1/clients", headers,
                                     {"number": "6001", "name": "Recipe Down BV"})  # fmt: skip
        assert status == 201
        requests.post(f"{sim}/_sim/faults", json={"outage": True}, timeout=5)
        rid = f"recipe-{uuid.uuid4().hex}"
        status, answer_headers, link = _request(
            port, "PATCH", f"/v1/clients/{client['id']}/links",
            {**headers, "X-Request-ID": rid}, {"caseware_cloud": {"active": True}},
        )  # fmt: skip
        assert status == 202 and link["caseware_cloud"]["sync"]["state"] == "pending"
        assert answer_headers["X-Request-ID"] == rid  # through nginx into the gateway and back
        requests.delete(f"{sim}/_sim/faults", timeout=5)
        worker_env = _machine_env(recipe, "gateway-worker.service", "worker")
        processes.append(Process(unit_command("gateway-worker.service"), worker_env,
                                 tmp / "worker.log"))  # fmt: skip

        def synced(client_id):
            status, _, link = _request(port, "GET", f"/v1/clients/{client_id}/links", headers)
            return status == 200 and link["caseware_cloud"]["sync"]["state"] == "synced"

        wait_until(lambda: synced(client["id"]), 30, "the worker to deliver the queued switch")
        # CaseWare Cloud up: the gateway delivers within the request.
        status, _, other = _request(port, "POST", "/v1/clients", headers,
                                    {"number": "6002", "name": "Recipe Up BV"})  # fmt: skip
        status, _, link = _request(port, "PATCH", f"/v1/clients/{other['id']}/links", headers,
                                   {"caseware_cloud": {"active": True}})  # fmt: skip
        assert status == 200 and link["caseware_cloud"]["sync"]["state"] == "synced"
        entities = requests.get(f"{sim}/_sim/state", timeout=5).json()["entities"]
        assert sorted(e["EntityNo"] for e in entities) == ["6001", "6002"]

        # The client's address reaches the gateway: failed authentications are counted by it,
        # in Redis, over both gateways; another address still gets its own count.
        bad = {"Authorization": "Bearer not-a-token"}
        statuses = [_request(port, "GET", "/v1/clients", bad)[0] for _ in range(AUTH_FAILURES)]
        assert statuses == [401] * AUTH_FAILURES
        assert _request(port, "GET", "/v1/clients", bad)[0] == 429
        assert _request(port, "GET", "/v1/clients", bad, source="127.0.0.3")[0] == 401
        assert list(
            recipe["redis"].scan_iter(match=f"{recipe['values']['RATE_LIMIT_KEY_PREFIX']}*")
        )
        line = wait_until(
            lambda: next((x for x in gateway_requests(tmp) if x["request_id"] == rid), None),
            5,
            "the switch in a gateway's request lines",
        )
        assert line["client"] == CLIENT_ADDRESS
        upstreams = set(re.findall(r"upstream=(\S+)", access_log.read_text()))
        assert upstreams == {f"127.0.0.1:{p}" for p in ports}  # both machines served
    finally:
        for process in reversed(processes):
            process.kill(signal.SIGTERM)


def gateway_requests(tmp) -> list[dict]:
    """The request lines (JSON, one per request) the two gateways wrote."""
    lines = [line for n in (0, 1) for line in (tmp / f"gateway{n}.log").read_text().splitlines()]
    return [x for x in map(json.loads, lines) if x.get("event") == "request"]
