"""What an attacker sees of the gateway under gunicorn: headers, logs, oversized bodies."""

import pytest
import requests


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
