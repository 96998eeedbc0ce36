"""Durable delivery to CaseWare Cloud: the outbox, delivered in order, exactly once in effect.

A change that must reach CaseWare Cloud is written as a Delivery in the transaction of the local
change (services.outbox). The request then delivers it at once (after any older change of the
same client), and the courier of each gateway process delivers what is left, with back-off,
until it succeeds or CaseWare Cloud refuses it. Every operation is safe to repeat, so a crash
between CaseWare Cloud's answer and our commit costs a repeat, never a duplicate.
"""

import json
import logging
import random
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta

from adapters.caseware_cloud.errors import CwcRejected, CwcUnavailable
from db.models import Delivery, utcnow
from db.repositories import LinkOutcome
from domain import links as L
from services import delivery_log
from services.circuit import CircuitBreaker, CircuitOpen
from services.delivery_operations import Nothing, prepare
from services.delivery_policy import DeliveryPolicy
from services.outbox import PENDING, Lease
from services.refusals import explain_refusal
from services.request_slots import RequestSlots
from services.unlink_guard import UnlinkGuard

log = logging.getLogger(__name__)

# The request a delivery belongs to, while it is being sent: CaseWare Cloud sees the same
# X-Request-ID whether the change went out within its request or later from the queue.
sending_for: ContextVar[str | None] = ContextVar("sending_for", default=None)
# The time.monotonic() by which a request must answer: the adapter shortens its timeouts and
# retries to it, so a slow CaseWare Cloud costs the caller a 202, not minutes. Unset (None)
# for the background courier, which waits as long as CWC_ settings allow.
answer_by: ContextVar[float | None] = ContextVar("answer_by", default=None)
# The background courier whose delivery is being sent (None within a request): its stop time
# may come closer while a delivery is under way (SIGTERM), so call_deadline reads it each time.
_sent_by: ContextVar["Courier | None"] = ContextVar("sent_by", default=None)


def call_deadline() -> float | None:
    """By when CaseWare Cloud must have answered (the adapter asks before every call and retry):
    the request's or the claim's deadline, or the stopping courier's, whichever comes first."""
    deadline, courier = answer_by.get(), _sent_by.get()
    if courier is None or deadline is not None and deadline <= courier.stop_by:
        return deadline
    return courier.stop_by


# A delivery's outcomes; PENDING is also its state until then (services.outbox).
DELIVERED, REFUSED = "delivered", "refused"
# The share of a lease that the work may use; the rest is for settling the outcome.
LEASE_FOR_WORK = 0.8


@dataclass
class Result:
    outcome: str
    message: str | None = None
    remote_id: str | None = None
    remote_address_id: str | None = None
    retry_after: float | None = None
    counted: bool = True  # False when the breaker kept us from trying at all


@dataclass(frozen=True)
class Queued:
    """What settling a delivery needs to know of it, read when it was claimed: while the lease
    is ours, nobody else changes it."""

    record_type: str
    record_id: int
    operation: str
    attempts: int
    action: str
    detail: str | None
    actor: str

    @classmethod
    def of(cls, delivery: Delivery) -> "Queued":
        return cls(
            delivery.record_type,
            delivery.record_id,
            delivery.operation,
            delivery.attempts or 0,
            delivery.action,
            delivery.detail,
            delivery.actor,
        )


@dataclass
class Claim:
    delivery_id: int
    order_key: str
    request_id: str | None
    work: object = field(repr=False)
    # The time.monotonic() by which the work must be done: within the lease, so that no other
    # courier can take the same change while this one is still sending it.
    must_end_by: float = float("inf")
    queued: Queued | None = None


