"""The simulator's data: entities with addresses, users, roles and role assignments.

Not thread-safe by itself: the Simulator calls it under its lock. Records are keyed by their
CWGuid in lower case, so that a GUID in any letter case finds its object.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from .records import (
    ADDRESS_FIELDS,
    ASSIGNMENT_FIELDS,
    CONTACT,
    ENTITY_FIELDS,
    ENTITY_OWNER_TYPES,
    ROLE_FIELDS,
    USER_FIELDS,
    USER_OWNER_TYPES,
    USER_READ_ONLY,
    SimError,
    bad,
    check_date,
    check_owner_type,
    check_strings,
    check_type,
    check_user_flags,
    object_body,
    require,
    strip_read_only,
)
from .wire import ascii_lower, guid_key

__all__ = ["ADDRESS_FIELDS", "ENTITY_FIELDS", "USER_FIELDS", "SimError", "Store"]

SEEDED_ROLES = (
    "Firm Administrator",
    "Staff",
    "Contact - Entity Access",
    "Contact - Entity Collaborator",
)
COLLABORATOR_ROLE = "Contact - Entity Collaborator"
USER_DEFAULTS = {
    "Type": "A",
    "Admin": False,
    "IsSingleSignOnUser": False,
    "FirmWideRoleIds": [],
}


def _is_active(record: dict[str, Any]) -> bool:
    return record.get("Type") != "I" and not record.get("InActiveDate")


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
        self.logins: set[str] = set()  # users whose login was activated
        # Login (e-mail, A-Z lowered) -> the users holding it: the real service answers a
        # duplicate from an index, not by reading every user (a firm has tens of thousands).
        self._by_login: dict[str, set[str]] = {}
        self._ids = {kind: itertools.count(1) for kind in ("entity", "address", "user", "role")}
        for name in SEEDED_ROLES:
            self.add_role(name)

    def _new(self, kind: str, fields: tuple[str, ...], body: dict[str, Any]) -> dict[str, Any]:
        record = dict.fromkeys(fields)
        record.update(body)
        record["Id"] = next(self._ids[kind])
        record["CWGuid"] = str(uuid.uuid4())
        return record

    # Entities --------------------------------------------------------------------

    def create_entity(self, body: Any) -> dict[str, Any]:
        body = object_body(body, ENTITY_FIELDS)
        if body.get("Id") not in (None, 0):
            raise bad("Id must be 0 when creating an entity.")
        check_strings(body, ENTITY_FIELDS)
        require(body, "EntityNo", "Name")
        check_owner_type(body, ENTITY_OWNER_TYPES)
        check_type(body)
        # CWC itself does not stop two entities from sharing an EntityNo.
        entity = self._new("entity", ENTITY_FIELDS, {"Type": "A", **body})
        self.entities[entity["CWGuid"]] = entity
        return dict(entity)

    def entity(self, guid: str) -> dict[str, Any]:
        """The entity of a CWGuid in any letter case, or a 404."""
        found = self.entities.get(guid_key(guid))
        if found is None:
            raise SimError(404, f"No entity with CWGuid {guid}.")
        return found

    def patch_entity(self, guid: str, body: Any) -> dict[str, Any]:
        entity = self.entity(guid)
        body = object_body(body, ENTITY_FIELDS, entity)
        if "OwnerType" not in body or "Type" not in body:
            raise bad("An entity PATCH must include OwnerType and Type.")
        check_strings(body, ENTITY_FIELDS)
        check_owner_type(body, ENTITY_OWNER_TYPES)
        check_type(body)
        for name in ("EntityNo", "Name"):
            if name in body:
                require(body, name)
        entity.update(strip_read_only(body, entity))
        return dict(entity)

    # Addresses -------------------------------------------------------------------

    def create_address(self, entity_guid: str, body: Any) -> int:
        entity = self.entity(entity_guid)
        body = object_body(body, ADDRESS_FIELDS)
        check_strings(body, ADDRESS_FIELDS)
        require(body, "OwnerCWGuid", "OwnerId", "AddressCategory")
        if isinstance(body["OwnerId"], bool) or not isinstance(body["OwnerId"], int):
            raise bad("OwnerId must be the entity's integer Id.")
        owner = body["OwnerCWGuid"]
        if guid_key(owner) != entity["CWGuid"] or body["OwnerId"] != entity["Id"]:
            raise bad("OwnerCWGuid and OwnerId must name the entity of the path.")
        if body.get("Id") not in (None, 0):
            raise bad("Id must be 0 when creating an address.")
        body["OwnerCWGuid"] = entity["CWGuid"]
        address = self._new("address", ADDRESS_FIELDS, body)
        self.addresses[address["CWGuid"]] = address
        return address["Id"]

    def addresses_of(self, entity_guid: str) -> list[dict[str, Any]]:
        guid = self.entity(entity_guid)["CWGuid"]
        return [a for a in self.addresses.values() if a["OwnerCWGuid"] == guid]

    def patch_address(self, guid: str, body: Any) -> dict[str, Any]:
        address = self.addresses.get(guid_key(guid))
        if address is None:
            raise SimError(404, f"No address with CWGuid {guid}.")
        body = object_body(body, ADDRESS_FIELDS, address)
        check_strings(body, ADDRESS_FIELDS)
        for name in ("OwnerCWGuid", "OwnerId"):
            if name in body and guid_key(body[name]) != address[name]:
                raise bad(f"{name} cannot be changed.")
        address.update(strip_read_only(body, address, ("Id", "CWGuid", "OwnerCWGuid")))
        return dict(address)

    # Users -----------------------------------------------------------------------

    def _check_email(self, body: dict[str, Any], own_guid: str | None) -> None:
        if "Email" not in body and own_guid is not None:
            return
        require(body, "Email")
        email = body["Email"]
        if "@" not in email:
            raise bad("Email is not a valid e-mail address.")
        if any(guid != own_guid for guid in self._by_login.get(ascii_lower(email), ())):
            raise SimError(409, f"The e-mail address {email} is already in use.")

    def _check_user(self, body: dict[str, Any], owner_type: Any, own_guid: str | None) -> None:
        check_strings(body, USER_FIELDS)
        check_owner_type(body, USER_OWNER_TYPES)
        check_type(body)
        check_date(body)
        check_user_flags(body, owner_type)
        self._check_email(body, own_guid)

    def create_user(self, body: Any) -> dict[str, Any]:
        body = object_body(body, USER_FIELDS)
        if body.get("Id") not in (None, 0):
            raise bad("Id must be 0 when creating a user.")
        for name in ("CWGuid", "CanLogin", "FirmWideRoleIds"):
            if body.get(name) not in (None, [], False, ""):
                raise bad(f"{name} cannot be set.")
        self._check_user(body, body.get("OwnerType"), None)
        given = {k: v for k, v in body.items() if k not in USER_READ_ONLY}
        # CWC names the login after the e-mail address; UserName holds at most 50 characters.
        user_name = body.get("UserName") or body["Email"][:50]
        user = self._new("user", USER_FIELDS, {**USER_DEFAULTS, **given, "UserName": user_name})
        user["FirmWideRoleIds"] = []
        self.users[user["CWGuid"]] = user
        self._index_login(user)
        return self.user_view(user["CWGuid"])

    def user(self, guid: str) -> dict[str, Any]:
        """The stored user of a CWGuid in any letter case, or a 404."""
        found = self.users.get(guid_key(guid))
        if found is None:
            raise SimError(404, f"No user with CWGuid {guid}.")
        return found

    def user_view(self, guid: str) -> dict[str, Any]:
        """A user as CWC answers it: CanLogin is true once its login is active, while active."""
        user = self.user(guid)
        return {**user, "CanLogin": user["CWGuid"] in self.logins and _is_active(user)}

    def user_views(self) -> list[dict[str, Any]]:
        """Every user as CWC answers it."""
        return [self.user_view(guid) for guid in self.users]

    def patch_user(self, guid: str, body: Any) -> dict[str, Any]:
        user = self.user(guid)
        body = object_body(body, USER_FIELDS, user)
        if "OwnerType" not in body:
            raise bad("A user PATCH must include OwnerType.")
        self._check_user(body, body.get("OwnerType"), user["CWGuid"])
        if "UserName" in body:
            require(body, "UserName")
        changes = strip_read_only(body, self.user_view(guid), USER_READ_ONLY)
        self._unindex_login(user)
        user.update(changes)
        self._index_login(user)
        return self.user_view(guid)

    def delete_user(self, guid: str) -> None:
        key = self.user(guid)["CWGuid"]
        self._unindex_login(self.users[key])
        del self.users[key]
        self.logins.discard(key)
        self.assignments = {a for a in self.assignments if a[1] != key}

    def _index_login(self, user: dict[str, Any]) -> None:
        email = user.get("Email")
        if isinstance(email, str):
            self._by_login.setdefault(ascii_lower(email), set()).add(user["CWGuid"])

    def _unindex_login(self, user: dict[str, Any]) -> None:
        email = user.get("Email")
        if isinstance(email, str):
            self._by_login.get(ascii_lower(email), set()).discard(user["CWGuid"])

    # Roles -----------------------------------------------------------------------

    def add_role(self, name: str) -> dict[str, Any]:
        role = self._new("role", ROLE_FIELDS, {"Name": name})
        self.roles[role["CWGuid"]] = role
        return role

    def assign(self, entity_guid: str, body: Any) -> None:
        """Grant or withdraw roles of people on an entity (PATCH role-assignments)."""
        entity = self.entity(entity_guid)
        body = object_body(body, ASSIGNMENT_FIELDS)
        people, role_ids = body.get("people"), body.get("roleIds")
        remove = body.get("isRemove", False)
        for name, values in (("people", people), ("roleIds", role_ids)):
            if not isinstance(values, list) or not values:
                raise bad(f"{name} must be a non-empty list of CWGuids.")
            if not all(isinstance(v, str) for v in values):
                raise bad(f"{name} must hold CWGuids.")
        if not isinstance(remove, bool):
            raise bad("isRemove must be true or false.")
        users = [self.user(person)["CWGuid"] for person in people]
        roles = []
        for role in role_ids:
            if guid_key(role) not in self.roles:
                raise SimError(404, f"No role with CWGuid {role}.")
            roles.append(guid_key(role))
        for person in users:
            for role in roles:
                key = (entity["CWGuid"], person, role)
                if remove:
                    self.assignments.discard(key)
                    continue
                self.assignments.add(key)
                if self.roles[role]["Name"] == COLLABORATOR_ROLE:
                    self._activate_login(person)

    def people_of(self, entity_guid: str) -> list[dict[str, Any]]:
        """The people with roles on an entity, each with the CWGuids of those roles."""
        guid = self.entity(entity_guid)["CWGuid"]
        roles_of: dict[str, list[str]] = {}
        for entity, person, role in sorted(self.assignments):
            if entity == guid:
                roles_of.setdefault(person, []).append(role)
        return [
            {"Id": self.users[person]["Id"], "CWGuid": person, "RoleIds": roles}
            for person, roles in roles_of.items()
        ]

    def _activate_login(self, person: str) -> None:
        # The first collaborator grant activates the login and sends the invitation, once.
        if person not in self.invitations:
            self.invitations.append(person)
        self.logins.add(person)

    # Whole state -----------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """Everything, as plain JSON-ready data, entities with their addresses."""
        addresses_of: dict[Any, list[dict[str, Any]]] = {}
        for address in self.addresses.values():
            addresses_of.setdefault(address["OwnerCWGuid"], []).append(dict(address))
        entities = [
            {**entity, "addresses": addresses_of.get(entity["CWGuid"], [])}
            for entity in self.entities.values()
        ]
        assignments = [
            {"entity": e, "user": u, "role": r, "role_name": self.roles[r]["Name"]}
            for e, u, r in sorted(self.assignments)
        ]
        return {
            "entities": entities,
            "users": self.user_views(),
            "roles": [dict(r) for r in self.roles.values()],
            "role_assignments": assignments,
            "invitations": list(self.invitations),
        }

    def seed(self, data: Any) -> dict[str, list[str]]:
        """Insert records as they are, unvalidated, to set up a test; returns their CWGuids."""
        if not isinstance(data, dict):
            raise bad("The request body must be a JSON object.")
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
            made["users"].append(self._seed_user(raw))
        return made

    def _seed_user(self, raw: dict[str, Any]) -> str:
        fields = {k: v for k, v in raw.items() if k != "CanLogin"}
        email = fields.get("Email")
        defaults = {**USER_DEFAULTS, "FirmWideRoleIds": [], "OwnerType": CONTACT}
        if isinstance(email, str):
            defaults["UserName"] = email[:50]
        user = self._new("user", USER_FIELDS, {**defaults, **fields})
        self.users[user["CWGuid"]] = user
        self._index_login(user)
        if raw.get("CanLogin"):  # a seeded login that is already active
            self.logins.add(user["CWGuid"])
        return user["CWGuid"]
