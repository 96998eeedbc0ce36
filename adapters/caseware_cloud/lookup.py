"""Reading lists from CaseWare Cloud: paging and the search grammar."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .answers import check_list, check_object
from .client import CwcHttpClient

MAX_PAGES = 1000  # a bound on paging, should CWC ever keep answering full pages


def search_literal(value: Any) -> str:
    """A value for CWC's search grammar: a string in single quotes, a quote doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def search(
    http: CwcHttpClient, resource: str, key: str, value: Any, page_size: int
) -> Iterator[dict[str, Any]]:
    """Every object of a resource whose property `key` equals `value`, page by page."""
    return list_all(http, resource, page_size, {"search": f"{key}={search_literal(value)}"})


def list_all(
    http: CwcHttpClient, path: str, page_size: int, params: Mapping[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """Every object of a list, page by page; a short or empty page is the last."""
    previous_first = None
    for page in range(1, MAX_PAGES + 1):
        query = {**(params or {}), "page": page, "pageSize": page_size}
        items = check_list(
            http.request("GET", path, params=query), "object", method="GET", path=path
        )
        first = items[0]["CWGuid"] if items else None
        if first is not None and first == previous_first:
            return  # the same page again: this list does not page, and all was seen
        previous_first = first
        yield from items
        if len(items) < page_size:
            return


def expect_object(answer: Any, what: str, path: str) -> dict[str, Any]:
    """The answer to a GET as a checked CWC object, or CwcBadAnswer (passing trouble)."""
    return check_object(answer, what, method="GET", path=path)


def expect_created(answer: Any, path: str) -> dict[str, Any]:
    """The object a create answered; an unusable one is treated as a lost answer (looked up)."""
    return check_object(answer, "created object", method="POST", path=path)
