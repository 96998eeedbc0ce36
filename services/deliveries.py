"""The delivery queue as an admin sees it: what waits, what failed or is held, a retry now."""

from db.models import utcnow
from domain import rights as r
from domain.errors import Conflict, NotFound
from domain.rights import Actor
from services import unlink_guard


def list_deliveries(uow, actor: Actor, state: str | None, page: int, page_size: int):
    """Pending, failed and held deliveries (or those of one state), oldest first, and the total."""
    r.require(actor, r.ADMIN)
    with uow:
        return uow.deliveries.list(state, page, page_size)


def retry_delivery(uow, actor: Actor, delivery_id: int):
    """Make a pending or failed delivery due now; the courier takes it in order."""
    r.require(actor, r.ADMIN)
    with uow:
        delivery = uow.deliveries.get(delivery_id, for_update=True)
        if delivery is None:
            raise NotFound(f"No delivery with id {delivery_id}.")
        if delivery.state == "done":
            raise Conflict("This delivery has been delivered already.")
        if delivery.state == unlink_guard.HELD:
            # A retry must not slip past the guard: a release is the deliberate act, and
            # leaves its trace in the history.
            raise Conflict(
                "This delivery is held by the unlink guard; release it with "
                "POST /v1/deliveries/release."
            )
        if delivery.state == unlink_guard.CANCELLED:
            raise Conflict("This delivery was cancelled: its record was switched on again.")
        delivery.state, delivery.next_attempt_at = "pending", utcnow()
        uow.commit()
        return delivery
