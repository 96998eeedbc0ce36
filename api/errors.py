"""The one place where errors become application/problem+json answers."""

import http
import logging

from flask import Flask, g, jsonify
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from domain import errors as de

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# Stable machine-readable codes by HTTP status, for errors raised by HTTP machinery.
CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# Domain errors: (status, code).
DOMAIN_ERRORS = {
    de.NotFound: (404, "not_found"),
    de.Forbidden: (403, "forbidden"),
    de.Conflict: (409, "conflict"),
    de.PreconditionFailed: (412, "precondition_failed"),
    de.InvalidInput: (422, "validation_error"),
    de.IdempotencyKeyReused: (422, "idempotency_key_reused"),
    de.NotEligible: (422, "not_eligible"),
    de.UpstreamRejected: (422, "upstream_rejected"),
}


# What the OpenAPI document shows for each error status: real answers of this gateway.
EXAMPLES = {
    400: {"detail": "The request body is not valid JSON."},
    401: {"detail": "The token is unknown, revoked or expired."},
    403: {"detail": "This action needs the right 'links:write'.", "required_right": "links:write"},
    404: {"detail": "No client with id 7."},
    409: {"detail": "Client number '1001' is in use by another client."},
    412: {"detail": "The resource has changed since you read it; fetch it again."},
    413: {"detail": "The request body is larger than the gateway accepts."},
    422: {
        "detail": "Invalid fields: name.",
        "errors": {"name": ["Missing data for required field."]},
    },
    429: {
        "detail": "This caller has made more writes than its limit (120/minute); "
        "try again after Retry-After seconds."
    },
    500: {"detail": "The gateway could not answer this request."},
    503: {"detail": "The gateway cannot reach its database; try again shortly."},
}


def example_problem(status: int) -> dict:
    """The problem+json body the OpenAPI document shows for `status`."""
    body = {"detail": http.HTTPStatus(status).phrase, **EXAMPLES.get(status, {})}
    return {
        "type": "about:blank",
        "title": http.HTTPStatus(status).phrase,
        "status": status,
        "code": CODE_BY_STATUS.get(status, "error"),
        **body,
    }


def problem(status: int, detail: str, code: str | None = None, headers=None, **extra):
    """A problem+json response."""
    body = {
        "type": "about:blank",
        "title": http.HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code or CODE_BY_STATUS.get(status, "error"),
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(messages, prefix="") -> dict[str, list[str]]:
    """webargs' {"json": {"a": {"0": [...]}}} as {"a.0": [...]}; locations are dropped."""
    if isinstance(messages, list):
        return {prefix or "body": [str(m) for m in messages]}
    flat = {}
    for key, value in messages.items():
        key = "body" if key == "_schema" else str(key)
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else key))
    return flat


def _field_errors(messages: dict) -> dict[str, list[str]]:
    flat = {}
    for location_messages in messages.values():  # "json", "query", ...
        flat.update(_flatten(location_messages))
    return flat


def handle_http_exception(error: HTTPException):
    """Werkzeug and webargs errors: 404 routes, 405, 413, bad JSON, 422 validation."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        errors = _field_errors(data["messages"])
        fields = ", ".join(sorted(errors))
        return problem(422, f"Invalid fields: {fields}.", errors=errors)
    if status == 400:
        return problem(400, "The request body is not valid JSON.")
    if status == 413:
        return problem(413, "The request body is larger than the gateway accepts.")
    if status == 404:
        return problem(404, "No such resource.")
    detail = error.description if status < 500 else "The gateway could not answer this request."
    # Keep what the error says about itself, such as the Allow header of a 405.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return problem(status, detail, headers={**headers, **data.get("headers", {})})


def handle_domain_error(error: de.DomainError):
    for kind, (status, code) in DOMAIN_ERRORS.items():
        if isinstance(error, kind):
            return problem(status, error.detail, code, **error.extra)
    return problem(400, error.detail, "bad_request", **error.extra)


def handle_database_down(error: DBAPIError):
    log.error("database unavailable: %s", type(error.orig).__name__ if error.orig else error)
    return problem(
        503,
        "The gateway cannot reach its database; try again shortly.",
        headers={"Retry-After": "5"},
    )


def handle_unexpected(error: Exception):
    # Logged with its trace for the operator; the caller learns nothing of the internals.
    log.exception("unhandled error in request %s", getattr(g, "request_id", "-"))
    return problem(500, "The gateway could not answer this request.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(de.DomainError, handle_domain_error)
    app.register_error_handler(OperationalError, handle_database_down)
    app.register_error_handler(Exception, handle_unexpected)
