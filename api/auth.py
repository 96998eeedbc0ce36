"""Bearer authentication for every /v1 route: a gateway token, or a person's JWT."""

import logging
from datetime import timedelta

from flask import current_app, g, request

from api.context import reader, uow
from api.errors import problem
from api.idempotency import MUTATING
from db.engine import again_if_stale
from services import people, tokens

log = logging.getLogger(__name__)


def _unauthorized(detail: str, error: str | None = None):
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return problem(401, detail, headers={"WWW-Authenticate": challenge})


def authenticate():
    """before_request: set g.actor from the bearer token, or answer 401."""
    if request.method == "OPTIONS":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return _unauthorized("This route needs 'Authorization: Bearer <token>'.")
    secret = secret.strip()
    if not secret.startswith(tokens.TOKEN_PREFIX):
        return _authenticate_person(secret)
    touch = timedelta(seconds=current_app.config["TOKEN_TOUCH_SECONDS"])
    # The first database call of every request: it absorbs a database restart.
    known = current_app.extensions["known_tokens"]
    if known.proof_costs_a_round_trip and request.method in MUTATING:
        # A write commits: its caller's next request finds the database changed anyway. On
        # PostgreSQL the proof is a round trip, which a stream of writes would spend for nothing.
        known = None
    found = again_if_stale(lambda: tokens.authenticate(reader(), uow(), secret, touch, known))
    if found is None:
        return _unauthorized("The token is unknown, revoked or expired.", "invalid_token")
    g.actor = found
    return None


def _authenticate_person(token: str):
    """A JWT AuditCase signed for a logged-in person; refused when no JWT settings are made."""
    settings = current_app.extensions["jwt_settings"]
    if settings is None:
        return _unauthorized("The token is unknown, revoked or expired.", "invalid_token")
    try:
        g.actor = people.authenticate(settings, token)
    except people.InvalidJwt as refused:
        log.info("JWT refused: %s", refused.reason)
        return _unauthorized(f"The JWT is refused: {refused.reason}.", "invalid_token")
    note_person(g.actor)
    return None


def note_person(actor, request_id: str | None = None) -> None:
    """The person's id goes to the logs (api.md); their name goes into the link history.
    `request_id` outside Flask (api/link_reads.py), where the log filter cannot find it."""
    extra = {} if request_id is None else {"request_id": request_id}
    log.info("request by person sub=%s", actor.subject, extra=extra)
