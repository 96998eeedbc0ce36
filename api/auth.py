"""Bearer-token authentication for every /v1 route."""

from datetime import timedelta

from flask import current_app, g, request

from api.context import reader, uow
from api.errors import problem
from db.engine import again_if_stale
from services import tokens


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
    touch = timedelta(seconds=current_app.config["TOKEN_TOUCH_SECONDS"])
    # The first database call of every request: it absorbs a database restart.
    known = current_app.extensions["known_tokens"]
    found = again_if_stale(
        lambda: tokens.authenticate(reader(), uow(), secret.strip(), touch, known)
    )
    if found is None:
        return _unauthorized("The token is unknown, revoked or expired.", "invalid_token")
    g.actor = found
    return None
