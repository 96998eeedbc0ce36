"""log_format: what a line looks like whatever a caller logs, and which format LOG_FORMAT picks."""

import io
import json
import logging

import pytest

import log_format
from adapters.caseware_cloud.client import operation_of
from tests import log_watch


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def emit():
    """emit(kind, level, msg, *args, **kwargs) -> the line a handler of that format wrote."""
    logger = logging.getLogger("tests.log_format")
    logger.propagate, logger.level = False, logging.DEBUG

    def write(kind, level, msg, *args, **kwargs):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(log_format.RequestIdFilter(lambda: "rid-1"))
        handler.setFormatter(log_format.formatter(kind))
        logger.addHandler(handler)
        try:
            logger.log(level, msg, *args, **kwargs)
        finally:
            logger.removeHandler(handler)
        return stream.getvalue()

    yield write
    logger.propagate = True


@pytest.mark.parametrize(
    ("setting", "stream", "chosen"),
    [
        (None, io.StringIO(), "json"),
        ("auto", io.StringIO(), "json"),
        ("auto", Terminal(), "plain"),
        (" JSON ", Terminal(), "json"),
        ("plain", io.StringIO(), "plain"),
    ],
)
def test_log_format_auto_is_plain_on_a_terminal_only(setting, stream, chosen):
    assert log_format.choose(setting, stream) == chosen


def test_an_unknown_log_format_is_refused_at_start():
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of auto, json, plain"):
        log_format.choose("yaml")


def test_a_json_line_has_the_fixed_keys_then_every_extra_field(emit):
    text = emit("json", logging.WARNING, "guard %s", "tripped", extra={"event": "x", "n": 7})

    assert text.endswith("\n") and text.count("\n") == 1
    line = json.loads(text)
    assert list(line) == ["ts", "level", "logger", "message", "request_id", "event", "n"]
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "tests.log_format",
        "guard tripped",
    )
    assert (line["request_id"], line["event"], line["n"]) == ("rid-1", "x", 7)


def test_a_request_id_given_as_extra_wins_over_the_context(emit):
    line = json.loads(emit("json", logging.INFO, "call", extra={"request_id": "sent-on"}))
    assert line["request_id"] == "sent-on"


def test_secrets_are_redacted_in_every_field_and_the_line_stays_valid_json(emit):
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW4ifQ.c2lnbmF0dXJl"
    # A backslash and a quote right after a secret: redacting the encoded line would cut
    # through the JSON escape.
    path = '/a?token=abc\\"},"admin":true'
    text = emit(
        "json",
        logging.ERROR,
        "refused Bearer %s",
        "cwg_abcdefghijklmnop1234",
        extra={"path": path, "nested": {"jwt": jwt, "list": [f"Bearer {jwt}"]}},
    )

    line = json.loads(text)
    assert "cwg_abcdefghijklmnop" not in text and jwt not in text and "abc" not in text
    assert line["message"] == "refused Bearer [redacted]"
    assert "admin" not in line and line["path"].startswith("/a?token=[redacted]")
    assert line["nested"] == {"jwt": "[redacted]", "list": ["Bearer [redacted]"]}


def test_a_trace_is_one_field_of_the_line_and_redacted(emit):
    try:
        raise ValueError("refused Bearer cwg_abcdefghijklmnop1234")
    except ValueError:
        text = emit("json", logging.ERROR, "failed", exc_info=True)

    line = json.loads(text)
    assert "ValueError: refused Bearer [redacted]" in line["exception"]
    assert "cwg_abcdefghijklmnop" not in text


def test_a_plain_line_shows_what_its_message_does_not(emit):
    text = emit(
        "plain",
        logging.INFO,
        "GET %s -> %d",
        "/v1/clients",
        200,
        extra={"event": "request", "status": 200, "caller": "robot", "bytes": 2, "empty": None},
    )

    assert text.count("\n") == 1
    assert text.rstrip().endswith("INFO tests.log_format [rid-1] GET /v1/clients -> 200  "
                                  "caller=robot bytes=2")  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("PATCH", "entities/1b4e28ba-2fa1-11d2-883f-0016d3cca427", "PATCH /entities/{id}"),
        ("PATCH", "entities/addresses/9f0c", "PATCH /entities/addresses/{id}"),
        ("POST", "entities/abc/addresses", "POST /entities/{id}/addresses"),
        ("PATCH", "entities/abc/role-assignments", "PATCH /entities/{id}/role-assignments"),
        ("POST", "auth/token", "POST /auth/token"),
        ("GET", "users", "GET /users"),
        ("GET", "roles", "GET /roles"),
    ],
)
def test_a_caseware_cloud_call_is_logged_as_its_template(method, path, operation):
    assert operation_of(method, path) == operation


def test_the_suites_log_watch_finds_a_secret_in_a_json_line():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW4ifQ.c2lnbmF0dXJl"
    leaky = json.dumps({"message": "GET", "authorization": "Bearer cwg_abcdefghijklmnop1234"})
    assert log_watch.secrets_in(leaky) == ["gateway token", "Authorization value"]
    assert log_watch.secrets_in(json.dumps({"path": f"/a?jwt={jwt}"})) == ["JWT"]
    assert log_watch.secrets_in(json.dumps({"authorization": "Bearer [redacted]"})) == []
