"""nginx in front of gunicorn, with deploy/nginx.conf as the README renders it: request ids,
the client's address, nginx's own refusals in problem+json, and slow clients kept off gunicorn."""

import http.client
import json
import os
import re
import socket
import subprocess
import threading
import time
import uuid

import pytest
import requests

from api.errors import example_problem
from deploy.render_nginx import render
from tests import log_watch
from tests.e2e.conftest import NGINX, Process, free_port, nginx_args, wait_until

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run does it)"
)

# The test's client speaks from another loopback address than nginx, which reaches gunicorn
# from 127.0.0.1: the address the gateway sees tells which of the two it believed.
CLIENT_ADDRESS = "127.0.0.2"
SLOW_CLIENTS = 40
PROMPT = 2.0  # seconds: a loose bound for an ordinary request while the slow clients drip


@pytest.fixture
def trusted_proxies():
    return "1"


@pytest.fixture
def gateway_env(trusted_proxies):
    return {"TRUSTED_PROXIES": trusted_proxies}


def _render(tmp_path, upstream: str) -> dict:
    """deploy/nginx.conf rendered for a free port, with its own folders under tmp_path."""
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    (prefix / "state").mkdir()
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        render(f"127.0.0.1:{port}", [upstream], str(prefix / "state"), str(prefix / "logs"))
    )
    return {"prefix": prefix, "conf": conf, "port": port}


@pytest.fixture
def proxy(gateway, tmp_path):
    """gunicorn with nginx in front, nginx a child of the test (not a daemon); `base` is nginx."""
    gateway["start"]()
    rendered = _render(tmp_path, gateway["base"].removeprefix("http://"))
    process = Process(nginx_args(rendered["prefix"], rendered["conf"]), os.environ.copy(),
                      tmp_path / "nginx.log")  # fmt: skip
    for name in ("access.log", "error.log"):
        log_watch.watch_file(rendered["prefix"] / "logs" / name)
    base = f"http://127.0.0.1:{rendered['port']}"
    wait_until(lambda: requests.get(f"{base}/healthz", timeout=1).ok, 10, "nginx")
    yield {"base": base, "port": rendered["port"], "headers": gateway["headers"]}
    process.kill()


def _get_from(address, port, path, headers=None):
    """A GET from a chosen local address: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(address, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, answer.headers, answer.read()
    finally:
        conn.close()


def _log_line(log, request_id) -> str:
    """nginx's access log line of a request (logs are written just after the answer)."""
    return wait_until(
        lambda: next((x for x in log.read_text().splitlines() if f"rid={request_id}" in x), None),
        5, f"the line of {request_id} in {log.name}",
    )  # fmt: skip


def _gateway_requests(tmp_path, request_id) -> list[dict]:
    """The gateway's request lines (JSON, api/request_log.py) of a request id."""
    lines = map(json.loads, (tmp_path / "gateway.log").read_text().splitlines())
    return [x for x in lines if x.get("event") == "request" and x["request_id"] == request_id]


def _gateway_line(tmp_path, request_id) -> dict:
    """The gateway's request line of a request (written just after the answer)."""
    found = wait_until(lambda: _gateway_requests(tmp_path, request_id), 5, f"{request_id}'s line")
    return found[0]


def _address_in_gateway_log(tmp_path, request_id) -> str:
    """The client address in the gateway's line of a request: request.remote_addr, so after
    ProxyFix."""
    return _gateway_line(tmp_path, request_id)["client"]


def _is_problem(answer, status, code):
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert (body["status"], body["code"]) == (status, code)
    assert set(body) == {"type", "title", "status", "detail", "code"}
    assert answer.headers["X-Request-ID"]
    return body


def test_nginx_accepts_the_rendered_configuration(tmp_path):
    rendered = _render(tmp_path, "127.0.0.1:8080")
    checked = subprocess.run(nginx_args(rendered["prefix"], rendered["conf"], "-t"),
                             capture_output=True, text=True, timeout=30)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_through_nginx_the_gateway_sees_the_callers_request_id_and_address(proxy, tmp_path):
    sent = f"e2e-{uuid.uuid4().hex}"
    # From another address than nginx's, with a forged X-Forwarded-For that nginx appends to.
    status, headers, _ = _get_from(CLIENT_ADDRESS, proxy["port"], "/v1/clients",
                                   {**proxy["headers"], "X-Request-ID": sent,
                                    "X-Forwarded-For": "203.0.113.7"})  # fmt: skip
    assert status == 200 and headers["X-Request-ID"] == sent
    assert headers["Server"] == "nginx"  # no version, and not gunicorn's
    assert _address_in_gateway_log(tmp_path, sent) == CLIENT_ADDRESS

    for offered in ({}, {"X-Request-ID": "not a sane id"}):
        made = requests.get(f"{proxy['base']}/v1/clients",
                            headers={**proxy["headers"], **offered}, timeout=10)  # fmt: skip
        assert made.status_code == 200
        rid = made.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", rid)
        # nginx made it and the gateway used it: the two logs agree.
        _gateway_line(tmp_path, rid)
        _log_line(tmp_path / "nginx" / "logs" / "access.log", rid)


