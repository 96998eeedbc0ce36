"""Operations: /healthz (alive) and /readyz (able to serve); no token, no data."""

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields
from sqlalchemy import text

from api.blueprint import Blueprint

blp = Blueprint("operations", __name__, description="Health and readiness, for load balancers.")


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})


class ReadinessSchema(HealthSchema):
    checks = fields.Dict(
        metadata={
            "example": {"database": "ok", "caseware_cloud": "unchecked", "pending_deliveries": 0}
        }
    )


def _database_answers() -> bool:
    try:
        with current_app.extensions["db_engine"].connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not ready"; the reason is for the logs, not callers
        current_app.logger.warning("readiness: database does not answer", exc_info=True)
        return False


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
        database_ok = _database_answers()
        body = {
            "status": "ok" if database_ok else "unavailable",
            "checks": {
                "database": "ok" if database_ok else "unavailable",
                # Filled in once the CaseWare Cloud adapter and the delivery queue are wired.
                "caseware_cloud": "unchecked",
                "pending_deliveries": 0,
            },
        }
        return body, 200 if database_ok else 503
