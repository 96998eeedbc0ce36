"""CWC's list grammar: one `Field<op>value` condition, and paging with bare arrays."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .records import SimError
from .wire import ascii_lower, lower_args

OPERATORS = ("<>", "=", "<", ">")  # "<>" before "<", or "<" would match first
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
_FIELD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Condition:
    """One search condition: a property, an operator and a string or number."""

    field: str
    operator: str
    value: str | int | float

    def matches(self, record: Mapping[str, Any]) -> bool:
        actual = record.get(self.field)
        comparable = _same_kind(actual, self.value)
        if self.operator == "=":
            return comparable and actual == self.value
        if self.operator == "<>":
            return not (comparable and actual == self.value)
        if not comparable:
            return False
        return actual < self.value if self.operator == "<" else actual > self.value


def _same_kind(actual: Any, value: Any) -> bool:
    if isinstance(value, str):
        return isinstance(actual, str)
    return isinstance(actual, int | float) and not isinstance(actual, bool)


def parse_search(text: str, known_fields: Iterable[str]) -> Condition:
    """Parse `Field=value`; strings in single quotes with '' for a quote; else a 400.

    The field name is read without regard to case, as ASP.NET reads property names.
    """
    match = _FIELD.match(text)
    if not match:
        raise SimError(400, "Invalid search: expected Field<operator>value.")
    fields = {ascii_lower(name): name for name in known_fields}
    field = fields.get(ascii_lower(match.group(1)))
    if field is None:
        raise SimError(400, f"Invalid search: unknown field {match.group(1)}.")
    rest = text[match.end() :]
    operator = next((op for op in OPERATORS if rest.startswith(op)), None)
    if operator is None:
        raise SimError(400, "Invalid search: the operator must be =, <, > or <>.")
    value, remainder = _parse_value(rest[len(operator) :].lstrip())
    if remainder.strip():
        raise SimError(400, "Invalid search: only one condition is allowed.")
    return Condition(field, operator, value)


def _parse_value(text: str) -> tuple[str | int | float, str]:
    if text.startswith("'"):
        chars = []
        i = 1
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    chars.append("'")
                    i += 2
                    continue
                return "".join(chars), text[i + 1 :]
            chars.append(text[i])
            i += 1
        raise SimError(400, "Invalid search: unterminated string.")
    number = _NUMBER.match(text)
    if not number:
        raise SimError(400, "Invalid search: a value is a 'quoted string' or a number.")
    literal = number.group(0)
    value = float(literal) if "." in literal else int(literal)
    return value, text[number.end() :]


def page_of(items: list[Any], args: Mapping[str, str]) -> list[Any]:
    """One page of a list; pages start at 1, pageSize is 1 to 100, past the end is [].

    `args` are keyed in lower case (see lower_args): parameter names are read in any case.
    """
    page = _positive_int(args, "page", 1)
    size = _positive_int(args, "pagesize", DEFAULT_PAGE_SIZE, "pageSize")
    if size > MAX_PAGE_SIZE:
        raise SimError(400, f"pageSize may be at most {MAX_PAGE_SIZE}.")
    start = (page - 1) * size
    return items[start : start + size]


def _positive_int(args: Mapping[str, str], key: str, default: int, name: str = "") -> int:
    name = name or key
    raw = args.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SimError(400, f"{name} must be a whole number.") from None
    if value < 1:
        raise SimError(400, f"{name} must be at least 1.")
    return value


def listing(
    records: Iterable[Mapping[str, Any]], args: Mapping[str, str], known_fields: Iterable[str]
) -> list[dict[str, Any]]:
    """Filter by the optional search, order by Id, and cut out the requested page.

    Query parameter names are read in any case; an empty search returns everything.
    """
    args = lower_args(args)
    items = sorted((dict(r) for r in records), key=lambda r: r.get("Id") or 0)
    search = args.get("search")
    if search is not None and search.strip():
        fields = set(known_fields).union(*(item.keys() for item in items))
        condition = parse_search(search, fields)
        items = [item for item in items if condition.matches(item)]
    return page_of(items, args)
