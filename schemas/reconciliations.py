"""Reconciliations (drift checks) and their results, as the API shows and accepts them."""

import json

from marshmallow import fields, validate

from schemas.base import BaseSchema, PageArgsSchema, StrictBoolean, UtcDateTime, page_schema
from services.reconciliation import DONE, QUEUED, RESULT_STATES, RUNNING

MAX_ID = 2**31 - 1  # the ids of the paths (api/converters.py)
MAX_CLIENTS = 1000


class ReconciliationCreateSchema(BaseSchema):
    clients = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
        validate=validate.Length(min=1, max=MAX_CLIENTS),
        metadata={
            "description": "Client ids to check (1 to 1,000), each with its linked contacts; "
            "left out: every linked client. An unlinked client has nothing to check.",
            "example": [1, 2],
        },
    )
    repair = StrictBoolean(
        load_default=False,
        metadata={
            "description": "Push the gateway's values for every difference, and restore "
            "access and activity, through the delivery queue; false: nothing is written."
        },
    )


_COUNTS = {
    "type": "object",
    "properties": {state: {"type": "integer"} for state in RESULT_STATES},
    "description": "Checked records by state.",
}


class ReconciliationSchema(BaseSchema):
    id = fields.Integer()
    state = fields.String(metadata={"enum": [QUEUED, RUNNING, DONE]})
    repair = fields.Boolean()
    total = fields.Integer(metadata={"description": "Records to check."})
    processed = fields.Integer(metadata={"description": "Records checked so far."})
    counts = fields.Function(
        lambda job: {state: getattr(job, state) for state in RESULT_STATES}, metadata=_COUNTS
    )
    created_by = fields.String()
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    last_error = fields.String(
        allow_none=True,
        metadata={"description": "Why it waits, while CaseWare Cloud cannot be read."},
    )


class DifferenceSchema(BaseSchema):
    field = fields.String(metadata={"description": "The gateway's field name", "example": "name"})
    gateway = fields.String(allow_none=True)
    caseware_cloud = fields.String(allow_none=True)


class _StoredList(fields.List):
    """A list kept as JSON text in its column."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(json.loads(value or "[]"), attr, obj, **kwargs)


class RecordSchema(BaseSchema):
    type = fields.String(attribute="record_type", metadata={"enum": ["client", "contact"]})
    id = fields.Integer(attribute="record_id")


class ReconciliationResultSchema(BaseSchema):
    record = fields.Function(lambda row: RecordSchema().dump(row), metadata={"type": "object"})
    state = fields.String(metadata={"enum": list(RESULT_STATES)})
    differences = _StoredList(fields.Nested(DifferenceSchema))
    detail = fields.String(
        allow_none=True,
        metadata={"description": "Why a missing record counts as missing."},
    )
    checked_at = UtcDateTime()


class ResultFilterSchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf(RESULT_STATES))


ReconciliationPageSchema = page_schema(ReconciliationSchema, "ReconciliationPage")
ReconciliationResultPageSchema = page_schema(ReconciliationResultSchema, "ReconciliationResultPage")
