"""The outbox: a change that must reach CaseWare Cloud, written as a Delivery in the
transaction of the local change (services.delivery delivers it)."""

import json
from dataclasses import dataclass
from datetime import datetime

from db.models import Delivery, utcnow
from services.unlink_guard import UnlinkGuard

PENDING = "pending"  # a delivery's state until it is sent or refused


def order_key(client_id: int) -> str:
    """A client and its contacts share one queue: a contact's access needs its entity."""
    return f"client:{client_id}"


@dataclass(frozen=True)
class Lease:
    """Who may deliver a change, until when."""

    owner: str
    until: datetime


def enqueue(
    uow,
    *,
    guard: UnlinkGuard,
    actor: str,
    request_id,
    record_type: str,
    record_id: int,
    client_id: int,
    operation: str,
    action: str,
    detail: str | None = None,
    payload: dict | None = None,
    lease: Lease | None = None,
):
    """Write a change to the outbox, in the caller's transaction; the unit of work keeps it.

    Every change passes `guard`, which holds a withdrawal past its limit (then any lease is
    dropped: a held change is never sent until released)."""
    delivery = Delivery(
        order_key=order_key(client_id),
        record_type=record_type,
        record_id=record_id,
        operation=operation,
        payload=json.dumps({"client_id": client_id, **(payload or {})}),
        action=action,
        detail=detail,
        actor=actor,
        request_id=request_id,
        state=PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
        lease_owner=lease.owner if lease else None,
        leased_until=lease.until if lease else None,
    )
    guard.admit(uow, delivery)
    uow.deliveries.add(delivery)
    uow.enqueued.append(delivery)
    return delivery
