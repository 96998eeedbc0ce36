"""The CaseWare Cloud port: what services may ask of CWC, in AuditCase terms.

Records are plain dicts with AuditCase field names (client: number, name, address, postcode,
city, country, phone, email, website, facebook, twitter, linkedin; contact: first_name,
infix, last_name, initials, email, phone, mobile); other keys are ignored. CWC objects are
named by their CWGuid, as a string. Failures raise the errors in errors.py: CwcUnavailable
(try again later), CwcRejected and its kinds (fix the data or the set-up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

Record = Mapping[str, Any]


class CwcPort(Protocol):
    """Operations on CaseWare Cloud; the ensure/link/unlink ones are safe to repeat."""

    # Entities (AuditCase clients)
    def find_entity(self, number: str) -> str | None: ...
    def create_entity(self, client: Record) -> str: ...
    def update_entity(
        self, guid: str, changes: Record, address_guid: str | None = None
    ) -> str | None: ...
    def set_entity_inactive(self, guid: str) -> None: ...
    def reactivate_entity(self, guid: str) -> None: ...

    # Users (AuditCase contact persons)
    def find_user(self, email: str) -> str | None: ...
    def create_user(self, contact: Record) -> str: ...
    def update_user(self, guid: str, changes: Record) -> None: ...
    def deactivate_user(self, guid: str) -> None: ...
    def reactivate_user(self, guid: str) -> None: ...

    # Access of a contact to a client's entity
    def collaborator_role_id(self) -> str: ...
    def grant_access(self, entity_guid: str, user_guid: str) -> None: ...
    def withdraw_access(self, entity_guid: str, user_guid: str) -> None: ...

    # Idempotent use cases, safe to repeat after a crash
    def ensure_entity(self, client: Record, known_guid: str | None = None) -> str: ...
    def ensure_user(self, contact: Record, known_guid: str | None = None) -> str: ...
    def link_contact(
        self, entity_guid: str, contact: Record, known_user_guid: str | None = None
    ) -> str: ...
    def unlink_contact(
        self, entity_guid: str, user_guid: str, still_linked_elsewhere: bool
    ) -> None: ...
    def unlink_client(self, entity_guid: str) -> None: ...

    # Reading back, for the drift check (reads.py)
    def compare_client(self, entity_guid: str, client: Record) -> Comparison: ...
    def compare_contact(self, entity_guid: str, user_guid: str, contact: Record) -> Comparison: ...

    # Operations
    def check(self) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Difference:
    """One synced field whose value in CaseWare Cloud is not the gateway's."""

    field: str  # the gateway's own name (name, city, email, ...)
    gateway: Any
    caseware_cloud: Any


@dataclass(frozen=True)
class Comparison:
    """What CaseWare Cloud holds of a linked record, against the gateway's data.

    `missing` says why the record counts as missing there (gone, inactive, access gone);
    `differences` lists the fields that differ, at most one per field."""

    missing: str | None = None
    differences: tuple[Difference, ...] = ()

    @property
    def in_sync(self) -> bool:
        return self.missing is None and not self.differences
