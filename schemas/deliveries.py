"""Deliveries to CaseWare Cloud, as the admin's queue view shows them."""

from marshmallow import fields, validate

from schemas.base import BaseSchema, PageArgsSchema, UtcDateTime, page_schema
from services.delivery_operations import OPERATIONS


class RecordSchema(BaseSchema):
    type = fields.String(attribute="record_type", metadata={"enum": ["client", "contact"]})
    id = fields.Integer(attribute="record_id")


class DeliverySchema(BaseSchema):
    id = fields.Integer()
    record = fields.Function(lambda d: RecordSchema().dump(d), metadata={"type": "object"})
    operation = fields.String(metadata={"enum": list(OPERATIONS)})
    state = fields.String(metadata={"enum": ["pending", "failed"]})
    attempts = fields.Integer()
    next_attempt_at = UtcDateTime()
    last_error = fields.String(allow_none=True)
    created_at = UtcDateTime()
    request_id = fields.String(allow_none=True)


class DeliveryFilterSchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf(["pending", "failed"]))


DeliveryPageSchema = page_schema(DeliverySchema, "DeliveryPage")
