"""Reading back what CaseWare Cloud holds of a linked client or contact: the drift check.

The gateway's values are mapped with FieldMaps.to_cwc, the function that builds every
forwarded payload, so a firm's CWC_FIELD_MAP correction applies to the check as it does to
forwarding; a difference is named by the gateway's own field. Every answer is checked
(answers.py) before a value of it is compared, and every call is bounded like any other.

Reading a contact's access rests on an assumption of this project, like A-8 for granting it:
`GET /entities/{CWGuid}/role-assignments` answers the people with roles on the entity, paged,
as `[{"CWGuid": "<user>", "RoleIds": ["<role>", ...]}]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from domain.emails import same_login

from .answers import check_guids, check_texts
from .errors import CwcNotFound
from .field_map import FieldMaps
from .lookup import expect_object, list_all
from .port import Comparison, Difference, Record

ENTITY_GONE = "The client's entity is gone from CaseWare Cloud."
ENTITY_INACTIVE = "The client's entity is inactive in CaseWare Cloud."
USER_GONE = "The contact's user is gone from CaseWare Cloud."
USER_INACTIVE = "The contact's user is inactive in CaseWare Cloud."
ACCESS_GONE = "The contact's access to its client's entity is gone in CaseWare Cloud."
ROLE_IDS = "RoleIds"
LOGIN = ("user", "email")  # compared as CWC compares logins: A-Z in any case


def _seg(guid: str) -> str:
    return quote(str(guid), safe="")


class DriftReads:
    """The CwcPort's compare_client and compare_contact, mixed into CaseWareCloud: they use
    its http, maps and page size, and its _is_active, _business_address,
    collaborator_role_id and _done_if_gone."""

    http: Any
    maps: FieldMaps
    _page_size: int

    def compare_client(self, entity_guid: str, client: Record) -> Comparison:
        """The client's entity and its Business address against the client's synced fields."""
        entity = self._read_object("entities", entity_guid, "entity")
        if entity is None:
            return Comparison(missing=ENTITY_GONE)
        found = self._differences("entity", client, entity, f"entities/{_seg(entity_guid)}")
        if not self._is_active(entity):
            return Comparison(missing=ENTITY_INACTIVE, differences=found)
        address = self._business_address(entity_guid) or {}
        path = f"entities/{_seg(entity_guid)}/addresses"
        found += self._differences("address", client, address, path)
        return Comparison(differences=_first_per_field(found))

    def compare_contact(self, entity_guid: str, user_guid: str, contact: Record) -> Comparison:
        """The contact's user and its access to the client's entity, against the contact."""
        user = self._read_object("users", user_guid, "user")
        if user is None:
            return Comparison(missing=USER_GONE)
        found = tuple(self._differences("user", contact, user, f"users/{_seg(user_guid)}"))
        if not self._is_active(user):
            return Comparison(missing=USER_INACTIVE, differences=found)
        if not self.has_access(entity_guid, user_guid):
            return Comparison(missing=ACCESS_GONE, differences=found)
        return Comparison(differences=found)

    def has_access(self, entity_guid: str, user_guid: str) -> bool:
        """Whether the user holds the collaborator role on the entity; False when the entity
        is shown gone (a 404 while it exists is the call being wrong: a refusal)."""
        role = self.collaborator_role_id().lower()
        path = f"entities/{_seg(entity_guid)}/role-assignments"
        try:
            for person in list_all(self.http, path, self._page_size):
                roles = check_guids(person.get(ROLE_IDS), "role ids", method="GET", path=path)
                if person["CWGuid"].lower() == user_guid.lower():
                    return role in {r.lower() for r in roles}
        except CwcNotFound as error:
            self._done_if_gone(error, entities=entity_guid)
        return False

    def _read_object(self, resource: str, guid: str, what: str) -> dict[str, Any] | None:
        """GET one entity or user, checked; None when CWC says it is gone."""
        path = f"{resource}/{_seg(guid)}"
        try:
            return expect_object(self.http.request("GET", path), what, path)
        except CwcNotFound:
            return None

    def _differences(
        self, resource: str, record: Record, remote: Mapping[str, Any], path: str
    ) -> list[Difference]:
        """The record's fields whose mapped properties differ in `remote`, in field order."""
        found = []
        for field, value in record.items():
            body = self.maps.to_cwc(resource, {field: value})
            check_texts(remote, body, resource, method="GET", path=path)
            for name, wanted in body.items():
                if not _same(wanted, remote.get(name), login=(resource, field) == LOGIN):
                    found.append(Difference(field, value, remote.get(name)))
                    break
        return found


def _same(ours: Any, theirs: Any, *, login: bool) -> bool:
    """Equal, with empty and absent alike; a user's e-mail as a login (A-Z in any case)."""
    if not ours and not theirs:
        return True
    if login and isinstance(ours, str) and isinstance(theirs, str):
        return same_login(ours, theirs)
    return ours == theirs


def _first_per_field(found: list[Difference]) -> tuple[Difference, ...]:
    """One difference per field: a client's name fills the entity and its address."""
    seen: dict[str, Difference] = {}
    for difference in found:
        seen.setdefault(difference.field, difference)
    return tuple(seen.values())
