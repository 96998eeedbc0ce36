"""What a view needs from the request and the app: the unit of work, the caller, If-Match."""

import re

from flask import abort, current_app, g, request

from api.errors import problem
from domain.rights import Actor
from services.links import Upstream

# If-Match: * or quoted entity tags, weak ones (W/) allowed by the syntax but never matching.
IF_MATCH_PATTERN = r'^(\*|(W/)?"[\x21\x23-\x7e]*"(\s*,\s*(W/)?"[\x21\x23-\x7e]*")*)$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
# Documented on every response that carries a tag.
ETAG_HEADER = {
    "ETag": {"description": "Strong entity tag of this version", "schema": {"type": "string"}}
}


def uow():
    """A fresh unit of work from the app's factory."""
    return current_app.extensions["uow_factory"]()


def reader():
    """A fresh read-only unit of work: for views that only read (it waits for no writer)."""
    return current_app.extensions["reader_factory"]()


def upstream() -> Upstream:
    """CaseWare Cloud for this request, traced by its request id."""
    return Upstream(current_app.extensions["courier"], getattr(g, "request_id", None))


def actor() -> Actor:
    """The authenticated caller of this request."""
    return g.actor


def if_match() -> frozenset[str] | None:
    """The strong tags of If-Match, {'*'} for a star, or None when the header is absent; a
    malformed one (empty, say) is a 422 naming it, as the OpenAPI document's pattern says."""
    if "If-Match" not in request.headers:
        return None
    if not _IF_MATCH.fullmatch(request.headers["If-Match"]):
        abort(
            problem(
                422,
                "If-Match must be * or one or more quoted ETags separated by commas.",
                errors={"If-Match": ['* or "tag", "tag", ... as an ETag header gave it']},
            )
        )
    tags = request.if_match
    if tags.star_tag:
        return frozenset({"*"})
    return frozenset(tags.as_set(include_weak=False))


def etag_header(tag: str) -> dict[str, str]:
    return {"ETag": f'"{tag}"'}


def page_of(items, total: int, args: dict) -> dict:
    """The list envelope of api.md."""
    return {"items": items, "total": total, "page": args["page"], "page_size": args["page_size"]}
