"""What the courier tells the log: one line per delivery outcome, with its request's id."""

import logging

log = logging.getLogger("services.delivery")

# A refusal needs a person (fix the data, then retry); passing trouble is retried by itself.
_LEVELS = {"delivered": logging.INFO, "pending": logging.WARNING, "refused": logging.ERROR}


def outcome(
    delivery_id: int,
    queued,
    result: str,
    *,
    request_id: str | None,
    attempts: int,
    error: str | None,
    in_request: bool,
) -> None:
    """A delivery attempt's settled outcome: delivered, pending (retried later) or refused.
    `queued` is what the claim read of the delivery (services.delivery.Queued)."""
    level = _LEVELS[result]
    if not log.isEnabledFor(level):
        return
    log.log(
        level,
        "delivery %s (%s %s %s): %s",
        delivery_id,
        queued.operation,
        queued.record_type,
        queued.record_id,
        result,
        extra={
            "event": "delivery",
            "delivery_id": delivery_id,
            "record_type": queued.record_type,
            "record_id": queued.record_id,
            "operation": queued.operation,
            "outcome": result,
            "attempts": attempts,
            "by": "request" if in_request else "courier",
            "error": error,
            # The request that made the change, also when the courier delivers it later.
            "request_id": request_id,
        },
    )


def lease_lost(delivery_id: int, request_id: str | None, result: str) -> None:
    """Another courier took the delivery over while this one sent it; its outcome counts."""
    log.warning(
        "delivery %s: lease ran out before its outcome (%s) was recorded; another courier has it",
        delivery_id,
        result,
        extra={
            "event": "delivery_lease_lost",
            "delivery_id": delivery_id,
            "request_id": request_id,
        },
    )
