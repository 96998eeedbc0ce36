"""One log line per request: request id, caller, method, route template, status, duration.

The app writes it, not gunicorn's access log (off in gunicorn.conf.py): only the app knows the
route template and the caller, and one line a request is all the hot path pays for.
"""

import logging
import re
import time

from flask import Flask, Response, g, request

log = logging.getLogger("api.requests")

# Flask's "/v1/clients/<id:client_id>" as OpenAPI writes it: "/v1/clients/{client_id}".
_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_templates: dict[str, str] = {}


def route_template(rule: str) -> str:
    """The OpenAPI form of a Flask rule, worked out once per rule."""
    template = _templates.get(rule)
    if template is None:
        template = _templates[rule] = _VARIABLE.sub(r"{\1}", rule)
    return template


def _start():
    g.request_log_started = time.perf_counter()


def _write(response: Response) -> Response:
    # The objects behind Flask's proxies, looked up once: each proxy access costs a lookup.
    context, req = g._get_current_object(), request._get_current_object()
    started = getattr(context, "request_log_started", None)
    if started is None:
        return response
    actor = getattr(context, "actor", None)
    # The path only where no route matched; never the query string, where a caller may have
    # put a token.
    route = route_template(req.url_rule.rule) if req.url_rule else req.path
    write_line(
        method=req.method,
        route=route,
        status=response.status_code,
        started=started,
        caller=actor.key if actor is not None else None,
        client=req.remote_addr,
        size=response.content_length,
    )
    return response


def write_line(
    *,
    method: str,
    route: str,
    status: int,
    started: float,
    caller: str | None,
    client: str | None,
    size: int | None,
    request_id: str | None = None,
) -> None:
    """The request's line; `started` is its perf_counter() at arrival. Flask's hook and the
    link views' own path (api/link_reads.py) both write through here, so the lines agree."""
    if not log.isEnabledFor(logging.INFO):
        return
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    extra = {
        "event": "request",
        "caller": caller,
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": duration_ms,
        "client": client,
        "bytes": size,
    }
    if request_id is not None:  # outside Flask, where the log filter cannot find it
        extra["request_id"] = request_id
    level = logging.ERROR if status >= 500 else logging.INFO
    # The record made and handled directly: Logger.log would first walk the stack for the
    # caller's file and line, which no line of ours shows (a sixth of the line's cost).
    record = log.makeRecord(
        log.name,
        level,
        __file__,
        0,
        "%s %s -> %d in %.1f ms",  # formatted only when written
        (method, route, status, duration_ms),
        None,
        extra=extra,
    )
    log.handle(record)


def register(app: Flask) -> None:
    """Registered before every other hook: its timer starts first and its line is written last,
    once every other after_request hook has settled the answer."""
    app.before_request(_start)
    app.after_request(_write)
