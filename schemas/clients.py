"""Clients (klanten) as the API shows and accepts them."""

from marshmallow import fields, validate

from schemas.base import (
    BaseSchema,
    Email,
    PageArgsSchema,
    UtcDateTime,
    linked_filter,
    optional_text,
    page_schema,
    text,
)
from schemas.countries import ISO_3166_ALPHA2

KINDS = ("business", "private")
STATUSES = ("active", "prospect", "suspect", "inactive")


class _ClientFields(BaseSchema):
    number = text(
        32,
        min_length=1,
        example="2001",
        metadata={"description": "Client number (klantnummer); unique."},
    )
    name = text(200, min_length=1, example="De Vries Schilders B.V.")
    kind = fields.String(
        validate=validate.OneOf(KINDS), metadata={"description": "private: a particuliere klant."}
    )
    status = fields.String(validate=validate.OneOf(STATUSES))
    address = optional_text(
        200, example="Dorpsstraat 12a", metadata={"description": "Street, house number and suffix."}
    )
    postcode = optional_text(16, example="1234 AB")
    city = optional_text(100, example="Utrecht")
    country = fields.String(
        allow_none=True,
        validate=validate.OneOf(sorted(ISO_3166_ALPHA2), error="Not an ISO 3166-1 alpha-2 code."),
        metadata={"description": "ISO 3166-1 alpha-2, e.g. NL.", "example": "NL"},
    )
    phone = optional_text(32, example="030-1234567")
    email = Email(
        allow_none=True,
        validate=validate.Length(max=254),
        metadata={"example": "info@devriesschilders.nl"},
    )
    website = optional_text(255, example="https://www.devriesschilders.nl")
    facebook = optional_text(255, example="devriesschilders")
    twitter = optional_text(255, example="@devriesschilders")
    linkedin = optional_text(255, example="devries-schilders")


class ClientSchema(_ClientFields):
    """A client as stored."""

    id = fields.Integer(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class ClientCreateSchema(_ClientFields):
    """A new client: number and name are required."""

    number = text(32, min_length=1, required=True, example="2001")
    name = text(200, min_length=1, required=True, example="De Vries Schilders B.V.")
    kind = fields.String(validate=validate.OneOf(KINDS), load_default="business")
    status = fields.String(validate=validate.OneOf(STATUSES), load_default="active")


class ClientUpdateSchema(_ClientFields):
    """Fields to change; those left out stay as they are, null clears an optional one."""


class ClientFilterSchema(PageArgsSchema):
    number = text(32)
    status = fields.String(validate=validate.OneOf(STATUSES))
    kind = fields.String(validate=validate.OneOf(KINDS))
    linked = linked_filter()


ClientPageSchema = page_schema(ClientSchema, "ClientPage")
