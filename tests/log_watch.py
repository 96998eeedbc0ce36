"""Every log line the gateway writes during the whole suite, checked for secrets at its end.

api.md: no token, secret, JWT or Authorization value ever appears in a log, not even from a
query string. The suite sends all of those, on purpose and by the way (every request carries
a bearer token); this watches what reaches a log: the records of the app's own loggers in the
test process, and the log files of the gunicorns and nginxes the end-to-end tests start.
The simulator's log is CaseWare Cloud's, not ours, and is not watched.
"""

import logging
import re
from pathlib import Path

from log_format import JsonLines

# What must never be written down. A token hash is 64 hex digits (services.tokens._hash).
SECRETS = {
    "gateway token": re.compile(r"cwg_[A-Za-z0-9_-]{16,}"),
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.?"),
    "Authorization value": re.compile(
        r"(?i)\b(bearer|basic)\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}"
    ),
    "token hash": re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])"),
}
# The loggers of the gateway; INFO, as production logs them (LOG_LEVEL).
GATEWAY_LOGGERS = ("app", "api", "services", "adapters", "db", "cli", "domain", "sqlalchemy.engine")

found_in_records: list[str] = []
files: list[Path] = []


def secrets_in(line: str) -> list[str]:
    """The kinds of secret `line` shows."""
    return [kind for kind, pattern in SECRETS.items() if pattern.search(line)]


class _Keep(logging.Handler):
    """Checks each record as production's handler writes it (app.py: a JSON line, its extra
    fields and trace included, redacted by the formatter) and keeps the lines that leak."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a broken record is the logging call's problem, not a leak
            line = str(record.msg)
        for kind in secrets_in(line):
            found_in_records.append(f"{kind} in log record: {record.name}: {line[:300]}")


def start() -> None:
    """Check every record of the gateway's loggers from now on."""
    handler = _Keep(level=logging.INFO)
    handler.setFormatter(JsonLines())
    for name in GATEWAY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO if name != "sqlalchemy.engine" else logging.WARNING)
        logger.addHandler(handler)


def watch_file(path: Path) -> None:
    """A log file of a gateway process (gunicorn, nginx) to check at the end."""
    files.append(path)


def leaks() -> list[str]:
    """'kind in where: the line' for each secret found in a watched log."""
    found = list(found_in_records)
    for path in files:
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                found += [f"{kind} in {path.name}: {line[:300]}" for kind in secrets_in(line)]
    return found
