"""Secrets out of every log line: query-string secrets, gateway tokens, JWTs, bearer values.

The gateway refuses a token in the query string, but gunicorn logs the request line of a
request it cannot parse, and any log call may show a URL or a header: whatever a caller put
there must not be written down whole. log_format.py redacts every field of every line.
Standard library only: gunicorn.conf.py imports it in the master, before the app's imports."""

import logging
import re
from urllib.parse import unquote

REDACTED = "[redacted]"
# Query parameters whose name says they carry a secret: token, access_token, jwt, api_key, ...
_SECRET_NAME = re.compile(r"token|jwt|secret|password|passwd|pwd|key|auth|signature", re.I)
# name=value in a query string: after ?, & or ;, or at the start of a bare query.
_PARAMETER = re.compile(r"(?:(?<=[?&;])|^)([^=&;?\s\"]+)=([^&;\s\"]*)")
_SECRET_VALUES = [
    re.compile(r"cwg_[A-Za-z0-9_-]{8,}"),  # a gateway token (services.tokens.TOKEN_PREFIX)
    re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),  # a JWT
    re.compile(r"(?<=Bearer )[^\s\"',]+", re.I),
]


def _parameter(match: re.Match) -> str:
    name = match.group(1)
    if _SECRET_NAME.search(unquote(name)):
        return f"{name}={REDACTED}"
    return match.group(0)


# What each pattern above needs to match at all: most log fields have none of it, and one
# search is cheaper than the four substitutions (every request logs a line).
_MAYBE_SECRET = re.compile(r"=|cwg_|eyJ|bearer ", re.I)


def redact(text: str) -> str:
    """`text` with every secret it shows replaced by [redacted]."""
    if not _MAYBE_SECRET.search(text):
        return text
    text = _PARAMETER.sub(_parameter, text)
    for pattern in _SECRET_VALUES:
        text = pattern.sub(REDACTED, text)
    return text


class RedactSecrets(logging.Filter):
    """A handler's or logger's filter: the message (and its trace) with secrets redacted."""

    _traces = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._traces.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
