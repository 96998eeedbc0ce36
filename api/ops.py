"""Operations: /healthz (alive) and /readyz (able to serve); no token, no data."""

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields

from api.blueprint import Blueprint
from api.context import reader
from services import operations

blp = Blueprint("operations", __name__, description="Health and readiness, for load balancers.")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})


class ReadinessSchema(HealthSchema):
    checks = fields.Dict(
        metadata={
            "example": {
                "database": "ok",
                "caseware_cloud": "ok",
                "pending_deliveries": 0,
                "held_deliveries": 0,
            },
            "description": "held_deliveries: withdrawals the unlink guard holds until an admin "
            "releases them (POST /v1/deliveries/release). The counts are null when the "
            "database does not answer.",
        }
    )


@blp.route("/healthz")
class HealthView(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is alive. Touches nothing."""
        return {"status": "ok"}


@blp.route("/readyz")
class ReadinessView(MethodView):
    @blp.doc(security=[])
    @blp.response(200, ReadinessSchema)
    @blp.alt_response(503, schema=ReadinessSchema, description="The database does not answer")
    def get(self):
        """Ready while the database answers; CaseWare Cloud is reported, never fatal alone."""
        ready, body = operations.readiness(reader(), current_app.extensions["cwc_probe"])
        return body, 200 if ready else 503
