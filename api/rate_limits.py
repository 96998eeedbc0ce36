"""Rate limits (api.md): reads and writes per caller, failed authentications per address.

flask-limiter counts, in Redis when REDIS_URL is set (shared by every worker and machine), else
in each process's memory. Its own before_request runs ahead of every blueprint's, before the
caller is known, so the /v1 blueprints check the limits from their hooks instead
(api/blueprint.py): the address before authentication, the caller right after it.
"""

import logging
import math
import time

from apispec import BasePlugin
from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from limits import parse_many

log = logging.getLogger(__name__)

KIND_BY_METHOD = {
    "GET": "reads",
    "HEAD": "reads",
    "POST": "writes",
    "PUT": "writes",
    "PATCH": "writes",
    "DELETE": "writes",
}
SETTINGS = ("RATE_LIMIT_READS", "RATE_LIMIT_WRITES", "RATE_LIMIT_AUTH_FAILURES")
# A Redis that does not answer costs a request at most this long before the memory takes over.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}

RATE_LIMIT_HEADERS = {
    name: {"description": description, "schema": {"type": "integer", "minimum": 0}}
    for name, description in (
        ("RateLimit-Limit", "Requests of this kind allowed in the window"),
        ("RateLimit-Remaining", "Requests of this kind left in the window"),
        ("RateLimit-Reset", "Seconds until the window starts again"),
    )
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before a request of this kind is accepted again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
# In the OpenAPI document: each header once, in components, referred to by its name.
HEADER_REFS = {name: name for name in RATE_LIMIT_HEADERS}


def _kind() -> str | None:
    """'reads' or 'writes'; None for a method neither limit counts (OPTIONS)."""
    return KIND_BY_METHOD.get(request.method)


def _caller() -> str:
    """The caller a budget belongs to: a person (the JWT's sub) or a gateway token's name."""
    subject = getattr(g.actor, "subject", None)
    # Apart, so that a token and a person of the same name never share a budget.
    return f"person:{subject}" if subject else f"token:{g.actor.name}"


def _address() -> str:
    return f"address:{request.remote_addr}"


def _caller_limit() -> str:
    return current_app.config[f"RATE_LIMIT_{_kind().upper()}"]


def _caller_message() -> str:
    return (
        f"This caller has made more {_kind()} than its limit ({_caller_limit()}); "
        "try again after Retry-After seconds."
    )


# flask-limiter runs a decorated limit when the decorated function is called: these two are
# called from the blueprints' hooks. Two functions, because a limit belongs to a function name.
def _caller_within_limit() -> None:
    """Nothing; flask-limiter counts the caller's request first."""


def _address_within_limit() -> None:
    """Nothing; flask-limiter checks the address's failed authentications first."""


class RateLimits:
    """The app's limiter and the two checks the /v1 blueprints make."""

    def __init__(self, app: Flask):
        config = app.config
        for name in SETTINGS:
            try:
                parse_many(config[name])
            except ValueError as error:
                message = f"{name} must read like '120/minute', not {config[name]!r}"
                raise RuntimeError(message) from error
        redis_url = config["REDIS_URL"]
        # Registered before the limiter's own after_request, so it runs after it: a 401's
        # count against its address is made before the headers are read.
        app.after_request(self._add_headers)
        self.limiter = Limiter(
            _caller,
            app=app,
            storage_uri=redis_url or "memory://",
            storage_options=(
                {"key_prefix": config["RATE_LIMIT_KEY_PREFIX"], **REDIS_TIMEOUTS}
                if redis_url
                else {}
            ),
            strategy="fixed-window",
            # Redis down: each process keeps the same limits in memory and tries Redis again
            # (after 1, 2, 4 ... 32 s) rather than refuse every request or limit none.
            in_memory_fallback_enabled=True,
            # Ours: RateLimit-Reset in seconds, as the IETF draft has it, not a timestamp.
            headers_enabled=False,
        )
        self.caller_check = self.limiter.shared_limit(
            _caller_limit,
            scope=lambda _endpoint: _kind(),
            key_func=_caller,
            exempt_when=lambda: _kind() is None,
            error_message=_caller_message,
        )(_caller_within_limit)
        self.address_check = self.limiter.shared_limit(
            config["RATE_LIMIT_AUTH_FAILURES"],
            scope="auth-failures",
            key_func=_address,
            # Checked before the token is looked at; counted only when the answer is a 401.
            deduct_when=lambda response: response.status_code == 401,
            error_message="Too many failed authentications from this address; "
            "try again after Retry-After seconds.",
        )(_address_within_limit)

    def _add_headers(self, response):
        """RateLimit-* on every answer of a limited route; Retry-After on its 429s."""
        current = self.limiter.current_limit
        if current is None:
            return response
        try:
            reset_at, remaining = current.window
        except Exception:  # the storage went away since the check: the answer still goes out
            log.warning("rate limit headers left out: the limit's storage did not answer")
            return response
        seconds = max(0, math.ceil(reset_at - time.time()))
        response.headers["RateLimit-Limit"] = str(current.limit.amount)
        response.headers["RateLimit-Remaining"] = str(remaining)
        response.headers["RateLimit-Reset"] = str(seconds)
        if response.status_code == 429:
            response.headers["Retry-After"] = str(max(1, seconds))
        return response


def check_address():
    """before_request, ahead of authentication: 429 for an address past its failed
    authentications, before any token is looked at."""
    if request.method != "OPTIONS":  # as authentication: nothing to look at
        current_app.extensions["rate_limits"].address_check()


def check_caller():
    """before_request, right after authentication: count the request against its caller."""
    if getattr(g, "actor", None) is not None:
        current_app.extensions["rate_limits"].caller_check()


class RateLimitsPlugin(BasePlugin):
    """apispec: every /v1 operation may answer 429, and says what is left in its headers."""

    def init_spec(self, spec):
        for name, header in {**RETRY_AFTER_HEADER, **RATE_LIMIT_HEADERS}.items():
            spec.components.header(name, header)

    def operation_helper(self, path=None, operations=None, **kwargs):
        if not (path or "").startswith("/v1/"):
            return
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            responses.setdefault(429, "TOO_MANY_REQUESTS")
            for status, response in responses.items():
                if str(status).isdigit() and int(status) < 400 and isinstance(response, dict):
                    response.setdefault("headers", {}).update(HEADER_REFS)


def register(app: Flask) -> None:
    app.extensions["rate_limits"] = RateLimits(app)