class Courier:
    """Claims deliveries (one per client queue at a time), sends them, and settles the outcome."""

    def __init__(
        self,
        uow_factory,
        cwc,
        policy: DeliveryPolicy | None = None,
        *,
        sleep=time.sleep,
        rng=random.random,
        on_outcome=lambda outcome: None,
        reader_factory=None,
        guard: UnlinkGuard | None = None,
    ):
        self._uow = uow_factory
        # When given, an idle poll is one read on it instead of a write transaction.
        self._readers = reader_factory
        self._cwc = cwc
        self.policy = policy or DeliveryPolicy()
        self._sleep, self._rng = sleep, rng
        self._on_outcome = on_outcome  # for metrics
        self.owner = uuid.uuid4().hex
        self.stop_by = float("inf")  # see wind_down
        # Every change a request writes through this courier passes the unlink guard.
        self.guard = guard or UnlinkGuard()
        self._request_slots = RequestSlots(
            self.policy.request_slots,
            self.policy.slot_wait_seconds,
            self.policy.spare_wait_seconds,
        )
        # Refusals are answers, not failures: only passing trouble opens the circuit.
        self.breaker = CircuitBreaker(
            fail_max=self.policy.breaker_failures,
            reset_timeout=self.policy.breaker_reset_seconds,
            exclude=(CwcRejected,),
        )

    # ----- the request's path ---------------------------------------------------------------

    def lease_for_new(self, uow, key: str) -> Lease | None:
        """In the writer's own transaction, before it writes its change: a lease for that change
        when nothing older of the key waits. The change is then written leased, and the request
        needs no claiming transaction of its own (the common case)."""
        if uow.deliveries.any_pending(key):
            return None
        return Lease(self.owner, utcnow() + timedelta(seconds=self.policy.lease_seconds))

    def claim_new(self, uow, delivery: Delivery) -> Claim:
        """The claim on a change written with a lease_for_new lease, prepared in its transaction."""
        work = prepare(uow, delivery, json.loads(delivery.payload))
        return self._claim_of(delivery, work)

    def deliver_through(self, key: str, last_id: int, request_id: str | None, claimed=None) -> None:
        """Deliver the key's queue up to `last_id` now, in order; stop at the first that waits,
        or when the request's time for it is up.

        `claimed` is the change the request leased when it wrote it, if it could. When every
        request slot is taken, nothing is sent now: the change stays queued, due at once (a
        lease of our own is given back), and the request answers 202.
        """
        # The spare thread takes only the request's own change, and not one that may create a
        # record: cut short by the spare's time, a create holds its link for minutes.
        spare_ok = (
            claimed is not None and claimed.delivery_id == last_id and not claimed.work.may_create
        )
        with self._request_slots.take(self.policy.wait_seconds, spare=spare_ok) as seconds:
            if seconds is None:
                log.warning("all %d request slots wait on CaseWare Cloud", self._request_slots.size)
                if claimed is not None:
                    self._release(claimed)
                return
            deadline = time.monotonic() + seconds
            token = answer_by.set(deadline)
            try:
                self._deliver_until(deadline, key, last_id, request_id, claimed)
            finally:
                answer_by.reset(token)

    def _deliver_until(self, deadline: float, key: str, last_id: int, request_id, claimed) -> None:
        pause = self.policy.poll_seconds / 16
        while True:
            claim, claimed = claimed or self._claim(key=key, up_to=last_id, due_only=False), None
            if claim is None:
                if not self._worth_waiting(key, last_id) or time.monotonic() >= deadline:
                    return
                # An older change is in flight elsewhere: look again soon, then less often.
                self._sleep(pause)
                pause = min(pause * 2, self.policy.poll_seconds)
                continue
            in_request = claim.request_id is not None and claim.request_id == request_id
            result = self._deliver(claim, in_request=in_request)
            if result.outcome == PENDING or claim.delivery_id == last_id:
                return
            if time.monotonic() >= deadline:
                return  # the rest stays queued, due now: the background courier goes on

    # ----- the background path --------------------------------------------------------------

    def run_due(self, limit: int = 50, stopping=lambda: False) -> int:
        """Deliver up to `limit` due changes, each at the head of its queue, claiming none once
        `stopping()`; returns how many."""
        if self._readers is not None and not self._anything_due():
            return 0
        done = 0
        while done < limit and not stopping():
            claim = self._claim(key=None, up_to=None, due_only=True)
            if claim is None:
                break
            self._deliver(claim, in_request=False)
            done += 1
        return done

    def _anything_due(self) -> bool:
        with self._readers() as reader:
            return reader.deliveries.anything_due(utcnow())

    def wind_down(self) -> None:
        """The process stops: background work under way must end within a request's time
        (DELIVERY_WAIT_SECONDS), after which a call is cut short and its delivery settled as
        pending, its lease given back, for the next process to take at once."""
        self.stop_by = min(self.stop_by, time.monotonic() + self.policy.wait_seconds)

    # ----- one delivery ---------------------------------------------------------------------

    def _claim(self, *, key, up_to, due_only) -> Claim | None:
        with self._uow() as uow:
            now = utcnow()
            rows = uow.deliveries.claimable(now, key=key, up_to=up_to, due_only=due_only)
            if not rows:
                return None
            delivery = rows[0]
            delivery.leased_until = now + timedelta(seconds=self.policy.lease_seconds)
            delivery.lease_owner = self.owner
            work = prepare(uow, delivery, json.loads(delivery.payload))
            uow.commit()
            return self._claim_of(delivery, work)

    def _claim_of(self, delivery: Delivery, work) -> Claim:
        """The claim on a delivery just leased; its work must end well within the lease."""
        must_end_by = time.monotonic() + self.policy.lease_seconds * LEASE_FOR_WORK
        return Claim(
            delivery.id,
            delivery.order_key,
            delivery.request_id,
            work,
            must_end_by,
            Queued.of(delivery),
        )

    def _release(self, claim: Claim) -> None:
        """Give a lease back unused, so the background courier takes the change at once."""
        with self._uow() as uow:
            delivery = uow.deliveries.get(claim.delivery_id, for_update=True)
            if delivery is not None and delivery.lease_owner == self.owner:
                delivery.lease_owner = delivery.leased_until = None
                uow.commit()

    def _worth_waiting(self, key: str, delivery_id: int) -> bool:
        """Whether the change is still pending behind one in flight elsewhere; not when the
        unlink guard holds it, or an older one of its queue, for a person to release."""
        with self._uow() as uow:
            delivery = uow.deliveries.get(delivery_id)
            if delivery is None or delivery.state != PENDING:
                return False
            return not uow.deliveries.held_before(key, delivery_id)

    def _deliver(self, claim: Claim, *, in_request: bool) -> Result:
        result = self._send(claim)
        self._on_outcome(result.outcome)
        self._settle(claim, result, in_request=in_request)
        return result

    def _send(self, claim: Claim) -> Result:
        if isinstance(claim.work, Nothing):
            return Result(DELIVERED, claim.work.reason)
        token = sending_for.set(claim.request_id)
        # The request's deadline, if any, and never past the lease: a delivery still under way
        # when its lease ran out would be sent twice, by this courier and the next.
        deadline = answer_by.get()
        deadline_token = answer_by.set(min(deadline or claim.must_end_by, claim.must_end_by))
        sent_by_token = _sent_by.set(self if deadline is None else None)
        try:
            learnt = self.breaker.call(claim.work.run, self._cwc)
        except CircuitOpen:
            # Not an attempt; come back when the circuit may let a probe through.
            paused = "CaseWare Cloud is paused after repeated failures"
            return Result(
                PENDING, paused, retry_after=self.policy.breaker_reset_seconds, counted=False
            )
        except CwcUnavailable as exc:
            message = str(exc)
            if deadline is None and time.monotonic() >= self.stop_by:
                message = f"the gateway stopped during the delivery ({message})"
            return Result(PENDING, message, retry_after=exc.retry_after)
        except CwcRejected as exc:
            return Result(REFUSED, explain_refusal(exc))
        except Exception as exc:  # a fault of ours must not leave the delivery leased, unrecorded
            log.exception("delivery %s failed unexpectedly", claim.delivery_id)
            return Result(PENDING, f"unexpected error in the gateway ({type(exc).__name__})")
        finally:
            _sent_by.reset(sent_by_token)
            answer_by.reset(deadline_token)
            sending_for.reset(token)
        return Result(DELIVERED, **{claim.work.learns: learnt})

    def _settle(self, claim: Claim, result: Result, *, in_request: bool) -> None:
        queued, now = claim.queued, utcnow()
        delivered = result.outcome == DELIVERED
        retry_at = None
        if result.outcome == PENDING:
            attempts = queued.attempts + (1 if result.counted else 0)
            retry_at = now + timedelta(seconds=self._backoff(attempts, result))
        link = LinkOutcome(
            queued.record_type,
            queued.record_id,
            result.outcome,
            now,
            result.remote_id,
            result.remote_address_id,
        )
        with self._uow() as uow:
            settled = uow.deliveries.settle(
                claim.delivery_id,
                self.owner,
                link,
                self._history_line(claim, result, in_request, now),
                counted=1 if result.counted else 0,
                error=None if delivered else result.message,
                new_state=PENDING
                if result.outcome == PENDING
                else "done"
                if delivered
                else "failed",
                delivered=now if delivered else None,
                retry_at=retry_at,
            )
            if not settled:
                delivery_log.lease_lost(claim.delivery_id, claim.request_id, result.outcome)
                return  # our lease ran out and another took over; its outcome counts
            uow.commit()
        delivery_log.outcome(
            claim.delivery_id,
            queued,
            result.outcome,
            request_id=claim.request_id,
            attempts=queued.attempts + (1 if result.counted else 0),
            error=None if delivered else result.message,
            in_request=in_request,
        )

    def _backoff(self, attempts: int, result: Result) -> float:
        """Full jitter, exponential in attempts; never sooner than CaseWare Cloud asked."""
        cap = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** max(attempts - 1, 0))
        return max(self._rng() * cap, result.retry_after or 0.0)

    def _history_line(self, claim: Claim, result: Result, in_request: bool, now) -> dict | None:
        """History: the request's own outcome, or a background delivery's final one."""
        if not in_request and result.outcome == PENDING:
            return None  # a retry that failed again is in the delivery queue, not the history
        queued = claim.queued
        if in_request:
            action, detail = queued.action, queued.detail
        else:
            action = L.DELIVERY
            detail = queued.action + (f" ({queued.detail})" if queued.detail else "")
        if result.outcome == REFUSED:
            outcome = L.RESULT_REFUSED if action == L.LINK_ON else L.FAILED
            detail = f"{detail}: {result.message}" if detail else result.message
        else:
            outcome = L.SYNCED if result.outcome == DELIVERED else L.PENDING
        return dict(
            record_type=queued.record_type,
            record_id=queued.record_id,
            at=now,
            actor=queued.actor,
            action=action,
            result=outcome,
            detail=detail,
            request_id=claim.request_id,
        )
