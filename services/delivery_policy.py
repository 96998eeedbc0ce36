"""How deliveries are retried, leased and waited for: the DELIVERY_ and CWC_BREAKER_ settings."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are retried, leased and waited for."""

    lease_seconds: float = 120.0  # a delivery's work is cut off at LEASE_FOR_WORK of it
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    # How long a request spends on its client's queue (waiting behind an older change in
    # flight, or delivering several of its own) before it answers 202 and leaves the rest
    # to the background courier: a slow CaseWare Cloud, or a client with many contacts
    # switched off, must not keep its caller waiting for minutes. A call under way is cut
    # short at that time; its delivery stays pending and is repeated (each is safe to repeat).
    wait_seconds: float = 5.0
    poll_seconds: float = 0.05  # the longest pause between looks at a change in flight
    # Requests of this process that may wait on CaseWare Cloud at once; the others answer 202
    # at once, so a slow CaseWare Cloud cannot take every request thread.
    request_slots: int = 7
    # How long a request waits for a slot when all are taken: with CaseWare Cloud answering,
    # one frees within a call's time; when it does not, the wait is short enough to keep
    # /healthz quick on the thread left free.
    slot_wait_seconds: float = 0.1
    # The thread left free delivers too, but only what takes this long (0: it never does);
    # see services.request_slots.
    spare_wait_seconds: float = 0.5
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0


def delivery_policy(config) -> DeliveryPolicy:
    """The DELIVERY_ settings of the app's configuration."""
    return DeliveryPolicy(
        lease_seconds=float(config["DELIVERY_LEASE_SECONDS"]),
        backoff_base=float(config["DELIVERY_BACKOFF_BASE"]),
        backoff_cap=float(config["DELIVERY_BACKOFF_CAP"]),
        wait_seconds=float(config["DELIVERY_WAIT_SECONDS"]),
        request_slots=int(config["DELIVERY_REQUEST_SLOTS"]),
        slot_wait_seconds=float(config["DELIVERY_SLOT_WAIT_SECONDS"]),
        spare_wait_seconds=float(config["DELIVERY_SPARE_WAIT_SECONDS"]),
        breaker_failures=int(config["CWC_BREAKER_FAILURES"]),
        breaker_reset_seconds=float(config["CWC_BREAKER_RESET_SECONDS"]),
    )
