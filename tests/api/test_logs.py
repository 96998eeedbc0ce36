"""The app's log lines (api.md, Logs): one per request, per CaseWare Cloud call and per delivery,
all carrying the request id, none carrying a secret; JSON, or plain text for a terminal."""

import io
import json
import logging
import re

import pytest

from app import _configure_logging
from tests.api.links_support import switch

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-")


@pytest.fixture
def app_settings():
    return {"LOG_FORMAT": "json"}


@pytest.fixture
def written(app):
    """What the app's own handler writes (create_app's logging, onto a buffer), from now on."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffer = io.StringIO()
    _configure_logging(app, stream=buffer)
    yield buffer
    root.handlers[:], root.level = handlers, level


def lines(buffer: io.StringIO) -> list[dict]:
    """Every line written so far, each parsed as the JSON object it must be; then forgotten."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return [json.loads(line) for line in text.splitlines()]


def events(parsed: list[dict], event: str) -> list[dict]:
    return [line for line in parsed if line.get("event") == event]


def test_a_forwarded_change_logs_its_request_and_its_calls_under_one_request_id(
    http, auth, new_client, cwc_sim, written
):
    client = new_client(city="Utrecht")
    assert switch(http, auth, "client", client["id"], True).status_code == 200
    lines(written)
    cwc_sim.clear_calls()

    answer = http.patch(f"/v1/clients/{client['id']}", json={"city": "Zeist"}, headers=auth)

    assert answer.status_code == 200
    request_id = answer.headers["X-Request-ID"]
    parsed = lines(written)
    [request] = events(parsed, "request")
    assert request["request_id"] == request_id
    assert (request["method"], request["route"], request["status"]) == (
        "PATCH",
        "/v1/clients/{client_id}",
        200,
    )
    assert request["caller"] == "tester" and request["level"] == "INFO"
    assert request["logger"] == "api.requests" and request["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", request["ts"])

    calls = events(parsed, "cwc_call")
    assert calls, parsed
    for call in calls:
        assert call["request_id"] == request_id
        assert call["status"] == 200 and call["attempt"] == 1 and call["duration_ms"] >= 0
        assert not GUID.search(call["operation"]), call  # a template, no ids
    assert "PATCH /entities/addresses/{id}" in {c["operation"] for c in calls}
    # What CaseWare Cloud saw is what the log says was sent.
    assert {c["request_id"] for c in cwc_sim.calls()} == {request_id}

    [delivery] = events(parsed, "delivery")
    assert (delivery["outcome"], delivery["by"], delivery["request_id"]) == (
        "delivered",
        "request",
        request_id,
    )
    assert (delivery["record_type"], delivery["record_id"]) == ("client", client["id"])


def test_a_change_delivered_later_by_the_courier_is_logged_under_its_requests_id(
    app, http, auth, new_client, cwc_sim, written
):
    client = new_client(city="Utrecht")
    assert switch(http, auth, "client", client["id"], True).status_code == 200
    cwc_sim.set_faults(outage=True)
    lines(written)

    answer = http.patch(f"/v1/clients/{client['id']}", json={"city": "Zeist"}, headers=auth)

    assert answer.status_code == 200
    origin = answer.headers["X-Request-ID"]
    during = lines(written)
    failed = events(during, "cwc_call")
    assert failed and {c["status"] for c in failed} == {503}
    assert [c["attempt"] for c in failed][:2] == [1, 2]  # each retry is a line of its own
    [waiting] = events(during, "delivery")
    assert (waiting["outcome"], waiting["request_id"], waiting["level"]) == (
        "pending",
        origin,
        "WARNING",
    )

    cwc_sim.clear_faults()
    cwc_sim.clear_calls()
    http.get("/healthz", headers={"X-Request-ID": "another-request"})  # in between: not it
    while app.extensions["courier"].run_due():
        pass

    later = lines(written)
    [delivered] = events(later, "delivery")
    assert (delivered["outcome"], delivered["by"], delivered["request_id"]) == (
        "delivered",
        "courier",
        origin,
    )
    assert delivered["attempts"] == 2 and delivered["delivery_id"] == waiting["delivery_id"]
    calls = events(later, "cwc_call")
    assert calls and {(c["request_id"], c["status"]) for c in calls} == {(origin, 200)}
    assert {c["request_id"] for c in cwc_sim.calls()} == {origin}


def test_no_line_keeps_a_token_from_the_header_the_query_string_or_the_path(
    http, auth, make_token, written
):
    secret = auth["Authorization"].split()[1]
    other = make_token("robot", ["clients:read"])
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW4ifQ.c2lnbmF0dXJl"
    answers = [
        http.get(f"/v1/clients?token=SECRET-4711&access_token={other}", headers=auth),
        http.get(f"/v1/clients?jwt={jwt}"),
        http.get(f"/v1/{other}/clients?password=hunter2"),
    ]

    parsed = lines(written)
    text = json.dumps(parsed)
    for value in (secret, other, jwt, "SECRET-4711", "hunter2"):
        assert value not in text
    requests = events(parsed, "request")
    assert [r["request_id"] for r in requests] == [a.headers["X-Request-ID"] for a in answers]
    assert [r["status"] for r in requests] == [a.status_code for a in answers]
    assert requests[0]["route"] == "/v1/clients" and requests[1]["caller"] is None
    assert requests[2]["route"] == "/v1/[redacted]/clients"  # no route: the path, redacted


def test_fields_given_as_extra_are_keys_of_the_line(http, auth, written, app):
    with app.test_request_context(headers={"X-Request-ID": "ctx-1"}):
        app.preprocess_request()
        logging.getLogger("services.links").warning(
            "unlink guard tripped", extra={"event": "unlink_guard", "client_id": 7}
        )

    [line] = lines(written)
    assert line["message"] == "unlink guard tripped" and line["level"] == "WARNING"
    assert (line["event"], line["client_id"], line["request_id"]) == ("unlink_guard", 7, "ctx-1")


def test_plain_lines_for_a_terminal_one_readable_line_each(app, http, auth, written):
    app.config["LOG_FORMAT"] = "plain"
    _configure_logging(app, stream=written)

    answer = http.get("/v1/clients", headers=auth)

    [line] = written.getvalue().splitlines()
    request_id = answer.headers["X-Request-ID"]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO api\.requests "
        rf"\[{request_id}\] GET /v1/clients -> 200 in [\d.]+ ms  "
        r"caller=tester client=127\.0\.0\.1 bytes=\d+",
        line,
    ), line
