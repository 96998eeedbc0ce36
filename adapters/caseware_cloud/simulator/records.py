"""The simulator's record shapes and the checks caseware-cloud.md part A asks of request bodies."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from .wire import canonical, guid_key

ENTITY_FIELDS = (
    "Id",
    "CWGuid",
    "EntityNo",
    "Name",
    "OperatingName",
    "OwnerType",
    "Type",
    "CountryCode",
    "Phone",
    "Email",
    "WebSite",
    "Facebook",
    "Twitter",
    "LinkedIn",
)
ADDRESS_FIELDS = (
    "Id",
    "CWGuid",
    "Name",
    "Address1",
    "Address2",
    "City",
    "PostalCode",
    "Country",
    "AddressCategory",
    "OwnerCWGuid",
    "OwnerId",
)
USER_FIELDS = (
    "Id",
    "CWGuid",
    "OwnerType",
    "UserName",
    "Title",
    "FirstName",
    "MiddleName",
    "LastName",
    "Initials",
    "Email",
    "Phone",
    "MobilePhone",
    "Type",
    "InActiveDate",
    "CanLogin",
    "Admin",
    "IsSingleSignOnUser",
    "FirmWideRoleIds",
)
ROLE_FIELDS = ("Id", "CWGuid", "Name")
ASSIGNMENT_FIELDS = ("people", "roleIds", "isRemove")
TOKEN_FIELDS = ("ClientId", "ClientSecret", "Language")

# OwnerType values the simulator takes. "Client" and "Contact" are part A's; staff users
# are "Staff" (what this project's tests seed) or "Employee". No public client shows
# another value: the HelloID connector sends back whatever GET /users/{id} gave it.
ENTITY_OWNER_TYPES = ("Client",)
USER_OWNER_TYPES = ("Contact", "Staff", "Employee")
CONTACT = "Contact"
ACTIVITY_TYPES = ("A", "I")
MAX_LENGTHS = {"FirstName": 30, "Email": 100, "UserName": 50}
READ_ONLY = ("Id", "CWGuid")
USER_READ_ONLY = ("Id", "CWGuid", "CanLogin", "FirmWideRoleIds")
USER_BOOLEANS = ("Admin", "IsSingleSignOnUser")
NOT_STRINGS = ("Id", "OwnerId", "CanLogin", "FirmWideRoleIds", *USER_BOOLEANS)


class SimError(Exception):
    """An answer other than success: HTTP status and CWC's message."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def bad(message: str) -> SimError:
    """A 400 with CWC's message."""
    return SimError(400, message)


def object_body(
    body: Any, fields: tuple[str, ...], current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A JSON object body with its property names in the contract's spelling; else a 400."""
    if not isinstance(body, dict):
        raise bad("The request body must be a JSON object.")
    return canonical(body, fields, current)


def check_strings(body: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    """Fields that are strings are strings (or null), within their maximum length."""
    for name in fields:
        if name in NOT_STRINGS or name not in body:
            continue
        value = body[name]
        if value is not None and not isinstance(value, str):
            raise bad(f"{name} must be a string.")
        limit = MAX_LENGTHS.get(name)
        if limit and isinstance(value, str) and len(value) > limit:
            raise bad(f"{name} may be at most {limit} characters long.")


def require(body: Mapping[str, Any], *names: str) -> None:
    """Each name is present and not blank."""
    for name in names:
        value = body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise bad(f"{name} is required.")


def check_type(body: Mapping[str, Any]) -> None:
    """Type, when sent, is A (active) or I (inactive)."""
    if "Type" in body and body["Type"] not in ACTIVITY_TYPES:
        raise bad("Type must be 'A' or 'I'.")


def check_owner_type(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    """OwnerType is present and one of the values this resource takes."""
    require(body, "OwnerType")
    if body["OwnerType"] not in allowed:
        raise bad(f"OwnerType must be one of {', '.join(allowed)}.")


def check_date(body: Mapping[str, Any]) -> None:
    """InActiveDate, when sent, is null or an ISO 8601 date (a date-time is taken too)."""
    value = body.get("InActiveDate")
    if value is None:
        return
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        if len(value) == 10:
            datetime.date.fromisoformat(value)
        else:
            datetime.datetime.fromisoformat(value)
    except ValueError:
        raise bad("InActiveDate must be a date, YYYY-MM-DD, or null.") from None


def check_user_flags(body: Mapping[str, Any], owner_type: Any) -> None:
    """Admin and IsSingleSignOnUser are booleans, and a contact is never an administrator."""
    for name in USER_BOOLEANS:
        if name in body and not isinstance(body[name], bool):
            raise bad(f"{name} must be true or false.")
    if owner_type == CONTACT and body.get("Admin") is True:
        raise bad("A contact cannot be an administrator.")


def strip_read_only(
    body: Mapping[str, Any], current: Mapping[str, Any], names: tuple[str, ...] = READ_ONLY
) -> dict[str, Any]:
    """The body without read-only fields; sending one with another value than it has is a 400."""
    for name in names:
        if name in body and _key(body[name]) != _key(current.get(name)):
            raise bad(f"{name} cannot be changed.")
    return {k: v for k, v in body.items() if k not in names}


def _key(value: Any) -> Any:
    return guid_key(value)
