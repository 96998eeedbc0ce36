"""X-Request-ID: taken from the caller when sane, else made; on every response and log line."""

import re
import uuid

from flask import Flask, g, has_request_context, request

SANE_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
_SANE = re.compile(SANE_PATTERN)
# How the OpenAPI document states the rule, on every operation.
PARAMETER = {
    "in": "header",
    "name": "X-Request-ID",
    "required": False,
    "schema": {"type": "string"},
    "description": "Your id for this request, for the logs and CaseWare Cloud. Taken when it is "
    f"1 to 128 of letters, digits and . _ : - (`{SANE_PATTERN}`); any other value is not "
    "refused but replaced by a new id (32 hex digits), as is a missing one. The answer's "
    "X-Request-ID names the id used.",
}


def choose(offered: str | None) -> str:
    """The id of a request that sent `offered` as its X-Request-ID: that one when sane."""
    return offered if offered and _SANE.fullmatch(offered) else uuid.uuid4().hex


def _assign():
    g.request_id = choose(request.headers.get("X-Request-ID"))


def _echo(response):
    response.headers["X-Request-ID"] = getattr(g, "request_id", None) or uuid.uuid4().hex
    return response


def current_request_id() -> str | None:
    """The id of the request being served, for the CaseWare Cloud adapter; None outside one."""
    return getattr(g, "request_id", None) if has_request_context() else None


def register(app: Flask) -> None:
    app.before_request(_assign)
    app.after_request(_echo)
