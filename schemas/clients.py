"""Clients (klanten) as the API shows and accepts them."""

from marshmallow import fields, validate

from schemas.base import (
    BaseSchema,
    Email,
    PageArgsSchema,
    UtcDateTime,
    optional_text,
    page_schema,
    text,
)
from schemas.countries import ISO_3166_ALPHA2

KINDS = ("business", "private")
STATUSES = ("active", "prospect", "suspect", "inactive")


class _ClientFields(BaseSchema):
    number = text(
        32, min_length=1, metadata={"description": "Client number (klantnummer); unique."}
    )
    name = text(200, min_length=1)
    kind = fields.String(
        validate=validate.OneOf(KINDS), metadata={"description": "private: a particuliere klant."}
    )
    status = fields.String(validate=validate.OneOf(STATUSES))
    address = optional_text(200, metadata={"description": "Street, house number and suffix."})
    postcode = optional_text(16)
    city = optional_text(100)
    country = fields.String(
        allow_none=True,
        validate=validate.OneOf(sorted(ISO_3166_ALPHA2), error="Not an ISO 3166-1 alpha-2 code."),
        metadata={"description": "ISO 3166-1 alpha-2, e.g. NL.", "example": "NL"},
    )
    phone = optional_text(32)
    email = Email(allow_none=True, validate=validate.Length(max=254))
    website = optional_text(255)
    facebook = optional_text(255)
    twitter = optional_text(255)
    linkedin = optional_text(255)


class ClientSchema(_ClientFields):
    """A client as stored."""

    id = fields.Integer(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class ClientCreateSchema(_ClientFields):
    """A new client: number and name are required."""

    number = text(32, min_length=1, required=True)
    name = text(200, min_length=1, required=True)
    kind = fields.String(validate=validate.OneOf(KINDS), load_default="business")
    status = fields.String(validate=validate.OneOf(STATUSES), load_default="active")


class ClientUpdateSchema(_ClientFields):
    """Fields to change; those left out stay as they are, null clears an optional one."""


class ClientFilterSchema(PageArgsSchema):
    number = text(32)
    status = fields.String(validate=validate.OneOf(STATUSES))
    kind = fields.String(validate=validate.OneOf(KINDS))


ClientPageSchema = page_schema(ClientSchema, "ClientPage")
