"""Under gunicorn, stdout is the log: every line a JSON object (gunicorn's own lines too), the
request id through a request, its CaseWare Cloud calls and its later delivery, and no secret."""

import json
import re
import socket
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import wait_until

ON = {"caseware_cloud": {"active": True}}


def log_lines(log: Path) -> list[dict]:
    """Every line gunicorn has written so far, each parsed as the JSON object it must be."""
    return [json.loads(line) for line in log.read_text().splitlines()]


def events(log: Path, event: str, request_id: str) -> list[dict]:
    found = [line for line in log_lines(log) if line.get("request_id") == request_id]
    return [line for line in found if line.get("event") == event]


def linked_client(base: str, headers: dict, number: str) -> int:
    body = {"number": number, "name": "Bakkerij Jansen BV", "city": "Utrecht"}
    client = requests.post(f"{base}/v1/clients", json=body, headers=headers, timeout=10).json()
    link = requests.patch(
        f"{base}/v1/clients/{client['id']}/links", json=ON, headers=headers, timeout=10
    )
    assert link.status_code == 200, link.text
    return client["id"]


def test_every_line_is_json_and_one_request_id_runs_through_a_forwarded_change(gateway, tmp_path):
    gateway["start"]()
    base, headers, log = gateway["base"], gateway["headers"], tmp_path / "gateway.log"
    client_id = linked_client(base, headers, "7001")

    answer = requests.patch(
        f"{base}/v1/clients/{client_id}",
        json={"city": "Zeist"},
        headers={**headers, "X-Request-ID": "e2e-logs-1"},
        timeout=10,
    )

    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "e2e-logs-1"
    wait_until(lambda: events(log, "request", "e2e-logs-1"), 10, "the request's line")
    [request] = events(log, "request", "e2e-logs-1")
    assert (request["method"], request["route"], request["status"]) == (
        "PATCH",
        "/v1/clients/{client_id}",
        200,
    )
    assert request["caller"] == "e2e" and request["client"] == "127.0.0.1"
    calls = events(log, "cwc_call", "e2e-logs-1")
    assert calls and {c["status"] for c in calls} == {200}
    assert [d["outcome"] for d in events(log, "delivery", "e2e-logs-1")] == ["delivered"]
    lines = log_lines(log)  # each a JSON object, or this fails
    booting = [line for line in lines if line["message"].startswith("Booting worker")]
    assert booting and {b["logger"] for b in booting} == {"gunicorn.error"}
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)


def test_the_background_courier_logs_under_the_id_of_the_request_that_made_the_change(
    gateway, simulator, tmp_path
):
    gateway["start"]()
    base, headers, log = gateway["base"], gateway["headers"], tmp_path / "gateway.log"
    client_id = linked_client(base, headers, "7002")
    sim = simulator["base"]
    requests.post(f"{sim}/_sim/faults", json={"outage": True}, timeout=5).raise_for_status()

    answer = requests.patch(
        f"{base}/v1/clients/{client_id}",
        json={"city": "Zeist"},
        headers={**headers, "X-Request-ID": "e2e-logs-later"},
        timeout=10,
    )
    assert answer.status_code == 200
    wait_until(lambda: events(log, "delivery", "e2e-logs-later"), 10, "the pending delivery")
    requests.delete(f"{sim}/_sim/faults", timeout=5).raise_for_status()

    def delivered():
        found = events(log, "delivery", "e2e-logs-later")
        return [d for d in found if d["outcome"] == "delivered"]

    [done] = wait_until(delivered, 20, "the courier's delivery")
    assert done["by"] == "courier" and done["attempts"] >= 2
    calls = events(log, "cwc_call", "e2e-logs-later")
    assert {c["status"] for c in calls} == {503, 200}  # the outage, then the courier's call
    city = requests.get(f"{base}/v1/clients/{client_id}", headers=headers, timeout=5)
    assert city.json()["city"] == "Zeist"


