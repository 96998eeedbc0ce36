"""Idempotency keys: remember the first answer to a mutating request and replay it."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from db.models import IdempotencyRecord, utcnow
from domain.errors import Conflict, IdempotencyKeyReused


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: str
    body: str


def begin(uow, actor: str, key: str, fingerprint: str, *, ttl: timedelta, lock: timedelta):
    """Claim `key` for this request (None: go ahead) or return the first request's answer."""
    for _ in range(2):  # a lost insert race is settled by reading the winner's row
        with uow:
            record = uow.idempotency.find(actor, key, for_update=True)
            now = utcnow()
            if record is None:
                uow.idempotency.add(
                    IdempotencyRecord(
                        actor=actor, key=key, fingerprint=fingerprint, state="running"
                    )
                )
                try:
                    uow.commit()
                except IntegrityError:
                    continue
                return None
            expired = record.created_at <= now - ttl
            abandoned = record.state == "running" and record.created_at <= now - lock
            if expired or abandoned:
                record.fingerprint, record.state, record.created_at = fingerprint, "running", now
                record.status_code = record.response_headers = record.response_body = None
                uow.commit()
                return None
            if record.fingerprint != fingerprint:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was used for another request; use a new key."
                )
            if record.state == "running":
                raise Conflict("A request with this Idempotency-Key is still running; retry later.")
            return StoredResponse(record.status_code, record.response_headers, record.response_body)
    raise Conflict("A request with this Idempotency-Key is still running; retry later.")


def finish(uow, actor: str, key: str, status: int, headers: str, body: str) -> None:
    """Store the answer that later requests with the same key will get."""
    with uow:
        record = uow.idempotency.find(actor, key, for_update=True)
        if record is not None:
            record.state, record.status_code = "done", status
            record.response_headers, record.response_body = headers, body
            uow.commit()


def release(uow, actor: str, key: str) -> None:
    """Forget a claim whose request failed on our side, so that a retry runs afresh."""
    with uow:
        record = uow.idempotency.find(actor, key, for_update=True)
        if record is not None and record.state == "running":
            uow.idempotency.delete(record)
            uow.commit()


def purge_expired(uow, ttl: timedelta) -> int:
    """Delete keys older than `ttl`; returns how many."""
    with uow:
        count = uow.idempotency.purge_older_than(utcnow() - ttl)
        uow.commit()
        return count
