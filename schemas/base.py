"""Shared pieces: the strict base schema, problem+json, and paged lists."""

import re
import unicodedata
from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import fields, validate

MAX_PAGE_SIZE = 100


class BaseSchema(ma.Schema):
    """Refuses unknown fields (read-only ones included) instead of ignoring them."""

    class Meta:
        unknown = ma.RAISE


def utc_text(value: datetime) -> str:
    """A time as api.md writes it: ISO 8601 in UTC, to the second, with a Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class UtcDateTime(fields.AwareDateTime):
    """A time written as ISO 8601 in UTC with a Z, as api.md promises; read with any offset,
    never without one, and only when it is a time in UTC at all (years 1 to 9999 there)."""

    default_error_messages = {"out_of_range": "Out of range once converted to UTC."}

    def __init__(self, **kwargs):
        super().__init__(format="iso", default_timezone=None, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else utc_text(value)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00:00-05:00 is past the last year Python knows
            raise self.make_error("out_of_range") from None


class StrictBoolean(fields.Boolean):
    """Only JSON true or false: "yes", 1 or "on" are errors, not guesses."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


# Refused anywhere in text: control characters (Unicode Cc: NUL, tab, line breaks, DEL, C1)
# and format characters (Cf: the byte order mark, zero-width spaces and joiners, the bidi
# overrides and isolates that make a name read other than it is). printable() checks the
# categories themselves; the OpenAPI pattern lists them as of Unicode 14, below U+10000.
_REFUSED = (
    r"\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf"})
# What shows nothing though it is neither: spaces of every width, and letters and marks that
# are drawn blank (Hangul fillers, the braille blank, variation selectors, ...).
_BLANK = (
    r"\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    r"\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u2800\u3164\ufe00-\ufe0f\uffa0"
)
_ONLY_BLANK = re.compile(f"^[{_BLANK}]*$")
# The same rules in the OpenAPI document, so that clients (and Swagger UI) know them up front.
PRINTABLE_PATTERN = f"^[^{_REFUSED}]*$"
NOT_BLANK_PATTERN = f"^[^{_REFUSED}]*[^{_REFUSED}{_BLANK}][^{_REFUSED}]*$"
# An optional field may be empty (""), never only blanks.
EMPTY_OR_NOT_BLANK_PATTERN = f"^([^{_REFUSED}]*[^{_REFUSED}{_BLANK}][^{_REFUSED}]*)?$"


def printable(value: str) -> None:
    """No control or format characters, and nothing that is not valid UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ma.ValidationError("Not valid Unicode text.") from None
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in value):
        raise ma.ValidationError("Control and invisible format characters are not allowed.")


def not_blank(value: str) -> None:
    """Something a reader can see: not only spaces and invisible characters."""
    if value and (_ONLY_BLANK.match(value) or value.isspace()):  # "" is Length's to refuse
        raise ma.ValidationError("Must not be blank.")


class _Printable:
    """A string field mixin that refuses, and documents, control and format characters."""

    def __init__(self, *args, validate=None, metadata=None, **kwargs):
        validators = [printable, *([validate] if callable(validate) else validate or [])]
        metadata = {"pattern": PRINTABLE_PATTERN, **(metadata or {})}
        super().__init__(*args, validate=validators, metadata=metadata, **kwargs)


class Text(_Printable, fields.String):
    """A string that refuses control and format characters and broken Unicode."""


class Email(_Printable, fields.Email):
    """An e-mail address, refusing control characters and broken Unicode like Text."""


def text(max_length: int, *, min_length: int = 0, example: str | None = None, **kwargs) -> Text:
    """A string field of bounded length that is never only blanks; with a min_length it is
    never empty either. Give it an example: without one, Swagger UI invents a random string
    from the pattern and offers it to testers."""
    metadata = kwargs.pop("metadata", {})
    if example is not None:
        metadata = {"example": example, **metadata}
    validators = [validate.Length(min=min_length, max=max_length), not_blank]
    pattern = NOT_BLANK_PATTERN if min_length > 0 else EMPTY_OR_NOT_BLANK_PATTERN
    metadata = {"pattern": pattern, **metadata}
    return Text(validate=validators, metadata=metadata, **kwargs)


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

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def linked_filter() -> fields.Boolean:
    """?linked=true|false: only records whose CaseWare Cloud switch is on, or off; else a 422."""
    return fields.Boolean(
        truthy={"true"},
        falsy={"false"},
        metadata={"description": "true: only linked records (switch on); false: only the others"},
    )


class ContactFilterSchema(PageArgsSchema):
    """?linked= on a client's contacts, with the page arguments."""

    linked = linked_filter()


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
