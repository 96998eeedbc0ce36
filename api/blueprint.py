"""flask-smorest's Blueprint, with one call to document the problem answers of a view."""

import http
import json
from functools import reduce

import flask_smorest
from flask import current_app, request
from flask_smorest.utils import resolve_schema_instance
from werkzeug.exceptions import RequestEntityTooLarge

from api import auth, errors, idempotency, rate_limits
from api.context import IF_MATCH_PATTERN

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": idempotency.KEY_PATTERN,
    },
    "description": "Retry-safe key, scoped to your token: 1 to 255 printable ASCII characters, "
    "no spaces (anything else is a 422 validation_error naming Idempotency-Key). A retry with "
    "the same key and body gets the first answer again (Idempotent-Replayed: true) and changes "
    "nothing; another body is 422 idempotency_key_reused; a retry while the first runs is 409. "
    "Kept at least 24 hours.",
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {
        "type": "string",
        "pattern": IF_MATCH_PATTERN,
    },
    "description": 'The ETag you read, as it came ("..."), several separated by commas, or * '
    'for any version. Only strong tags count: a weak one (W/"...") never matches. A tag that '
    "is not the current version's is 412 precondition_failed and changes nothing.",
}


class Blueprint(flask_smorest.Blueprint):
    def arguments(self, schema, *args, **kwargs):
        """flask-smorest's, with one schema instance for every request: given a class, webargs
        makes a new instance per request (about 0.1 ms). Our schemas keep no request state."""
        return super().arguments(resolve_schema_instance(schema), *args, **kwargs)

    def problems(self, *statuses: int):
        """Document the error answers a view can give, as the shared problem+json responses."""
        decorators = [
            self.alt_response(status, response=http.HTTPStatus(status).name) for status in statuses
        ]
        return lambda view: reduce(lambda f, d: d(f), decorators, view)

    def mutation(self, *, if_match: bool = False):
        """Document the headers every mutating view honours."""
        return self.doc(parameters=[IDEMPOTENCY_KEY, IF_MATCH] if if_match else [IDEMPOTENCY_KEY])


def _read_body() -> bytes:
    """The request body; one sent without Content-Length (chunked) and over the limit is a 413,
    as one with it is, instead of being cut at the limit and judged as broken JSON."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and limit is not None:
        request.max_content_length = limit + 1  # one byte past the limit tells the two apart
    body = request.get_data(cache=True)
    if limit is not None and len(body) > limit:
        raise RequestEntityTooLarge()
    return body


def _require_json_body():
    """A body that is not JSON, or nested past reason, is a 400 before any parser sees it."""
    if request.method not in idempotency.MUTATING or not _read_body():
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
