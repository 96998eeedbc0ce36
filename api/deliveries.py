"""/v1/deliveries: the queue of changes on their way to CaseWare Cloud (right: admin)."""

from flask.views import MethodView

from api.blueprint import protected_blueprint
from api.context import actor, page_of, reader, uow
from api.request_id import current_request_id
from schemas.deliveries import (
    DeliveryFilterSchema,
    DeliveryPageSchema,
    DeliveryReleaseSchema,
    DeliverySchema,
)
from services import deliveries, unlink_guard

# A release answers with the first this many of what it released (the rest: GET ?state=pending).
RELEASE_ANSWER_ITEMS = 100

blp = protected_blueprint(
    "deliveries", __name__, url_prefix="/deliveries", description="Delivery queue (right: admin)."
)


@blp.route("")
class DeliveriesViews(MethodView):
    @blp.arguments(DeliveryFilterSchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    @blp.problems(401, 403)
    def get(self, args):
        """Pending, failed and held deliveries: attempts, next attempt, last error. Right: admin."""
        page, page_size = args["page"], args["page_size"]
        items, total = deliveries.list_deliveries(
            reader(), actor(), args.get("state"), page, page_size
        )
        return page_of(items, total, args)


@blp.route("/<id:delivery_id>/retry")
class DeliveryRetryView(MethodView):
    @blp.response(202, DeliverySchema)
    @blp.problems(401, 403, 404, 409)
    @blp.mutation()
    def post(self, delivery_id):
        """Make a delivery due now; the courier delivers it in order. Right: admin."""
        return deliveries.retry_delivery(uow(), actor(), delivery_id)


@blp.route("/release")
class DeliveryReleaseView(MethodView):
    @blp.arguments(DeliveryReleaseSchema)
    @blp.response(202, DeliveryPageSchema)
    @blp.problems(401, 403, 422)
    @blp.mutation()
    def post(self, args):
        """Release withdrawals the unlink guard holds: due now, sent in order. Right: admin.

        `{"ids": [...]}` or `{"all": true}`. The answer lists what this call released (`total`;
        `items`: the first 100, oldest first); a repeat releases nothing more. An unknown id
        is a 422 naming it, and then nothing is released."""
        released = unlink_guard.release(uow(), actor(), args.get("ids"), current_request_id())
        page = {"page": 1, "page_size": RELEASE_ANSWER_ITEMS}
        return page_of(released[:RELEASE_ANSWER_ITEMS], len(released), page)
