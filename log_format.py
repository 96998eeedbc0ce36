"""Log lines as api.md wants them: one JSON object per line, or plain text on a terminal.

Every line has `ts` (ISO-8601, UTC), `level`, `logger`, `message`, `request_id` when known, and
each field a caller passed in `extra={...}` as a key of its own. Secrets are redacted field by
field, before encoding: redacting the encoded line could cut through a JSON escape.
Standard library and python-json-logger only: gunicorn.conf.py imports it in the master.
"""

import logging
import re
import sys
import time
from collections.abc import Callable

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonEncoder, JsonFormatter

from log_redaction import redact

JSON, PLAIN, AUTO = "json", "plain", "auto"
FORMATS = (AUTO, JSON, PLAIN)
# What a LogRecord carries itself; everything else on it came from `extra` (or a filter).
_OWN = frozenset(RESERVED_ATTRS) | {"taskName", "request_id"}


def choose(setting: str | None, stream=None) -> str:
    """JSON or PLAIN for a LOG_FORMAT setting: `auto` is plain on a terminal, else JSON."""
    setting = (setting or AUTO).strip().lower()
    if setting not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {setting!r}")
    if setting != AUTO:
        return setting
    isatty = getattr(stream or sys.stdout, "isatty", None)
    return PLAIN if isatty is not None and isatty() else JSON


def formatter(kind: str) -> logging.Formatter:
    """The formatter of a chosen format (choose())."""
    return JsonLines() if kind == JSON else PlainLines()


def extras(record: logging.LogRecord) -> dict:
    """The fields a logging call passed in `extra`, in the order given."""
    return {k: v for k, v in record.__dict__.items() if k not in _OWN and k[:1] != "_"}


_last_second: tuple[int, str] = (-1, "")


def _timestamp(record: logging.LogRecord) -> str:
    global _last_second
    second, text = _last_second
    if int(record.created) != second:  # strftime once a second, not once a line
        second = int(record.created)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _last_second = (second, text)
    return f"{text}.{int(record.msecs):03d}Z"


def _redacted(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value


class JsonLines(JsonFormatter):
    """One JSON object per record."""

    def __init__(self) -> None:
        super().__init__(json_ensure_ascii=False)
        # One encoder for every line: json.dumps would build one per call.
        self._encode = JsonEncoder(ensure_ascii=False).encode

    def jsonify_log_record(self, log_data: dict) -> str:
        return self._encode(log_data)

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_data["ts"] = _timestamp(record)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = redact(record.message)
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            log_data["request_id"] = request_id
        for key, value in extras(record).items():
            log_data[key] = redact(value) if isinstance(value, str) else _redacted(value)
        if "exc_info" in message_dict:
            log_data["exception"] = redact(message_dict["exc_info"])
        if "stack_info" in message_dict:
            log_data["stack"] = message_dict["stack_info"]


class PlainLines(logging.Formatter):
    """A readable line: time, level, logger, [request id], the message, and then as key=value
    the extra fields the message does not already show (the JSON line has them all)."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        shown = [
            f"{key}={_plain(value)}"
            for key, value in extras(record).items()
            if key != "event" and value is not None and not _says(text, str(value))
        ]
        if shown:
            text += "  " + " ".join(shown)
        line = (
            f"{self.formatTime(record)} {record.levelname} {record.name} "
            f"[{getattr(record, 'request_id', None) or '-'}] {text}"
        )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        return redact(line)


def _says(text: str, value: str) -> bool:
    """Whether `value` stands in `text` as a word of its own (not as part of "1001")."""
    return re.search(rf"(?<![\w.]){re.escape(value)}(?![\w.])", text) is not None


def _plain(value) -> str:
    text = str(value)
    return f'"{text}"' if not text or " " in text else text


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record that does not carry one: the request being served, or
    the one a background delivery belongs to (whatever `provider` finds; None when neither)."""

    def __init__(self, provider: Callable[[], str | None]) -> None:
        super().__init__()
        self._provider = provider

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = self._provider()
        return True


class GatewayHandler(logging.StreamHandler):
    """The app's handler on the root logger; a second create_app in a process replaces it.

    It formats a record before it takes its lock, not under it as StreamHandler does: under
    gunicorn a worker's threads each write a line per request, and while one formatted, the
    others queued on the lock (a fifth of a link view's wall time, seen with py-spy)."""

    def handle(self, record: logging.LogRecord) -> bool:
        if not self.filter(record):
            return False
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return True
        with self.lock:
            try:
                self.stream.write(line)
                self.flush()
            except Exception:
                self.handleError(record)
        return True


def install(
    kind: str, stream, request_id_provider: Callable[[], str | None], level: str | int
) -> GatewayHandler:
    """Put the gateway's handler (this format, this stream) on the root logger."""
    handler = GatewayHandler(stream)
    handler.addFilter(RequestIdFilter(request_id_provider))
    handler.setFormatter(formatter(kind))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, GatewayHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
