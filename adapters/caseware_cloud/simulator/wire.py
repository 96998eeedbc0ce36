"""How the ASP.NET service reads the wire: names and GUIDs in any case, logins by ASCII case."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Only A-Z map to a-z: str.lower() and str.casefold() would also fold "ß", "ﬃ", the Kelvin
# sign and accented capitals, which CWC does not (caseware-cloud.md, Lists and search).
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """The text with only the ASCII letters A-Z mapped to a-z."""
    return text.translate(_ASCII_LOWER)


def same_login(a: Any, b: Any) -> bool:
    """Whether two e-mail addresses are one CWC login: equal after mapping A-Z to a-z only."""
    return isinstance(a, str) and isinstance(b, str) and ascii_lower(a) == ascii_lower(b)


def guid_key(guid: Any) -> Any:
    """The key under which the store keeps a CWGuid: GUIDs compare without regard to case."""
    return ascii_lower(guid) if isinstance(guid, str) else guid


def canonical(
    body: Mapping[str, Any], fields: Iterable[str], current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The body with property names in the contract's spelling, whatever case they came in.

    Names the contract does not know keep the spelling of the stored record when it has one,
    else the spelling sent. Of two names that differ only in case the last wins, as in
    System.Text.Json with case-insensitive property names.
    """
    names = {ascii_lower(name): name for name in current or ()}
    names.update({ascii_lower(name): name for name in fields})
    return {names.get(ascii_lower(key), key): value for key, value in body.items()}


def lower_args(args: Any) -> dict[str, str]:
    """Query parameters by lower-case name; the first value of a repeated name wins."""
    items = args.items(multi=True) if hasattr(args, "getlist") else dict(args).items()
    found: dict[str, str] = {}
    for key, value in items:
        found.setdefault(ascii_lower(key), value)
    return found
