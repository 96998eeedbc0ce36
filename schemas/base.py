"""Shared pieces: the strict base schema, problem+json, and paged lists."""

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

MAX_PAGE_SIZE = 100


class BaseSchema(ma.Schema):
    """Refuses unknown fields (read-only ones included) instead of ignoring them."""

    class Meta:
        unknown = ma.RAISE


class UtcDateTime(fields.DateTime):
    """A time written as ISO 8601 in UTC with a Z, as api.md promises."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text(max_length: int, *, min_length: int = 0, **kwargs) -> fields.String:
    """A string field of bounded length."""
    return fields.String(validate=validate.Length(min=min_length, max=max_length), **kwargs)


def optional_text(max_length: int, **kwargs) -> fields.String:
    """An optional, nullable string field of at most `max_length` characters."""
    return text(max_length, allow_none=True, **kwargs)


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document, with our stable `code`."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(metadata={"example": "Not Found"})
    status = fields.Integer(metadata={"example": 404})
    detail = fields.String(metadata={"example": "No client with id 7."})
    code = fields.String(metadata={"example": "not_found"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Field errors, for validation_error."},
    )
    required_right = fields.String(metadata={"description": "The right missing, for forbidden."})
    ineligible_reasons = fields.List(fields.String(), metadata={"description": "For not_eligible."})


class PageArgsSchema(BaseSchema):
    """?page=&page_size= of every list."""

    class Meta:
        unknown = ma.EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The list envelope {items, total, page, page_size} around `item_schema`."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": fields.Integer(required=True),
            "page": fields.Integer(required=True),
            "page_size": fields.Integer(required=True),
        },
    )
