"""Idempotency-Key on mutating requests: replay the first answer, refuse a reused key."""

import functools
import hashlib
import json
import re
from datetime import timedelta

from flask import current_app, g, request

from api.context import uow
from api.errors import problem
from services import idempotency

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # printable ASCII, no space; documented as such
_KEY = re.compile(KEY_PATTERN)
# Headers worth replaying with a stored answer.
_KEPT_HEADERS = ("Content-Type", "ETag", "Location")


def _fingerprint() -> str:
    """The request as a digest: method, path, query and body (JSON compared by meaning)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.full_path.encode(), body):
        digest.update(part + b"\0")
    return digest.hexdigest()


def _windows() -> dict:
    config = current_app.config
    return {
        "ttl": timedelta(seconds=config["IDEMPOTENCY_TTL_SECONDS"]),
        "lock": timedelta(seconds=config["IDEMPOTENCY_LOCK_SECONDS"]),
    }


def claim_key():
    """before_request (after authentication): replay, refuse, or claim the key."""
    key = request.headers.get("Idempotency-Key")
    if request.method not in MUTATING or key is None:
        return None
    if not _KEY.fullmatch(key):
        return problem(
            422,
            "Idempotency-Key must be 1 to 255 printable characters.",
            errors={"Idempotency-Key": ["1 to 255 printable ASCII characters, no spaces."]},
        )
    stored = idempotency.begin(uow(), g.actor.key, key, _fingerprint(), **_windows())
    if stored is None:
        g.idempotency_key = key
        return None
    response = current_app.response_class(stored.body, status=stored.status)
    for name, value in json.loads(stored.headers).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def withhold_from_replay(*members: str):
    """View decorator: these members of the JSON answer are never stored with the key, and a
    replay shows them as null (a new token's secret: shown once, stored only as a hash)."""

    def decorate(view):
        @functools.wraps(view)
        def withholding(*args, **kwargs):
            g.idempotency_withheld = members
            return view(*args, **kwargs)

        return withholding

    return decorate


def _stored_body(response) -> str:
    body = response.get_data(as_text=True)
    withheld = g.pop("idempotency_withheld", ())
    if not withheld or not response.is_json:
        return body
    answer = json.loads(body)
    for member in withheld:
        if member in answer:
            answer[member] = None
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":"))


def record_answer(response):
    """after_request: keep the answer for the key, or free the key when we failed."""
    key = g.pop("idempotency_key", None)
    if key is None:
        return response
    if response.status_code >= 500:  # ours to retry: the next request runs afresh
        idempotency.release(uow(), g.actor.key, key)
        return response
    headers = {h: response.headers[h] for h in _KEPT_HEADERS if h in response.headers}
    body = _stored_body(response)
    idempotency.finish(uow(), g.actor.key, key, response.status_code, json.dumps(headers), body)
    return response
