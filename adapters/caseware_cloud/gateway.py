"""CaseWare Cloud gateway: the CwcPort in AuditCase terms, over the low-level client."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any
from urllib.parse import quote

import requests

from domain.emails import login_key, same_login

from .client import CwcHttpClient, DeadlineProvider, RequestIdProvider
from .errors import (
    CwcAmbiguous,
    CwcEmailInUse,
    CwcError,
    CwcNotFound,
    CwcRejected,
    CwcUnavailable,
)
from .field_map import FieldMaps, load_field_maps
from .lookup import expect_created, expect_object, list_all, search
from .port import Record
from .reads import DriftReads
from .settings import CwcSettings

log = logging.getLogger(__name__)

_LOOK_UP = object()  # "the Business address is not known yet: fetch it"


def _seg(guid: str) -> str:
    return quote(str(guid), safe="")


def _differs(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in desired.items() if current.get(key) != value}


class CaseWareCloud(DriftReads):
    """Links AuditCase clients and contacts to CWC entities and users (implements CwcPort);
    the drift check's reads are in reads.py."""

    def __init__(
        self,
        http: CwcHttpClient,
        *,
        field_maps: FieldMaps | None = None,
        collaborator_role: str = "Contact - Entity Collaborator",
        page_size: int = 50,
        create_settle_seconds: float = 30.0,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.http = http
        self.maps = field_maps or load_field_maps()
        self._values = self.maps.values
        self._role_name = collaborator_role
        self._page_size = page_size
        self._create_settle = create_settle_seconds
        self._today = today
        self._role_id: str | None = None

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        *,
        session: requests.Session | None = None,
        request_id_provider: RequestIdProvider | None = None,
        deadline_provider: DeadlineProvider | None = None,
    ) -> CaseWareCloud:
        """Build the gateway from the CWC_ settings in a mapping (app config or environ)."""
        settings = CwcSettings.from_mapping(config)
        return cls(
            settings.http_client(
                session=session,
                request_id_provider=request_id_provider,
                deadline_provider=deadline_provider,
            ),
            field_maps=load_field_maps(settings.field_map),
            collaborator_role=settings.collaborator_role,
            page_size=settings.page_size,
            create_settle_seconds=settings.create_settle_seconds,
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self.http.close()

    def check(self) -> None:
        """Raise a CwcError unless CWC answers one authenticated call (for readiness)."""
        self.http.request("GET", "entities", params={"page": 1, "pageSize": 1}, max_attempts=1)

    # Entities ------------------------------------------------------------------------

    def find_entity(self, number: str) -> str | None:
        """The CWGuid of the entity with this client number; CwcAmbiguous if several."""
        entity = self._find_entity_record(number)
        return entity["CWGuid"] if entity else None

    def create_entity(self, client: Record) -> str:
        """Create the entity and its Business address; never twice after a lost answer."""
        entity, adopted = self._create_entity_record(client)
        self._put_address(entity, client, current=_LOOK_UP if adopted else None)
        return entity["CWGuid"]

    def update_entity(
        self, guid: str, changes: Record, address_guid: str | None = None
    ) -> str | None:
        """Send only the changed fields to the entity and/or its Business address.

        With the address's CWGuid known, an address change is one PATCH; without it, or when
        that address is gone, the entity's addresses are read first. Returns the address's
        CWGuid when the change touched it and it is known, for the caller to remember."""
        body = self.maps.to_cwc("entity", changes)
        if body:
            # Type must be sent; a linked client's entity is active (the coupling is one-way).
            self._patch_entity(guid, body, self._values["active_type"])
        if not self.maps.touches("address", changes):
            return None
        if address_guid:
            try:
                self._patch_address(address_guid, self.maps.to_cwc("address", changes))
                return address_guid
            except CwcNotFound:
                log.info("address %s of entity %s is gone; looking it up", address_guid, guid)
        return self._put_address({"CWGuid": guid}, changes, current=_LOOK_UP)

    def set_entity_inactive(self, guid: str) -> None:
        """Set the entity inactive (it keeps its files); one shown gone counts as done."""
        try:
            self._patch_entity(guid, {}, self._values["inactive_type"])
        except CwcNotFound as error:
            self._done_if_gone(error, entities=guid)
            log.info("CaseWare Cloud entity %s is gone; nothing to set inactive", guid)

    def reactivate_entity(self, guid: str) -> None:
        """Set the entity active again."""
        self._patch_entity(guid, {}, self._values["active_type"])

    def ensure_entity(self, client: Record, known_guid: str | None = None) -> str:
        """The client's entity, found, adopted or created, active and holding our data.

        When CWC refuses part of it, an entity this call created or reactivated is set
        inactive again: a refused link leaves nothing open in CWC."""
        entity = self._entity_or_none(known_guid) if known_guid else None
        if entity is None:
            entity = self._find_entity_record(client["number"])
        undo = None if entity and self._is_active(entity) else self.set_entity_inactive
        if entity is None:
            entity, adopted = self._create_entity_record(client)
            if not adopted:
                with _undone_on_refusal(undo, entity["CWGuid"]):
                    self._put_address(entity, client, current=None)
                return entity["CWGuid"]
        log.info("CaseWare Cloud entity %s used for client %s", entity["CWGuid"], client["number"])
        desired = {**self.maps.to_cwc("entity", client), **self._entity_fixed(None)}
        with _undone_on_refusal(undo, entity["CWGuid"]):
            if _differs(entity, desired):
                self._patch_entity(entity["CWGuid"], desired, self._values["active_type"])
            self._put_address(entity, client, current=_LOOK_UP)
        return entity["CWGuid"]

    def unlink_client(self, entity_guid: str) -> None:
        """Set the entity inactive; the caller unlinks the client's contacts first."""
        self.set_entity_inactive(entity_guid)

    def _entity_fixed(self, entity_type: str | None) -> dict[str, Any]:
        # An entity PATCH must always carry OwnerType and Type.
        return {
            "OwnerType": self._values["entity_owner_type"],
            "Type": entity_type or self._values["active_type"],
        }

    def _patch_entity(self, guid: str, body: Record, entity_type: str) -> None:
        payload = {**body, **self._entity_fixed(entity_type)}
        self.http.request("PATCH", f"entities/{_seg(guid)}", json=payload)

    def _entity_or_none(self, guid: str) -> dict[str, Any] | None:
        try:
            path = f"entities/{_seg(guid)}"
            return expect_object(self.http.request("GET", path), "entity", path)
        except CwcNotFound:
            log.info("CaseWare Cloud entity %s is gone; looking up by client number", guid)
            return None

    def _find_entity_record(self, number: str) -> dict[str, Any] | None:
        key = self.maps.key_property("entity")
        matches = []
        for entity in search(self.http, "entities", key, number, self._page_size):
            if entity.get(key) == number:
                matches.append(entity)
            if len(matches) > 1:
                raise CwcAmbiguous(
                    f"more than one CaseWare Cloud entity carries client number {number}",
                    method="GET",
                    path="entities",
                )
        return matches[0] if matches else None

    def _create_entity_record(self, client: Record) -> tuple[dict[str, Any], bool]:
        body = {"Id": 0, **self.maps.to_cwc("entity", client), **self._entity_fixed(None)}
        try:
            answer = self.http.request("POST", "entities", json=body, create=True)
            return expect_created(answer, "entities"), False
        except CwcUnavailable as error:
            if not error.maybe_performed:
                raise
            log.warning(
                "entity create for client %s may have happened; looking it up", client["number"]
            )
            return self._settled(error, lambda: self._find_entity_record(client["number"])), True

    # The entity's Business address ---------------------------------------------------

    def _business_address(self, entity_guid: str) -> dict[str, Any] | None:
        category = self._values["address_category"]
        for address in list_all(
            self.http, f"entities/{_seg(entity_guid)}/addresses", self._page_size
        ):
            if address.get("AddressCategory") == category:
                return address
        return None

    def _put_address(self, entity: Record, client: Record, *, current: Any) -> str | None:
        """Patch the entity's Business address to hold these fields, or create it; returns
        the address's CWGuid when known (an address POST answers only an integer Id)."""
        guid = entity["CWGuid"]
        if current is _LOOK_UP:
            current = self._business_address(guid)
        body = self.maps.to_cwc("address", client)
        if current is not None:
            changed = _differs(current, body)
            if changed:
                self._patch_address(current["CWGuid"], changed)
            return current["CWGuid"]
        if entity.get("Id") is None:  # an address POST needs the owner's integer Id
            path = f"entities/{_seg(guid)}"
            entity = expect_object(self.http.request("GET", path), "entity", path)
        payload = {
            "Address2": "",
            **body,
            "AddressCategory": self._values["address_category"],
            "OwnerCWGuid": guid,
            "OwnerId": entity["Id"],
        }
        path = f"entities/{_seg(guid)}/addresses"
        try:
            self.http.request("POST", path, json=payload, create=True)
        except CwcUnavailable as error:
            if not error.maybe_performed:
                raise
            self._settled(error, lambda: self._business_address(guid))
            log.warning("address create for entity %s had happened; not repeating it", guid)
        return None

    def _patch_address(self, address_guid: str, body: Record) -> None:
        # Address PATCH bodies may be partial, and their path has no entity segment.
        self.http.request("PATCH", f"entities/addresses/{_seg(address_guid)}", json=body)

    # Users ---------------------------------------------------------------------------

    def find_user(self, email: str) -> str | None:
        """The CWGuid of the user whose login is this e-mail address (A-Z in any case)."""
        user = self._find_user_record(email)
        return user["CWGuid"] if user else None

    def create_user(self, contact: Record) -> str:
        """Create the contact's user; never twice after a lost answer."""
        return self._create_user_record(contact)[0]["CWGuid"]

    def update_user(self, guid: str, changes: Record) -> None:
        """Send only the changed fields to the user."""
        body = self.maps.to_cwc("user", changes)
        if body:
            self._patch_user(guid, body)

    def deactivate_user(self, guid: str) -> None:
        """Set the user inactive; one shown gone counts as done."""
        body = {"Type": self._values["inactive_type"], "InActiveDate": self._today().isoformat()}
        try:
            self._patch_user(guid, body)
        except CwcNotFound as error:
            self._done_if_gone(error, users=guid)
            log.info("CaseWare Cloud user %s is gone; nothing to deactivate", guid)

    def reactivate_user(self, guid: str) -> None:
        """Set the user active again."""
        self._patch_user(guid, self._user_active())

    def ensure_user(self, contact: Record, known_guid: str | None = None) -> str:
        """The contact's user, found, adopted by e-mail or created, active and holding our data."""
        guid, _was_active = self._ensure_user(contact, known_guid)
        return guid

    def _ensure_user(self, contact: Record, known_guid: str | None) -> tuple[str, bool]:
        """ensure_user, also telling whether the user was active before this call."""
        email = _required_email(contact)
        user = self._user_or_none(known_guid) if known_guid else None
        if user is None:
            user = self._find_user_record(email)
        was_active = user is not None and self._is_active(user)
        if user is None:
            try:
                user, adopted = self._create_user_record(contact)
            except CwcEmailInUse as taken:
                # The exact searches missed a login that differs only in the case of A-Z:
                # scan for it. Any other holder of the address is someone else's login.
                user = self._find_user_record(email, scan=True)
                if user is None:
                    raise _someone_elses(taken) from None
                was_active = self._is_active(user)
            else:
                if not adopted:
                    return user["CWGuid"], False
        self._refuse_staff(user)
        desired = {**self.maps.to_cwc("user", contact), **self._user_active()}
        changed = _differs(user, desired)
        if changed:
            self._patch_user(user["CWGuid"], desired)
        return user["CWGuid"], was_active

    def _is_active(self, record: Mapping[str, Any]) -> bool:
        """An entity or user that is active in CWC (Type "A", no InActiveDate)."""
        return record.get("Type") == self._values["active_type"] and not record.get("InActiveDate")

    def _user_active(self) -> dict[str, Any]:
        return {"Type": self._values["active_type"], "InActiveDate": None}

    def _patch_user(self, guid: str, body: Record) -> None:
        payload = {**body, "OwnerType": self._values["contact_owner_type"]}
        self.http.request("PATCH", f"users/{_seg(guid)}", json=payload)

    def _user_or_none(self, guid: str) -> dict[str, Any] | None:
        try:
            path = f"users/{_seg(guid)}"
            return expect_object(self.http.request("GET", path), "user", path)
        except CwcNotFound:
            log.info("CaseWare Cloud user %s is gone; looking up by e-mail", guid)
            return None

    def _refuse_staff(self, user: Record) -> None:
        # Adopting a staff login as a contact would turn an employee into a client contact.
        owner_type = user.get("OwnerType")
        if owner_type not in (None, self._values["contact_owner_type"]):
            raise CwcEmailInUse(
                "the e-mail address is the login of a CaseWare Cloud user who is not a contact",
                method="GET",
                path="users",
            )

    def _find_user_record(self, email: str, *, scan: bool = False) -> dict[str, Any] | None:
        # CWC matches strings exactly: try the address as given and with A-Z lowered; a full
        # scan is kept for when CWC has said the address is in use (409). A user counts only
        # when its e-mail is the same login (domain.emails), never by looser folding.
        key = self.maps.key_property("user")
        for value in dict.fromkeys((email, login_key(email))):
            for user in search(self.http, "users", key, value, self._page_size):
                if same_login(user.get(key), email):
                    return user
        if scan:
            for user in list_all(self.http, "users", self._page_size):
                if same_login(user.get(key), email):
                    return user
        return None

    def _create_user_record(self, contact: Record) -> tuple[dict[str, Any], bool]:
        email = _required_email(contact)
        body = {
            **self.maps.to_cwc("user", contact),
            "OwnerType": self._values["contact_owner_type"],
        }
        try:
            answer = self.http.request("POST", "users", json=body, create=True)
            return expect_created(answer, "users"), False
        except CwcUnavailable as error:
            if not error.maybe_performed:
                raise
            log.warning("user create may have happened; looking it up")
            return self._settled(error, lambda: self._find_user_record(email)), True

    # Access --------------------------------------------------------------------------

    def collaborator_role_id(self) -> str:
        """The CWGuid of the role that gives a contact access to an entity (cached).

        No lock is held while CWC is asked: a slow answer must not hold other threads past
        their deadline; two threads that ask at once both get the same answer."""
        role_id = self._role_id
        if role_id is None:
            for role in list_all(self.http, "roles", self._page_size):
                if role.get("Name") == self._role_name:
                    role_id = self._role_id = role["CWGuid"]
                    break
            else:
                raise CwcRejected(
                    f"CaseWare Cloud has no role named {self._role_name!r}",
                    method="GET",
                    path="roles",
                )
        return role_id

    def grant_access(self, entity_guid: str, user_guid: str) -> None:
        """Give the user the collaborator role on the entity."""
        self._assign(entity_guid, user_guid, remove=False)

    def withdraw_access(self, entity_guid: str, user_guid: str) -> None:
        """Take the collaborator role away; done too when the entity or the user is shown gone."""
        try:
            self._assign(entity_guid, user_guid, remove=True)
        except CwcNotFound as error:
            self._done_if_gone(error, users=user_guid, entities=entity_guid)
            log.info("access of %s to %s already gone", user_guid, entity_guid)

    def _settled(self, error: CwcUnavailable, look_up: Callable[[], Any]) -> Any:
        """After a create whose answer was lost: what `look_up` finds of it, or passing trouble
        that asks to be tried again only after create_settle_seconds.

        A create still on its way (queued in CWC, or behind a slow connection) may land after
        the look-up: creating again at once would make two entities for one client."""
        try:
            found = look_up()
        except CwcUnavailable:
            found = None
        if found is None:
            raise _not_settled(error, self._create_settle) from error
        return found

    def _done_if_gone(self, not_found: CwcNotFound, **objects: str) -> None:
        """Return when a GET shows one of the objects (resource=CWGuid) gone; else a refusal.

        A 404 from a withdrawal or deactivation means "already done" only when the object
        itself is missing: a 404 while it exists is the call being wrong (a missing route),
        and counting that as done would leave a contact's access in place."""
        for resource, guid in objects.items():
            try:
                self.http.request("GET", f"{resource}/{_seg(guid)}")
            except CwcNotFound:
                return
        raise CwcRejected(
            f"{not_found.method} {not_found.path} answered 404 although the objects exist",
            method=not_found.method,
            path=not_found.path,
            status=404,
            cwc_message=not_found.cwc_message,
            request_id=not_found.request_id,
        )

    def link_contact(
        self, entity_guid: str, contact: Record, known_user_guid: str | None = None
    ) -> str:
        """Ensure the contact's user and give it access to the entity; returns the user.

        When CWC refuses the access, a user this call created or reactivated is deactivated
        again: a refused link leaves no open login behind."""
        user_guid, was_active = self._ensure_user(contact, known_user_guid)
        with _undone_on_refusal(None if was_active else self.deactivate_user, user_guid):
            self.grant_access(entity_guid, user_guid)
        return user_guid

    def unlink_contact(
        self, entity_guid: str, user_guid: str, still_linked_elsewhere: bool
    ) -> None:
        """Withdraw access; deactivate the user unless it still reaches another entity."""
        self.withdraw_access(entity_guid, user_guid)
        if not still_linked_elsewhere:
            self.deactivate_user(user_guid)

    def _assign(self, entity_guid: str, user_guid: str, *, remove: bool) -> None:
        body = {"people": [user_guid], "roleIds": [self.collaborator_role_id()], "isRemove": remove}
        self.http.request("PATCH", f"entities/{_seg(entity_guid)}/role-assignments", json=body)


@contextmanager
def _undone_on_refusal(undo: Callable[[str], None] | None, guid: str) -> Iterator[None]:
    """On a refusal, run `undo(guid)` and raise the refusal; passing trouble is left to retry."""
    try:
        yield
    except CwcRejected:
        if undo is not None:
            try:
                undo(guid)
            except CwcError as error:
                log.warning("could not undo %s after a refusal: %s", guid, error)
        raise


def _not_settled(error: CwcUnavailable, settle_seconds: float) -> CwcUnavailable:
    return type(error)(  # CwcOutOfTime stays CwcOutOfTime
        f"{error.summary}; the create may still land in CaseWare Cloud: "
        f"looked up again in {settle_seconds:g} s before creating anew",
        method=error.method,
        path=error.path,
        status=error.status,
        retry_after=settle_seconds,
        maybe_performed=True,
    )


def _someone_elses(taken: CwcEmailInUse) -> CwcEmailInUse:
    return CwcEmailInUse(
        "CaseWare Cloud calls the e-mail address taken, by a login that is not this contact's "
        "(its address differs in more than the case of A-Z); that login is left alone",
        method=taken.method,
        path=taken.path,
        status=taken.status,
        cwc_message=taken.cwc_message,
        request_id=taken.request_id,
    )


def _required_email(contact: Record) -> str:
    email = contact.get("email")
    if not isinstance(email, str) or not email.strip():
        raise ValueError("a contact without an e-mail address gets no CaseWare Cloud login")
    return email.strip()
