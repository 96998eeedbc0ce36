"""Contact persons (contactpersonen) as the API shows and accepts them."""

from marshmallow import fields, validate

from schemas.base import BaseSchema, Email, UtcDateTime, optional_text, page_schema, text


class _ContactFields(BaseSchema):
    first_name = optional_text(
        30, example="Anna", metadata={"description": "CaseWare Cloud allows 30 characters."}
    )
    infix = optional_text(
        20, example="de", metadata={"description": "Tussenvoegsels: van, de, ..."}
    )
    last_name = text(100, min_length=1, example="Vries")
    initials = optional_text(20, example="A.")
    email = Email(
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={
            "description": "The CaseWare Cloud login; compared without regard to case.",
            "example": "anna@devriesschilders.nl",
        },
    )
    phone = optional_text(32, example="030-1234567")
    mobile = optional_text(32, example="06-12345678")


class ContactSchema(_ContactFields):
    """A contact as stored."""

    id = fields.Integer(dump_only=True)
    client_id = fields.Integer(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class ContactCreateSchema(_ContactFields):
    """A new contact: last_name is required."""

    last_name = text(100, min_length=1, required=True, example="Vries")


class ContactUpdateSchema(_ContactFields):
    """Fields to change; those left out stay as they are, null clears an optional one."""


ContactPageSchema = page_schema(ContactSchema, "ContactPage")
