"""API tokens as an admin creates and lists them."""

from marshmallow import fields, validate

from domain.rights import ALL_RIGHTS, TOKEN_NAME_PATTERN
from schemas.base import BaseSchema, UtcDateTime, page_schema


class TokenCreateSchema(BaseSchema):
    name = fields.String(
        required=True,
        validate=validate.Regexp(TOKEN_NAME_PATTERN, error="1 to 64 of: letters, digits . _ @ -"),
        metadata={"description": "Letters, digits and . _ @ -", "example": "auditcase-frontend"},
    )
    rights = fields.List(
        fields.String(validate=validate.OneOf(ALL_RIGHTS)),
        required=True,
        validate=validate.Length(max=len(ALL_RIGHTS)),
    )
    expires_at = UtcDateTime(
        allow_none=True,
        metadata={"description": "ISO 8601 with a Z or an offset; in the future"},
    )


class TokenSchema(BaseSchema):
    """A token as listed: never its secret."""

    name = fields.String()
    rights = fields.List(fields.String(), attribute="rights_list")
    created_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    last_used_at = UtcDateTime(allow_none=True)


class NewTokenSchema(BaseSchema):
    """A token just created: the secret is in `token`, shown this once."""

    name = fields.String()
    rights = fields.List(fields.String(), attribute="rights_list")
    token = fields.String(
        attribute="secret",
        allow_none=True,
        metadata={
            "description": "The secret, shown this once; null in a replay "
            "(Idempotent-Replayed: true), as it is stored nowhere."
        },
    )
    created_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)


TokenPageSchema = page_schema(TokenSchema, "TokenPage")
