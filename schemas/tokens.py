"""API tokens as an admin creates and lists them."""

from marshmallow import fields, validate

from domain.rights import ALL_RIGHTS
from schemas.base import BaseSchema, UtcDateTime


class TokenCreateSchema(BaseSchema):
    name = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=64), validate.Regexp(r"^[A-Za-z0-9._@-]+$")],
        metadata={"description": "Letters, digits and . _ @ -"},
    )
    rights = fields.List(
        fields.String(validate=validate.OneOf(ALL_RIGHTS)),
        required=True,
        validate=validate.Length(max=len(ALL_RIGHTS)),
    )
    expires_at = fields.AwareDateTime(allow_none=True, format="iso", default_timezone=None)


class TokenSchema(BaseSchema):
    """A token as listed: never its secret."""

    name = fields.String()
    rights = fields.List(fields.String(), attribute="rights_list")
    created_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    last_used_at = UtcDateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    """A token just created: the secret is in `token`, shown this once."""

    token = fields.String(attribute="secret")
