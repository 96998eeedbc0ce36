"""Deliveries to CaseWare Cloud, as the admin's queue view shows them, and their release."""

from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.base import BaseSchema, PageArgsSchema, StrictBoolean, UtcDateTime, page_schema
from services.delivery_operations import OPERATIONS

STATES = ["pending", "failed", "held"]
MAX_ID = 2**31 - 1  # the ids of the path converter (api/converters.py)
MAX_RELEASE_IDS = 1000


class RecordSchema(BaseSchema):
    type = fields.String(attribute="record_type", metadata={"enum": ["client", "contact"]})
    id = fields.Integer(attribute="record_id")


class DeliverySchema(BaseSchema):
    id = fields.Integer()
    record = fields.Function(lambda d: RecordSchema().dump(d), metadata={"type": "object"})
    operation = fields.String(metadata={"enum": list(OPERATIONS)})
    state = fields.String(
        metadata={
            "enum": STATES,
            "description": "pending: on its way; failed: CaseWare Cloud refused it; held: a "
            "withdrawal the unlink guard holds until an admin releases it",
        }
    )
    attempts = fields.Integer()
    next_attempt_at = UtcDateTime()
    last_error = fields.String(allow_none=True)
    created_at = UtcDateTime()
    request_id = fields.String(allow_none=True)


class DeliveryFilterSchema(PageArgsSchema):
    state = fields.String(
        validate=validate.OneOf(STATES),
        metadata={"description": "Only this state; without it, all three"},
    )


class DeliveryReleaseSchema(BaseSchema):
    """Exactly one of `ids` and `all`."""

    class Meta(BaseSchema.Meta):
        description = 'Exactly one of the two: {"ids": [...]} or {"all": true}; else a 422.'

    ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
        validate=validate.Length(min=1, max=MAX_RELEASE_IDS),
        metadata={
            "description": "The held deliveries to release (GET /v1/deliveries?state=held). An "
            "id that is not held (any more) is left as it is; an unknown id is a 422 naming it.",
            "example": [12, 13],
        },
    )
    all = StrictBoolean(
        validate=validate.Equal(True),
        metadata={"description": "true: release every held delivery"},
    )

    @validates_schema
    def _exactly_one(self, data, **_kwargs):
        if ("ids" in data) == ("all" in data):
            raise ValidationError('Send either "ids" or "all": true, not both, nor neither.')


DeliveryPageSchema = page_schema(DeliverySchema, "DeliveryPage")
