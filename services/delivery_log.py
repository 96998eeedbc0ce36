"""What the courier tells the log: one line per delivery outcome, with its request's id."""

import logging

log = logging.getLogger("services.delivery")

# A refusal needs a person (fix the data, then retry); passing trouble is retried by itself.
_LEVELS = {"delivered": logging.INFO, "pending": logging.WARNING, "refused": logging.ERROR}


def outcome(delivery, result: str, in_request: bool) -> None:
    """A delivery attempt's settled outcome: delivered, pending (retried later) or refused."""
    level = _LEVELS[result]
    if not log.isEnabledFor(level):
        return
    log.log(
        level,
        "delivery %s (%s %s %s): %s",
        delivery.id,
        delivery.operation,
        delivery.record_type,
        delivery.record_id,
        result,
        extra={
            "event": "delivery",
            "delivery_id": delivery.id,
            "record_type": delivery.record_type,
            "record_id": delivery.record_id,
            "operation": delivery.operation,
            "outcome": result,
            "attempts": delivery.attempts,
            "by": "request" if in_request else "courier",
            "error": delivery.last_error,
            # The request that made the change, also when the courier delivers it later.
            "request_id": delivery.request_id,
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
