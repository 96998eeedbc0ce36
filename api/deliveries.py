"""/v1/deliveries: the queue of changes on their way to CaseWare Cloud (right: admin)."""

from flask.views import MethodView

from api.blueprint import protected_blueprint
from api.context import actor, page_of, reader, uow
from schemas.deliveries import DeliveryFilterSchema, DeliveryPageSchema, DeliverySchema
from services import deliveries

blp = protected_blueprint(
    "deliveries", __name__, url_prefix="/deliveries", description="Delivery queue (right: admin)."
)


@blp.route("")
class DeliveriesViews(MethodView):
    @blp.arguments(DeliveryFilterSchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    @blp.problems(401, 403)
    def get(self, args):
        """Pending and failed deliveries: attempts, next attempt, last error. Right: admin."""
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
