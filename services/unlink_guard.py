"""The unlink guard: past UNLINK_GUARD_LIMIT withdrawals within UNLINK_GUARD_WINDOW_SECONDS,
the rest wait for an admin (api.md, "The unlink guard").

A bad import that makes every client private, or one careless job, must not cut every client
off from its files at once. Every withdrawal (a contact's access, a client's entity: one each)
passes `UnlinkGuard.admit` as it is written to the outbox, in the transaction of the local
change, whatever route it took (a switch, an automatic unlink, a deletion, a job). Locally
everything happens as asked; a withdrawal beyond the limit is written `held`: the courier
never claims it, and it blocks its client's queue as a pending change does, so that a release
sends it in its place (a contact's withdrawal before a later link-on of the same login, say).

Released withdrawals do not count toward the window, neither when held nor when released:
the guard exists to stop withdrawals that nobody looked at, and an admin looked at these.
Counting them at their release would let one release of a bad import's backlog hold every
ordinary switch-off of the next hour again, for no one's benefit.
"""

import logging
from dataclasses import dataclass

from db.models import LinkEvent, utcnow
from domain import links as L
from domain import rights as r
from domain import unlink_guard as rule
from domain.errors import InvalidInput
from domain.rights import Actor
from services import delivery_operations as ops

log = logging.getLogger(__name__)

HELD, CANCELLED, PENDING = "held", "cancelled", "pending"
WITHDRAWALS = (ops.UNLINK_CLIENT, ops.UNLINK_CONTACT)
RELEASED = "released from the unlink guard"


@dataclass(frozen=True)
class UnlinkGuard:
    """At most `limit` withdrawals within `window_seconds` reach CaseWare Cloud unreleased."""

    limit: int = 50  # 0 turns the guard off
    window_seconds: float = 3600.0

    def admit(self, uow, delivery) -> None:
        """Hold `delivery` (a change about to be written to the outbox, in `uow`'s transaction)
        when it is a withdrawal past the limit: state held, its history item `held`."""
        if delivery.operation not in WITHDRAWALS or self.limit <= 0:
            return
        # Held until commit, so that two transactions cannot both take the last slot.
        uow.deliveries.lock_unlink_guard()
        now = utcnow()
        since = rule.window_start(now, self.window_seconds)
        let_through = uow.deliveries.withdrawals_let_through(WITHDRAWALS, since, self.limit)
        if not rule.must_hold(let_through, self.limit):
            return
        tripped = not uow.deliveries.any_held()  # the first held since the last all-clear
        delivery.state, delivery.held_at = HELD, now
        delivery.lease_owner = delivery.leased_until = None
        why = (
            f"held by the unlink guard ({self.limit} withdrawals within "
            f"{self.window_seconds:g} s); an admin releases it"
        )
        uow.link_events.add(
            LinkEvent(
                record_type=delivery.record_type,
                record_id=delivery.record_id,
                actor=delivery.actor,
                action=delivery.action,
                result=L.RESULT_HELD,
                detail=f"{delivery.detail}: {why}" if delivery.detail else why,
                request_id=delivery.request_id,
            )
        )
        if tripped:
            # Once per trip, for every worker together: the transaction that holds the first
            # of them says so, once it has committed.
            uow.after_commit(lambda: self._say_tripped(delivery))

    def _say_tripped(self, delivery) -> None:
        log.error(
            "UNLINK GUARD TRIPPED: the limit of %d withdrawals to CaseWare Cloud within %g s is "
            "reached; this one "
            "(delivery %s, %s %s) and every further one are held until an admin releases them: "
            "GET /v1/deliveries?state=held, POST /v1/deliveries/release",
            self.limit,
            self.window_seconds,
            delivery.id,
            delivery.record_type,
            delivery.record_id,
            extra={
                "event": "unlink_guard_tripped",
                "limit": self.limit,
                "window_seconds": self.window_seconds,
                "delivery_id": delivery.id,
            },
        )


def guard_from_config(config) -> UnlinkGuard:
    """The UNLINK_GUARD_ settings of the app's configuration."""
    limit, window = int(config["UNLINK_GUARD_LIMIT"]), float(config["UNLINK_GUARD_WINDOW_SECONDS"])
    if limit < 0 or window <= 0:
        raise RuntimeError("UNLINK_GUARD_LIMIT must be 0 or more, UNLINK_GUARD_WINDOW_SECONDS > 0")
    return UnlinkGuard(limit, window)


def cancel_held(uow, record_type: str, record_id: int) -> bool:
    """The record is switched on again: its held withdrawal is no longer wanted (api.md).
    Returns whether there was one. Call it with the record's link locked."""
    held = uow.deliveries.held(record=(record_type, record_id))
    for delivery in held:
        delivery.state = CANCELLED
    return bool(held)


def release(uow, actor: Actor, ids: list[int] | None, request_id: str | None = None) -> list:
    """Release the held deliveries of `ids` (all of them when None): due now, sent in order.

    An id that is not held (any more) is left as it is, so that a release can be repeated; an
    id no delivery has is a validation error naming it, and nothing is released."""
    r.require(actor, r.ADMIN)
    with uow:
        unknown = uow.deliveries.unknown_ids(ids) if ids else []
        if unknown:
            names = ", ".join(map(str, unknown))
            raise InvalidInput(
                f"No delivery with id {names}.", errors={"ids": [f"Unknown delivery ids: {names}."]}
            )
        released = uow.deliveries.held(ids=ids)
        now = utcnow()
        for delivery in released:
            delivery.state, delivery.next_attempt_at = PENDING, now
        uow.link_events.add_all(
            [
                LinkEvent(
                    record_type=delivery.record_type,
                    record_id=delivery.record_id,
                    actor=actor.name,
                    action=L.DELIVERY,
                    result=L.PENDING,
                    detail=f"{delivery.action} ({delivery.detail}): {RELEASED}"
                    if delivery.detail
                    else f"{delivery.action}: {RELEASED}",
                    request_id=request_id,
                )
                for delivery in released
            ]
        )
        uow.commit()
    return released