def test_no_line_keeps_a_secret_from_the_query_string_or_the_authorization_header(
    gateway, tmp_path
):
    gateway["start"]()
    base, headers, log = gateway["base"], gateway["headers"], tmp_path / "gateway.log"
    token = headers["Authorization"].split()[1]

    answer = requests.get(
        f"{base}/v1/clients?token=SECRET-4711&access_token={token}",
        headers={**headers, "X-Request-ID": "e2e-secrets"},
        timeout=5,
    )
    # A request line gunicorn itself refuses is written to its error log, as it came.
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(
            f"GET /v1/clients?access_token={token}&\x7f HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        )
        assert raw.recv(4096).startswith(b"HTTP/1.1 400")
    wait_until(lambda: "access_token=[redacted]" in log.read_text(), 10, "gunicorn's line")

    assert answer.status_code == 200  # the header's token counts, the query string's never
    [line] = wait_until(lambda: events(log, "request", "e2e-secrets"), 10, "the request's line")
    assert line["route"] == "/v1/clients"
    text = log.read_text()
    assert token not in text and "SECRET-4711" not in text
    log_lines(log)  # still JSON, line by line


@pytest.mark.parametrize("gateway_env", [{"GUNICORN_CMD_ARGS": "--access-logfile -"}])
def test_gunicorns_access_log_when_turned_on_is_json_without_the_query_string(gateway, tmp_path):
    gateway["start"]()
    base, log = gateway["base"], tmp_path / "gateway.log"

    requests.get(f"{base}/healthz?token=SECRET-4711", headers={"X-Request-ID": "e2e-a"}, timeout=5)

    [access] = wait_until(lambda: events(log, "access", "e2e-a"), 10, "the access line")
    assert (access["method"], access["path"], access["status"]) == ("GET", "/healthz", 200)
    assert access["client"] == "127.0.0.1" and access["bytes"] > 0 and access["duration_ms"] >= 0
    assert events(log, "request", "e2e-a")  # the app's own line as well
    assert "SECRET-4711" not in log.read_text()


@pytest.mark.parametrize("gateway_env", [{"LOG_FORMAT": "plain"}])
def test_log_format_plain_gives_readable_lines_gunicorns_too(gateway, tmp_path):
    gateway["start"]()
    base, log = gateway["base"], tmp_path / "gateway.log"

    requests.get(f"{base}/healthz", headers={"X-Request-ID": "e2e-plain"}, timeout=5)

    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    request_line = re.compile(
        rf"{stamp} INFO api\.requests \[e2e-plain\] GET /healthz -> 200 in [\d.]+ ms  "
        r"client=127\.0\.0\.1 bytes=\d+"
    )
    wait_until(lambda: request_line.search(log.read_text()), 10, "the request's plain line")
    lines = log.read_text().splitlines()
    assert any(
        re.fullmatch(rf"{stamp} INFO gunicorn\.error \[-\] Booting worker .*", x) for x in lines
    )
    assert all(re.match(rf"{stamp} [A-Z]+ [\w.]+ \[", x) for x in lines), lines


def test_link_views_answered_before_flask_are_logged_as_every_request(gateway, tmp_path):
    """After its first reads a token is on proof, and api/link_reads.py answers the link views:
    under gunicorn each still has its line, with its request id, and its headers."""
    gateway["start"]()
    base, headers, log = gateway["base"], gateway["headers"], tmp_path / "gateway.log"
    client_id = linked_client(base, headers, "7003")
    ids = [f"e2e-read-{n}" for n in range(5)]

    answers = [
        requests.get(
            f"{base}/v1/clients/{client_id}/links",
            headers={**headers, "X-Request-ID": rid},
            timeout=10,
        )
        for rid in ids
    ]

    assert {a.status_code for a in answers} == {200}
    assert [a.headers["X-Request-ID"] for a in answers] == ids
    assert len({a.content for a in answers}) == 1 and answers[0].json()["caseware_cloud"]["active"]
    assert all(a.headers["Cache-Control"] == "no-store" and "ETag" in a.headers for a in answers)
    wait_until(lambda: all(events(log, "request", rid) for rid in ids), 10, "the reads' lines")
    for rid, answer in zip(ids, answers, strict=True):
        [line] = events(log, "request", rid)
        assert (line["method"], line["route"], line["status"]) == (
            "GET",
            "/v1/clients/{client_id}/links",
            200,
        )
        assert line["caller"] == "e2e" and line["bytes"] == len(answer.content)
