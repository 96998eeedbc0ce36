"""The delivery queue as an admin sees it: what waits, what failed, and a retry now."""

from db.models import utcnow
from domain import rights as r
from domain.errors import Conflict, NotFound
from domain.rights import Actor


def list_deliveries(uow, actor: Actor, state: str | None, page: int, page_size: int):
    """Pending and failed deliveries (or one of the two), oldest first, and the total."""
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
        delivery.state, delivery.next_attempt_at = "pending", utcnow()
        uow.commit()
        return delivery
