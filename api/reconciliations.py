"""/v1/reconciliations: drift checks of linked records against CaseWare Cloud (right: admin)."""

from flask import g
from flask.views import MethodView

from api.blueprint import protected_blueprint
from api.context import actor, page_of, reader, uow
from schemas.base import PageArgsSchema
from schemas.reconciliations import (
    ReconciliationCreateSchema,
    ReconciliationPageSchema,
    ReconciliationResultPageSchema,
    ReconciliationSchema,
    ResultFilterSchema,
)
from services import reconciliation

LOCATION = {
    "Location": {"description": "Where to follow its progress", "schema": {"type": "string"}}
}

blp = protected_blueprint(
    "reconciliations",
    __name__,
    url_prefix="/reconciliations",
    description="Drift checks against CaseWare Cloud, and their repair (right: admin).",
)


@blp.route("")
class ReconciliationsViews(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, ReconciliationPageSchema)
    @blp.problems(401, 403)
    def get(self, args):
        """List reconciliations, newest first. Right: admin."""
        items, total = reconciliation.list_reconciliations(
            reader(), actor(), args["page"], args["page_size"]
        )
        return page_of(items, total, args)

    @blp.arguments(ReconciliationCreateSchema)
    @blp.response(202, ReconciliationSchema, headers=LOCATION)
    @blp.problems(400, 401, 403, 409, 413)
    @blp.mutation()
    def post(self, data):
        """Start a drift check of linked clients and their linked contacts. Right: admin.

        Answers at once; the gateway's background worker checks each record against
        CaseWare Cloud, paced to its rate limit. With `repair`, every difference is pushed
        from the gateway's data through the delivery queue (access and activity too)."""
        job = reconciliation.create_reconciliation(
            uow(),
            actor(),
            data.get("clients"),
            data["repair"],
            request_id=getattr(g, "request_id", None),
        )
        return job, {"Location": f"/v1/reconciliations/{job.id}"}


@blp.route("/<id:reconciliation_id>")
class ReconciliationByIdViews(MethodView):
    @blp.response(200, ReconciliationSchema)
    @blp.problems(401, 403, 404)
    def get(self, reconciliation_id):
        """Read a reconciliation: its state, progress and counts. Right: admin."""
        return reconciliation.get_reconciliation(reader(), actor(), reconciliation_id)


@blp.route("/<id:reconciliation_id>/results")
class ReconciliationResultsViews(MethodView):
    @blp.arguments(ResultFilterSchema, location="query")
    @blp.response(200, ReconciliationResultPageSchema)
    @blp.problems(401, 403, 404)
    def get(self, args, reconciliation_id):
        """The checked records, in the order checked, with their differences. Right: admin."""
        items, total = reconciliation.list_results(
            reader(), actor(), reconciliation_id, args.get("state"), args["page"], args["page_size"]
        )
        return page_of(items, total, args)
