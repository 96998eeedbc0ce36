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

from log_redaction import RedactSecrets

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

records: list[str] = []
files: list[Path] = []


class _Keep(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a broken record is the logging call's problem, not a leak
            text = str(record.msg)
        if record.exc_text:  # the trace as the filter left it (redacted), as a handler writes it
            text += "\n" + record.exc_text
        elif record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        records.append(f"{record.name}: {text}")


def start() -> None:
    """Keep every record of the gateway's loggers from now on, as production's handler writes
    it: through the same redaction (app.py's _configure_logging)."""
    handler = _Keep(level=logging.INFO)
    handler.addFilter(RedactSecrets())
    for name in GATEWAY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO if name != "sqlalchemy.engine" else logging.WARNING)
        logger.addHandler(handler)


def watch_file(path: Path) -> None:
    """A log file of a gateway process (gunicorn, nginx) to check at the end."""
    files.append(path)


def leaks() -> list[str]:
    """'kind: where: the line' for each secret found in a watched log."""
    found = []
    texts = [("log record", line) for line in records]
    for path in files:
        if path.exists():
            lines = path.read_text(errors="replace").splitlines()
            texts += [(path.name, line) for line in lines]
    for where, line in texts:
        for kind, pattern in SECRETS.items():
            if pattern.search(line):
                found.append(f"{kind} in {where}: {line[:300]}")
    return found
