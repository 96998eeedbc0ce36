"""Checks on what CaseWare Cloud answers, before any of it is used.

CaseWare Cloud is a party we cannot test against: an answer is used only once its media type,
its JSON shape and the fields we read (their types and lengths) are as the contract says.
Anything else is passing trouble (CwcBadAnswer) with a reason fit for `last_error`: the
answer itself is never echoed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import CwcBadAnswer, CwcError

JSON_TYPES = ("application/json", "text/json")
# A CWGuid is a GUID (32 hex digits, hyphens optional), as the public clients show them.
_CWGUID = re.compile(r"\{?[0-9A-Fa-f]{8}-?(?:[0-9A-Fa-f]{4}-?){3}[0-9A-Fa-f]{12}\}?")
# A bearer token goes into a header: visible ASCII only, of a sane length.
_TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")
MAX_ID = 2**63 - 1
MAX_TEXT = 4000  # longer strings in the fields we read are not CWC's

# Properties the adapter reads, and what each must be when present (None is allowed).
_TEXT_FIELDS = (
    "EntityNo",
    "Email",
    "Type",
    "InActiveDate",
    "OwnerType",
    "AddressCategory",
    "Name",
)


def is_cwguid(value: Any) -> bool:
    """True for a string that looks like a CaseWare Cloud id."""
    return isinstance(value, str) and _CWGUID.fullmatch(value) is not None


def is_token(value: Any) -> bool:
    """True for a bearer token fit to send in a header."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def decode_json(body: bytes, media_type: str, *, method: str, path: str) -> Any:
    """The JSON of a successful answer (None when empty); CwcBadAnswer when it is not JSON."""
    if not body:
        return None
    if media_type not in JSON_TYPES and not media_type.endswith("+json"):
        shown = media_type or "none"
        raise _bad(f"answer of type {shown}, not JSON", method, path)
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise _bad("answer is not valid JSON", method, path) from None


def check_object(answer: Any, what: str, *, method: str, path: str) -> dict[str, Any]:
    """A CWC object with a valid CWGuid and sane fields, or CwcBadAnswer."""
    if not isinstance(answer, dict):
        raise _bad(f"expected a {what} object", method, path)
    problem = _object_problem(answer)
    if problem:
        raise _bad(f"{what} {problem}", method, path)
    return answer


def check_list(answer: Any, what: str, *, method: str, path: str) -> list[dict[str, Any]]:
    """A list of CWC objects, each checked as by check_object, or CwcBadAnswer."""
    if not isinstance(answer, list):
        raise _bad(f"expected a list of {what}", method, path)
    for item in answer:
        check_object(item, what, method=method, path=path)
    return answer


def check_texts(item: dict[str, Any], names, what: str, *, method: str, path: str) -> None:
    """Each named property of a checked object is text of a sane length or null, or
    CwcBadAnswer: values compared with ours, and maybe shown to a person, are never odd."""
    for name in names:
        value = item.get(name)
        if value is not None and not (isinstance(value, str) and len(value) <= MAX_TEXT):
            raise _bad(f"{what} with an invalid {name}", method, path)


def check_guids(values: Any, what: str, *, method: str, path: str) -> list[str]:
    """A list of CWGuids, or CwcBadAnswer."""
    if not isinstance(values, list) or not all(is_cwguid(v) for v in values):
        raise _bad(f"{what} that are not a list of CWGuids", method, path)
    return values


def check_token(answer: Any, *, path: str) -> str:
    """The Token of a token answer, or CwcBadAnswer (never cached, never echoed)."""
    token = answer.get("Token") if isinstance(answer, Mapping) else None
    if not is_token(token):
        raise _bad("token answer without a usable Token", "POST", path, maybe_performed=False)
    return token


def _object_problem(item: Mapping[str, Any]) -> str | None:
    if not is_cwguid(item.get("CWGuid")):
        return "without a valid CWGuid"
    if item.get("OwnerCWGuid") is not None and not is_cwguid(item["OwnerCWGuid"]):
        return "with an invalid OwnerCWGuid"
    if "Id" in item and not _is_id(item["Id"]):
        return "with an invalid Id"
    for name in _TEXT_FIELDS:
        value = item.get(name)
        if value is not None and not (isinstance(value, str) and len(value) <= MAX_TEXT):
            return f"with an invalid {name}"
    return None


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


def _bad(reason: str, method: str, path: str, *, maybe_performed: bool = True) -> CwcError:
    return CwcBadAnswer(reason, method=method, path=path, maybe_performed=maybe_performed)
