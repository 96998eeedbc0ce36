"""flask-smorest's Blueprint, with one call to document the problem answers of a view."""

import http
import json
from functools import reduce

import flask_smorest
from flask import request

from api import auth, errors, idempotency, rate_limits

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Retry-safe key, scoped to your token: a retry with the same key and body gets "
    "the first answer again (Idempotent-Replayed: true); another body is 422 "
    "idempotency_key_reused; a retry while the first runs is 409. Kept at least 24 hours.",
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag you read; a stale tag is 412 and changes nothing.",
}


class Blueprint(flask_smorest.Blueprint):
    def problems(self, *statuses: int):
        """Document the error answers a view can give, as the shared problem+json responses."""
        decorators = [
            self.alt_response(status, response=http.HTTPStatus(status).name) for status in statuses
        ]
        return lambda view: reduce(lambda f, d: d(f), decorators, view)

    def mutation(self, *, if_match: bool = False):
        """Document the headers every mutating view honours."""
        return self.doc(parameters=[IDEMPOTENCY_KEY, IF_MATCH] if if_match else [IDEMPOTENCY_KEY])


def _require_json_body():
    """A body that is not JSON, or nested past reason, is a 400 before any parser sees it."""
    if request.method not in idempotency.MUTATING or not request.get_data(cache=True):
        return None
    if not request.is_json:
        return errors.problem(
            400, "The request body must be JSON (Content-Type: application/json)."
        )
    try:
        json.loads(request.get_data(cache=True))
    except RecursionError:
        return errors.problem(400, "The request body is nested too deeply.")
    except ValueError:
        return errors.problem(400, "The request body is not valid JSON.")
    return None


def protected_blueprint(*args, **kwargs) -> Blueprint:
    """A /v1 blueprint: every route needs a bearer token and counts against its caller's rate
    limit; mutating ones honour Idempotency-Key."""
    blp = Blueprint(*args, **kwargs)
    blp.before_request(rate_limits.check_address)
    blp.before_request(auth.authenticate)
    blp.before_request(rate_limits.check_caller)
    blp.before_request(_require_json_body)
    blp.before_request(idempotency.claim_key)
    blp.after_request(idempotency.record_answer)
    return blp
