"""Issue, check, list and revoke the bearer tokens that callers present."""

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from db.models import Token, utcnow
from domain import rights as r
from domain.errors import Conflict, InvalidInput, NotFound
from domain.rights import Actor

# The operator at the command line holds every right.
OPERATOR = Actor("operator", frozenset(r.ALL_RIGHTS))
TOKEN_PREFIX = "cwg_"
MAX_SECRET_CHARS = 200  # ours are 47: anything much longer is not one, and is not hashed


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    uow, actor: Actor, name: str, rights: list[str], expires_at: datetime | None = None
):
    """Store a new token and return (token, secret); the secret is never stored or shown again."""
    r.require(actor, r.ADMIN)
    unknown = r.unknown_rights(rights)
    if unknown:
        raise InvalidInput("Unknown rights.", {"rights": [f"Unknown right: {u}" for u in unknown]})
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("Expiry in the past.", {"expires_at": ["Must be in the future."]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        if uow.tokens.by_name(name) is not None:
            raise Conflict(f"A token named '{name}' exists already.")
        token = Token(
            name=name,
            token_hash=_hash(secret),
            rights=",".join(sorted(set(rights))),
            expires_at=expires_at,
        )
        uow.tokens.add(token)
        uow.commit()
    return token, secret


@dataclass(frozen=True)
class _Known:
    """A token as read, and the database version it was read at."""

    actor: Actor
    expires_at: datetime | None
    touch_at: datetime  # when last_used_at is due to be written
    version: int | str


class KnownTokens:
    """Tokens this process has checked, trusted only while the database is unchanged since.

    `version` is a callable answering a value that changes with every commit to the database
    (db.changes.DatabaseChanges), or None when there is no such proof: then every request
    reads its token. A revocation is a commit, so it holds from the next request everywhere."""

    MAX_ENTRIES = 1000

    def __init__(
        self, version: Callable[[], int | str | None], *, proof_costs_a_round_trip: bool = False
    ) -> None:
        self._version = version
        self.proof_costs_a_round_trip = proof_costs_a_round_trip
        self._known: dict[str, _Known] = {}

    def version(self) -> int | str | None:
        return self._version()

    def get(self, token_hash: str, version: int | str | None, now: datetime) -> Actor | None:
        known = self._known.get(token_hash)
        if known is None or version is None or known.version != version:
            return None
        if known.expires_at is not None and known.expires_at <= now:
            return None
        return known.actor if now < known.touch_at else None

    def put(self, token_hash: str, known: _Known) -> None:
        if len(self._known) >= self.MAX_ENTRIES:
            self._known.clear()
        self._known[token_hash] = known


def known_actor(known: KnownTokens, secret: str, version: int | str | None) -> Actor | None:
    """The actor behind `secret` when this process read its token at `version` of the database
    and it is neither expired nor due a last_used_at write; else None, and authenticate() must
    read it. No database call: `version` is the caller's proof that nothing changed since."""
    if not _plausible(secret):
        return None
    return known.get(_hash(secret), version, utcnow())


def _plausible(secret: str) -> bool:
    return secret.startswith(TOKEN_PREFIX) and len(secret) <= MAX_SECRET_CHARS


def authenticate(
    reader, writer, secret: str, touch_after: timedelta, known: KnownTokens | None = None
) -> Actor | None:
    """The actor behind `secret`, or None when it is unknown, revoked or expired.

    Read with `reader` (a read-only unit of work, which waits for no writer), unless `known`
    proves the token unchanged since this process last read it; last_used_at is written with
    `writer` at most once per `touch_after`, so that a request stays a read."""
    if not _plausible(secret):
        return None
    version = known.version() if known else None  # before reading: a later commit shows
    if known is not None and (actor := known_actor(known, secret, version)) is not None:
        return actor
    presented = _hash(secret)
    now = utcnow()
    with reader:
        token = reader.tokens.by_hash(presented)
        if token is None or not hmac.compare_digest(token.token_hash, presented):
            return None
        if token.expires_at is not None and token.expires_at <= now:
            return None
        due = token.last_used_at is None or now - token.last_used_at >= touch_after
        rights = frozenset(right for right in token.rights.split(",") if right)
        token_id, actor = token.id, Actor(token.name, rights)
        touch_at = now if due else token.last_used_at + touch_after
        expires_at = token.expires_at
    if known is not None and version is not None and not due:
        known.put(presented, _Known(actor, expires_at, touch_at, version))
    if due:
        with writer:
            token = writer.tokens.get(token_id)
            if token is not None:  # revoked meanwhile: nothing to note
                token.last_used_at = now
                writer.commit()
    return actor


def list_tokens(uow, actor: Actor, page: int = 1, page_size: int = 100):
    """One page of tokens by name, and the total; secrets are never stored, so never shown."""
    r.require(actor, r.ADMIN)
    with uow:
        return uow.tokens.page_by_name(page, page_size)


def revoke_token(uow, actor: Actor, name: str) -> None:
    """Delete the token; the next request that presents it is refused everywhere."""
    r.require(actor, r.ADMIN)
    if not re.fullmatch(r.TOKEN_NAME_PATTERN, name):
        raise NotFound("No token by that name.")
    with uow:
        token = uow.tokens.by_name(name)
        if token is None:
            raise NotFound(f"No token named '{name}'.")
        uow.tokens.delete(token)
        uow.commit()
