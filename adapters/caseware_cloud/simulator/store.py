"""The simulator's data: entities with addresses, users, roles and role assignments.

Not thread-safe by itself: the Simulator calls it under its lock.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Mapping
from typing import Any

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
    "FirstName",
    "MiddleName",
    "LastName",
    "Initials",
    "Email",
    "Phone",
    "MobilePhone",
    "Type",
    "InActiveDate",
)
SEEDED_ROLES = (
    "Firm Administrator",
    "Staff",
    "Contact - Entity Access",
    "Contact - Entity Collaborator",
)
COLLABORATOR_ROLE = "Contact - Entity Collaborator"
ACTIVITY_TYPES = ("A", "I")
MAX_LENGTHS = {"FirstName": 30, "Email": 100}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_READ_ONLY = ("Id", "CWGuid")


class SimError(Exception):
    """An answer other than success: HTTP status and CWC's message."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def _bad(message: str) -> SimError:
    return SimError(400, message)


def _object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object.")
    return body


def _check_strings(body: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in _READ_ONLY or name == "OwnerId" or name not in body:
            continue
        value = body[name]
        if value is not None and not isinstance(value, str):
            raise _bad(f"{name} must be a string.")
        limit = MAX_LENGTHS.get(name)
        if limit and isinstance(value, str) and len(value) > limit:
            raise _bad(f"{name} may be at most {limit} characters long.")


def _require(body: Mapping[str, Any], *names: str) -> None:
    for name in names:
        value = body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise _bad(f"{name} is required.")


def _check_type(body: Mapping[str, Any]) -> None:
    if "Type" in body and body["Type"] not in ACTIVITY_TYPES:
        raise _bad("Type must be 'A' or 'I'.")


def _strip_read_only(body: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    for name in _READ_ONLY:
        if name in body and body[name] != current.get(name):
            raise _bad(f"{name} cannot be changed.")
    return {k: v for k, v in body.items() if k not in _READ_ONLY}


class Store:
    """Entities, addresses, users, roles and assignments, in memory."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything and seed the firm's roles again."""
        self.entities: dict[str, dict[str, Any]] = {}
        self.addresses: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, dict[str, Any]] = {}
        self.assignments: set[tuple[str, str, str]] = set()  # (entity, user, role)
        self.invitations: list[str] = []
        self._ids = {kind: itertools.count(1) for kind in ("entity", "address", "user", "role")}
        for name in SEEDED_ROLES:
            self.add_role(name)

    def _new(self, kind: str, fields: tuple[str, ...], body: Mapping[str, Any]) -> dict[str, Any]:
        record = dict.fromkeys(fields)
        record.update(body)
        record["Id"] = next(self._ids[kind])
        record["CWGuid"] = str(uuid.uuid4())
        return record

    # Entities --------------------------------------------------------------------

    def create_entity(self, body: Any) -> dict[str, Any]:
        body = _object_body(body)
        if body.get("Id") not in (None, 0):
            raise _bad("Id must be 0 when creating an entity.")
        _check_strings(body, ENTITY_FIELDS)
        _require(body, "EntityNo", "Name", "OwnerType")
        _check_type(body)
        # CWC itself does not stop two entities from sharing an EntityNo.
        entity = self._new("entity", ENTITY_FIELDS, {"Type": "A", **body})
        self.entities[entity["CWGuid"]] = entity
        return dict(entity)

    def entity(self, guid: str) -> dict[str, Any]:
        if guid not in self.entities:
            raise SimError(404, f"No entity with CWGuid {guid}.")
        return self.entities[guid]

    def patch_entity(self, guid: str, body: Any) -> dict[str, Any]:
        body = _object_body(body)
        entity = self.entity(guid)
        if "OwnerType" not in body or "Type" not in body:
            raise _bad("An entity PATCH must include OwnerType and Type.")
        _check_strings(body, ENTITY_FIELDS)
        _require(body, "OwnerType")
        _check_type(body)
        for name in ("EntityNo", "Name"):
            if name in body:
                _require(body, name)
        entity.update(_strip_read_only(body, entity))
        return dict(entity)

    # Addresses -------------------------------------------------------------------

    def create_address(self, entity_guid: str, body: Any) -> int:
        entity = self.entity(entity_guid)
        body = _object_body(body)
        _check_strings(body, ADDRESS_FIELDS)
        _require(body, "OwnerCWGuid", "OwnerId", "AddressCategory")
        if isinstance(body["OwnerId"], bool) or not isinstance(body["OwnerId"], int):
            raise _bad("OwnerId must be the entity's integer Id.")
        if body["OwnerCWGuid"] != entity_guid or body["OwnerId"] != entity["Id"]:
            raise _bad("OwnerCWGuid and OwnerId must name the entity of the path.")
        if body.get("Id") not in (None, 0):
            raise _bad("Id must be 0 when creating an address.")
        address = self._new("address", ADDRESS_FIELDS, body)
        self.addresses[address["CWGuid"]] = address
        return address["Id"]

    def addresses_of(self, entity_guid: str) -> list[dict[str, Any]]:
        self.entity(entity_guid)
        return [a for a in self.addresses.values() if a["OwnerCWGuid"] == entity_guid]

    def patch_address(self, guid: str, body: Any) -> dict[str, Any]:
        body = _object_body(body)
        if guid not in self.addresses:
            raise SimError(404, f"No address with CWGuid {guid}.")
        address = self.addresses[guid]
        _check_strings(body, ADDRESS_FIELDS)
        for name in ("OwnerCWGuid", "OwnerId"):
            if name in body and body[name] != address[name]:
                raise _bad(f"{name} cannot be changed.")
        address.update(_strip_read_only(body, address))
        return dict(address)

    # Users -----------------------------------------------------------------------

    def _check_email(self, body: Mapping[str, Any], own_guid: str | None) -> None:
        if "Email" not in body and own_guid is not None:
            return
        _require(body, "Email")
        email = body["Email"]
        if "@" not in email:
            raise _bad("Email is not a valid e-mail address.")
        for guid, user in self.users.items():
            if guid != own_guid and (user.get("Email") or "").casefold() == email.casefold():
                raise SimError(409, f"The e-mail address {email} is already in use.")

    def create_user(self, body: Any) -> dict[str, Any]:
        body = _object_body(body)
        if body.get("Id") not in (None, 0):
            raise _bad("Id must be 0 when creating a user.")
        _check_strings(body, USER_FIELDS)
        _require(body, "OwnerType")
        _check_type(body)
        self._check_email(body, None)
        user = self._new("user", USER_FIELDS, {"Type": "A", **body})
        self.users[user["CWGuid"]] = user
        return dict(user)

    def user(self, guid: str) -> dict[str, Any]:
        if guid not in self.users:
            raise SimError(404, f"No user with CWGuid {guid}.")
        return self.users[guid]

    def patch_user(self, guid: str, body: Any) -> dict[str, Any]:
        body = _object_body(body)
        user = self.user(guid)
        if "OwnerType" not in body:
            raise _bad("A user PATCH must include OwnerType.")
        _check_strings(body, USER_FIELDS)
        _require(body, "OwnerType")
        _check_type(body)
        date = body.get("InActiveDate")
        if date is not None and not (isinstance(date, str) and _DATE.fullmatch(date)):
            raise _bad("InActiveDate must be a date, YYYY-MM-DD, or null.")
        self._check_email(body, guid)
        user.update(_strip_read_only(body, user))
        return dict(user)

    def delete_user(self, guid: str) -> None:
        self.user(guid)
        del self.users[guid]
        self.assignments = {a for a in self.assignments if a[1] != guid}

    # Roles -----------------------------------------------------------------------

    def add_role(self, name: str) -> dict[str, Any]:
        role = self._new("role", ("Id", "CWGuid", "Name"), {"Name": name})
        self.roles[role["CWGuid"]] = role
        return role

    def assign(self, entity_guid: str, body: Any) -> None:
        """Grant or withdraw roles of people on an entity (PATCH role-assignments)."""
        body = _object_body(body)
        self.entity(entity_guid)
        people, role_ids = body.get("people"), body.get("roleIds")
        remove = body.get("isRemove", False)
        for name, values in (("people", people), ("roleIds", role_ids)):
            if not isinstance(values, list) or not values:
                raise _bad(f"{name} must be a non-empty list of CWGuids.")
            if not all(isinstance(v, str) for v in values):
                raise _bad(f"{name} must hold CWGuids.")
        if not isinstance(remove, bool):
            raise _bad("isRemove must be true or false.")
        for person in people:
            self.user(person)
        for role in role_ids:
            if role not in self.roles:
                raise SimError(404, f"No role with CWGuid {role}.")
        for person in people:
            for role in role_ids:
                key = (entity_guid, person, role)
                if remove:
                    self.assignments.discard(key)
                    continue
                self.assignments.add(key)
                invited = person in self.invitations
                if self.roles[role]["Name"] == COLLABORATOR_ROLE and not invited:
                    self.invitations.append(person)

    # Whole state -----------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """Everything, as plain JSON-ready data, entities with their addresses."""
        entities = []
        for entity in self.entities.values():
            addresses = [
                dict(a) for a in self.addresses.values() if a["OwnerCWGuid"] == entity["CWGuid"]
            ]
            entities.append({**entity, "addresses": addresses})
        assignments = [
            {"entity": e, "user": u, "role": r, "role_name": self.roles[r]["Name"]}
            for e, u, r in sorted(self.assignments)
        ]
        return {
            "entities": entities,
            "users": [dict(u) for u in self.users.values()],
            "roles": [dict(r) for r in self.roles.values()],
            "role_assignments": assignments,
            "invitations": list(self.invitations),
        }

    def seed(self, data: Any) -> dict[str, list[str]]:
        """Insert records as they are, unvalidated, to set up a test; returns their CWGuids."""
        data = _object_body(data)
        made: dict[str, list[str]] = {"entities": [], "users": [], "roles": []}
        for name in data.get("roles", []):
            made["roles"].append(self.add_role(name)["CWGuid"])
        for raw in data.get("entities", []):
            fields = {k: v for k, v in raw.items() if k != "addresses"}
            entity = self._new(
                "entity", ENTITY_FIELDS, {"OwnerType": "Client", "Type": "A", **fields}
            )
            self.entities[entity["CWGuid"]] = entity
            made["entities"].append(entity["CWGuid"])
            for address in raw.get("addresses", []):
                owner = {"OwnerCWGuid": entity["CWGuid"], "OwnerId": entity["Id"]}
                record = self._new("address", ADDRESS_FIELDS, {**address, **owner})
                self.addresses[record["CWGuid"]] = record
        for raw in data.get("users", []):
            user = self._new("user", USER_FIELDS, {"OwnerType": "Contact", "Type": "A", **raw})
            self.users[user["CWGuid"]] = user
            made["users"].append(user["CWGuid"])
        return made
