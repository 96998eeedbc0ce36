"""HTTP only: the /v1 blueprints, their hooks, the OpenAPI document and Swagger UI."""

import http

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api as SmorestApi
from flask_smorest.utils import prepare_response

from api import (
    cors,
    docs,
    errors,
    headers,
    link_reads,
    metrics,
    rate_limits,
    request_id,
    request_log,
)
from api.converters import MAX_ID, IdConverter
from api.errors import PROBLEM_JSON
from schemas.base import ProblemSchema


class RequestIdPlugin(BasePlugin):
    """Documents X-Request-ID, which every route honours, on every operation (in full, not
    as a reference: readers of the document find every header of an operation in place)."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            operation.setdefault("parameters", []).append(dict(request_id.PARAMETER))


class Api(SmorestApi):
    """flask-smorest's Api, documenting every error as our problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        errors.register_error_handlers(self._app)

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status == 429:
                response["headers"] = {"Retry-After": "Retry-After", **rate_limits.HEADER_REFS}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                response["example"] = errors.example_problem(status)
                prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {
            "description": "Unexpected error",
            "schema": self.ERROR_SCHEMA,
            "example": errors.example_problem(500),
        }
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def register(app: Flask) -> Api:
    """Wire request ids, rate limits, errors, the /v1 resources, the spec and Swagger UI."""
    from api import clients, contacts, deliveries, link_jobs, links, ops, reconciliations, tokens

    request_log.register(app)  # first: it times the whole request and writes its line last
    request_id.register(app)
    rate_limits.register(app)
    app.url_map.converters["id"] = IdConverter
    plugins = [rate_limits.RateLimitsPlugin(), RequestIdPlugin()]
    api = Api(app, spec_kwargs={"extra_plugins": plugins})
    api.register_converter(
        IdConverter, lambda _c: {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    )
    api.spec.components.security_scheme(
        "bearerAuth",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A gateway token, or a JWT AuditCase signs for a logged-in person",
        },
    )
    for module in (clients, contacts, links, link_jobs, deliveries, reconciliations, tokens):
        api.register_blueprint(module.blp, url_prefix=f"/v1{module.blp.url_prefix or ''}")
    api.register_blueprint(ops.blp)
    docs.register(app)
    metrics.register(app)
    headers.register(app)
    cors.register(app)
    link_reads.install(app)  # last: it answers some link views before all of the above
    return api
