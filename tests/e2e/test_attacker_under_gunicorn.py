"""What an attacker sees of the gateway under gunicorn: headers, logs, oversized bodies."""

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
    wait_until(lambda: log.read_text().count("/v1/clients?") >= 3, 10, "the access log")
    text = log.read_text()
    assert token not in text and jwt not in text and "hunter2" not in text
    assert "access_token=[redacted]" in text and "page=2" in text


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
