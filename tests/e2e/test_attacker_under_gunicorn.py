"""What an attacker sees of the gateway under gunicorn: headers, logs, oversized bodies."""

import json
import socket

import pytest
import requests

from tests.e2e.conftest import wait_until


@pytest.fixture
def running(gateway):
    gateway["start"]()
    return gateway


def test_no_answer_names_the_server_software(running):
    base = running["base"]
    answers = [
        requests.get(f"{base}/healthz", timeout=5),
        requests.get(f"{base}/v1/clients", headers=running["headers"], timeout=5),
        requests.get(f"{base}/v1/clients", timeout=5),  # 401
        requests.get(f"{base}/no/such/path", timeout=5),
        requests.get(f"{base}/docs", timeout=5),
        requests.get(f"{base}/metrics", timeout=5),
    ]
    for answer in answers:
        assert "Server" not in answer.headers, (answer.url, answer.headers["Server"])
        assert answer.headers["X-Frame-Options"] == "DENY", answer.url
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.url


def test_the_access_log_keeps_no_secret_from_a_query_string(running, tmp_path):
    base = running["base"]
    token = running["headers"]["Authorization"].split()[1]
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW4ifQ.c2lnbmF0dXJl"
    for query in (f"access_token={token}", f"jwt={jwt}", "password=hunter2&page=2"):
        answer = requests.get(f"{base}/v1/clients?{query}", timeout=5)
        assert answer.status_code == 401  # a token in the query string is refused

    log = tmp_path / "gateway.log"
    wait_until(lambda: log.read_text().count('"route": "/v1/clients"') >= 3, 10, "the log")
    text = log.read_text()
    assert token not in text and jwt not in text and "hunter2" not in text
    assert "/v1/clients?" not in text  # requests are logged without their query string


def test_a_chunked_body_over_1_mib_is_a_413_over_a_real_socket(running):
    def chunks():  # requests sends a generator chunked, with no Content-Length
        yield b'{"number": "1", "name": "'
        for _ in range(17):
            yield b"x" * 65536
        yield b'"}'

    answer = requests.post(
        f"{running['base']}/v1/clients",
        data=chunks(),
        headers={**running["headers"], "Content-Type": "application/json"},
        timeout=10,
    )

    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == "payload_too_large"


def _raw(base: str, request: bytes) -> tuple[int, dict, bytes]:
    """Send bytes as they are (no client library would send these) and read the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    "request_bytes, status, code",
    [
        (b'GET /v1/clients HTTP/1.1\r\nHost: x\r\nIf-Match: "a\x01b"\r\n\r\n', 400, "bad_request"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-F%d: 1\r\n" % n for n in range(120))
            + b"\r\n",
            431,
            "header_too_large",
        ),
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 17000 + b"\r\n\r\n",
            431,
            "header_too_large",
        ),
    ],
    ids=["control character", "long request line", "too many headers", "long header"],
)
def test_gunicorns_own_refusals_are_problem_json(running, request_bytes, status, code):
    answer_status, headers, body = _raw(running["base"], request_bytes)

    assert answer_status == status, (answer_status, body[:200])
    assert headers["content-type"] == "application/problem+json", body[:200]
    problem = json.loads(body)
    assert problem["status"] == answer_status and problem["type"] == "about:blank"
    assert problem["code"] == code
    assert b"<html" not in body.lower() and b"a\x01b" not in body
