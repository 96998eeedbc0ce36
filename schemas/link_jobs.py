"""Link jobs: many switches at once, their progress and their per-record results."""

from marshmallow import fields, validate

from schemas.base import BaseSchema, PageArgsSchema, StrictBoolean, UtcDateTime, page_schema
from schemas.links import REASONS
from services.link_jobs import ACTIONS, MAX_CLIENTS, OUTCOMES

MAX_ID = 2**31 - 1  # the ids of the paths (api/converters.py)
STATES = ("queued", "running", "done", "cancelled")


class StrictInteger(fields.Integer):
    """Only a JSON integer: "7", 7.5 or true are errors, not guesses."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class LinkJobCreateSchema(BaseSchema):
    """POST /v1/link-jobs."""

    action = fields.String(
        required=True,
        validate=validate.OneOf(ACTIONS),
        metadata={"description": "link: switch on; unlink: switch off (contacts go too)"},
    )
    clients = fields.List(
        StrictInteger(validate=validate.Range(min=1, max=MAX_ID)),
        required=True,
        validate=validate.Length(min=1, max=MAX_CLIENTS),
        metadata={"description": f"1 to {MAX_CLIENTS} client ids, each once", "example": [1, 2]},
    )
    with_contacts = StrictBoolean(
        load_default=False,
        metadata={"description": "With link: also link every eligible contact of each client"},
    )
    dry_run = StrictBoolean(
        load_default=False,
        metadata={"description": "Change nothing; say per record what would happen"},
    )


class CountsSchema(BaseSchema):
    """Records by outcome."""

    linked = fields.Integer()
    unlinked = fields.Integer()
    unchanged = fields.Integer()
    not_eligible = fields.Integer()
    refused = fields.Integer()
    pending = fields.Integer()
    would_link = fields.Integer()
    would_unlink = fields.Integer()


class LinkJobSchema(BaseSchema):
    id = fields.Integer()
    action = fields.String(metadata={"enum": list(ACTIONS)})
    with_contacts = fields.Boolean()
    dry_run = fields.Boolean()
    state = fields.String(metadata={"enum": list(STATES)})
    total = fields.Integer(metadata={"description": "Records: the clients and their contacts"})
    processed = fields.Integer()
    counts = fields.Nested(CountsSchema)
    created_by = fields.String(metadata={"description": "Token name or user; the history's actor"})
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)


LinkJobPageSchema = page_schema(LinkJobSchema, "LinkJobPage")


class JobRecordSchema(BaseSchema):
    type = fields.String(attribute="record_type", metadata={"enum": ["client", "contact"]})
    id = fields.Integer(attribute="record_id")


class LinkJobResultSchema(BaseSchema):
    record = fields.Function(
        lambda row: JobRecordSchema().dump(row),
        metadata={
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["client", "contact"]},
                "id": {"type": "integer"},
            },
        },
    )
    outcome = fields.String(metadata={"enum": list(OUTCOMES)})
    reasons = fields.Function(
        lambda row: row.reasons_list,
        metadata={"type": "array", "items": {"type": "string", "enum": list(REASONS)}},
    )
    detail = fields.String(
        allow_none=True,
        metadata={"description": "Why; for a dry run, whether the entity or user is adopted"},
    )


LinkJobResultPageSchema = page_schema(LinkJobResultSchema, "LinkJobResultPage")


class LinkJobResultFilterSchema(PageArgsSchema):
    """?outcome= (one of the counts' keys in the singular), with the page arguments."""

    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
