"""/v1/link-jobs: many switches at once, their progress, results and cancellation."""

from flask import g
from flask.views import MethodView

from api.blueprint import protected_blueprint
from api.context import ETAG_HEADER, actor, etag_header, page_of, reader, uow
from schemas.base import PageArgsSchema
from schemas.link_jobs import (
    LinkJobCreateSchema,
    LinkJobPageSchema,
    LinkJobResultFilterSchema,
    LinkJobResultPageSchema,
    LinkJobSchema,
)
from services import link_jobs
from services.link_jobs import JobRequest

blp = protected_blueprint(
    "link-jobs",
    __name__,
    url_prefix="/link-jobs",
    description="Link or unlink many clients (and their contacts) at once, or a dry run of it.",
)
LOCATION = {"Location": {"description": "The job's URL", "schema": {"type": "string"}}}
CREATE_DOC = (
    "Each record is switched as its own PATCH .../links would be (rights, rules, history with "
    "this caller as actor and this request's X-Request-ID, outbox), one at a time, paced to "
    "CaseWare Cloud's rate limit, by whichever gateway process or worker holds the job; it "
    "survives a restart. An unknown or repeated client id is a 422 naming it. A dry run changes "
    "nothing in the gateway or CaseWare Cloud (which it only reads)."
)


@blp.route("")
class LinkJobsViews(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, LinkJobPageSchema)
    @blp.problems(401, 403)
    def get(self, args):
        """Link jobs, newest first. Right: links:read."""
        items, total = link_jobs.list_jobs(reader(), actor(), args["page"], args["page_size"])
        return page_of(items, total, args)

    @blp.arguments(LinkJobCreateSchema)
    @blp.response(202, LinkJobSchema, headers=LOCATION)
    @blp.problems(400, 401, 403, 413)
    @blp.mutation()
    @blp.doc(description=CREATE_DOC)
    def post(self, data):
        """Start a link job: link or unlink up to 1,000 clients. Right: links:write."""
        job = link_jobs.create_job(uow(), actor(), JobRequest(**data), g.request_id)
        return job, {"Location": f"/v1/link-jobs/{job['id']}"}


@blp.route("/<id:job_id>")
class LinkJobByIdViews(MethodView):
    @blp.response(200, LinkJobSchema, headers=ETAG_HEADER)
    @blp.problems(401, 403, 404)
    def get(self, job_id):
        """A link job: its state, progress and counts. Right: links:read."""
        job = link_jobs.get_job(reader(), actor(), job_id)
        return job, etag_header(link_jobs.job_etag(job))


@blp.route("/<id:job_id>/cancel")
class LinkJobCancelView(MethodView):
    @blp.response(202, LinkJobSchema)
    @blp.problems(401, 403, 404, 409)
    @blp.mutation()
    def post(self, job_id):
        """Cancel a job: records not processed yet stay as they are; a finished job is a 409.
        Right: links:write."""
        return link_jobs.cancel_job(uow(), actor(), job_id)


@blp.route("/<id:job_id>/results")
class LinkJobResultsView(MethodView):
    @blp.arguments(LinkJobResultFilterSchema, location="query")
    @blp.response(200, LinkJobResultPageSchema)
    @blp.problems(401, 403, 404)
    def get(self, args, job_id):
        """A job's records as processed: outcome, reasons and detail. Right: links:read."""
        page, page_size = args["page"], args["page_size"]
        items, total = link_jobs.job_results(
            reader(), actor(), job_id, args.get("outcome"), page, page_size
        )
        return page_of(items, total, args)