@pytest.mark.parametrize("trusted_proxies", ["0"])
def test_without_trusted_proxies_forged_forwarded_headers_are_ignored(gateway, tmp_path):
    gateway["start"]()
    port = int(gateway["base"].rsplit(":", 1)[1])
    rid = f"e2e-{uuid.uuid4().hex}"
    forged = {"X-Request-ID": rid, "X-Forwarded-For": "203.0.113.7", "X-Real-IP": "203.0.113.7"}
    status, _, _ = _get_from(CLIENT_ADDRESS, port, "/healthz", forged)
    assert status == 200
    assert _address_in_gateway_log(tmp_path, rid) == CLIENT_ADDRESS


def test_nginxs_own_refusals_are_problem_json_not_html(proxy, tmp_path):
    url, headers = f"{proxy['base']}/v1/clients", {**proxy["headers"], "X-Request-ID": "big-1"}
    padding = 1024 * 1024 - len('{"number": "1", "name": ""}')
    exactly = '{"number": "1", "name": "%s"}' % ("x" * padding)
    at_limit = requests.post(url, data=exactly, headers={**headers, "Content-Type":
                             "application/json"}, timeout=30)  # fmt: skip
    assert at_limit.status_code == 422  # 1 MiB passes nginx: the gateway judges the name

    over = requests.post(url, data=exactly + " ", headers={**headers, "X-Request-ID": "big-2",
                         "Content-Type": "application/json"}, timeout=30)  # fmt: skip
    assert _is_problem(over, 413, "payload_too_large") == example_problem(413)
    assert over.headers["X-Request-ID"] == "big-2"

    header = requests.get(url, headers={**headers, "X-Padding": "a" * 20000}, timeout=10)
    _is_problem(header, 431, "header_too_large")
    line = requests.get(f"{url}?q={'a' * 9000}", headers=headers, timeout=10)
    _is_problem(line, 414, "uri_too_long")
    # gunicorn never saw the refused body.
    _gateway_line(tmp_path, "big-1")
    assert _gateway_requests(tmp_path, "big-2") == []  # nginx refused it: never reached us


def _slow_client(port, drips_header):
    """A connection that has sent the start of a request: its header, or its header and a
    body's first byte. (socket, the bytes it sends next)"""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if drips_header:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n")
        return sock, b"X-Drip: 1\r\n"
    sock.sendall(b"POST /v1/clients HTTP/1.1\r\nHost: gateway\r\nContent-Type: "
                 b"application/json\r\nContent-Length: 100000\r\n\r\n{")  # fmt: skip
    return sock, b"0123456789"


def _drip(clients, stop, failures):
    """Sends each slow client's next few bytes every half second until told to stop."""
    while not stop.wait(0.5):
        for sock, more in clients:
            try:
                sock.sendall(more)
            except OSError as error:
                failures.append(error)


def test_slow_clients_do_not_hold_up_ordinary_requests_through_nginx(proxy):
    clients = [_slow_client(proxy["port"], n % 2 == 0) for n in range(SLOW_CLIENTS)]
    stop, failures = threading.Event(), []
    dripper = threading.Thread(target=_drip, args=(clients, stop, failures), daemon=True)
    dripper.start()
    try:
        time.sleep(1.0)  # every slow client has started; gunicorn has 2 x 8 threads
        took = []
        for _ in range(10):
            started = time.monotonic()
            answer = requests.get(f"{proxy['base']}/v1/clients", headers=proxy["headers"],
                                  timeout=10)  # fmt: skip
            took.append(time.monotonic() - started)
            assert answer.status_code == 200
        assert max(took) < PROMPT, took
        assert failures == []  # the slow clients were still connected and dripping all along
    finally:
        stop.set()
        dripper.join(5)
        for sock, _ in clients:
            sock.close()
