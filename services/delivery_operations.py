"""What each queued operation asks of CaseWare Cloud, read from the records as they are now.

Values are read when the delivery is claimed, not when it was queued: a change delivered late
carries the latest data, and repeating one is harmless. Every call used here is idempotent
(adopt before create; a withdrawal that is already gone counts as done).
"""

from collections.abc import Callable
from dataclasses import dataclass

from adapters.caseware_cloud.errors import CwcRejected
from domain import links as L

LINK_CLIENT, UPDATE_CLIENT, UNLINK_CLIENT = "link_client", "update_client", "unlink_client"
LINK_CONTACT, UPDATE_CONTACT, UNLINK_CONTACT = "link_contact", "update_contact", "unlink_contact"
OPERATIONS = (
    LINK_CLIENT,
    UPDATE_CLIENT,
    UNLINK_CLIENT,
    LINK_CONTACT,
    UPDATE_CONTACT,
    UNLINK_CONTACT,
)


@dataclass(frozen=True)
class Work:
    """A call to make; returns the CaseWare Cloud id it established, if any: the record's own
    (`remote_id`), or for a client's data change its entity's Business address."""

    run: Callable[[object], str | None]
    learns: str = "remote_id"  # or "remote_address_id"
    # Whether it may create the record in CaseWare Cloud: cut short, such a call leaves the
    # record unknown until CWC_CREATE_SETTLE_SECONDS have passed (see adapters' lookup).
    may_create: bool = False


@dataclass(frozen=True)
class Nothing:
    """Nothing is left to send (the record is gone, or never reached CaseWare Cloud)."""

    reason: str
    may_create = False  # as Work's: nothing is sent, so nothing is created


def _refuse(message: str) -> Work:
    def run(_cwc):
        raise CwcRejected(message)

    return Work(run)


def _remote(uow, record_type: str, record_id: int) -> str | None:
    link = uow.links.for_record(record_type, record_id)
    return link.remote_id if link else None


def prepare(uow, delivery, payload: dict) -> Work | Nothing:
    """The work for one delivery, read inside the claiming transaction."""
    client_link = uow.links.for_record("client", payload["client_id"])
    entity = client_link.remote_id if client_link else None
    if delivery.record_type == "client":
        address = client_link.remote_address_id if client_link else None
        return _client_work(uow, delivery, payload, entity, address)
    return _contact_work(uow, delivery, payload, entity)


def _client_work(uow, delivery, payload, entity, address) -> Work | Nothing:
    if delivery.operation == UNLINK_CLIENT:
        if entity is None:
            return Nothing("the client never reached CaseWare Cloud")
        return Work(lambda cwc: cwc.unlink_client(entity))
    client = uow.clients.get(delivery.record_id)
    if client is None:
        return Nothing("the client was deleted")
    values = L.synced_values(client, L.CLIENT_SYNCED_FIELDS)
    if delivery.operation == LINK_CLIENT or entity is None:
        return Work(
            lambda cwc: cwc.ensure_entity(values, known_guid=entity), may_create=entity is None
        )
    changes = {name: values[name] for name in payload["fields"]}
    return Work(
        lambda cwc: cwc.update_entity(entity, changes, address_guid=address),
        learns="remote_address_id",
    )


def _contact_work(uow, delivery, payload, entity) -> Work | Nothing:
    user = payload.get("user") or _remote(uow, "contact", delivery.record_id)
    if delivery.operation == UNLINK_CONTACT:
        if entity is None or user is None:
            return Nothing("the contact never reached CaseWare Cloud")
        elsewhere = payload.get("elsewhere", False)
        return Work(lambda cwc: cwc.unlink_contact(entity, user, elsewhere))
    contact = uow.contacts.get(delivery.record_id)
    if contact is None:
        return Nothing("the contact was deleted")
    if entity is None:
        return _refuse(
            "The client is not in CaseWare Cloud yet (its own link failed); fix that first."
        )
    values = L.synced_values(contact, L.CONTACT_SYNCED_FIELDS)
    if delivery.operation == LINK_CONTACT or user is None:
        if not values["email"]:
            return _refuse("The contact has no e-mail address, so it cannot have a login.")
        return Work(
            lambda cwc: cwc.link_contact(entity, values, known_user_guid=user),
            may_create=user is None,
        )
    changes = {name: values[name] for name in payload["fields"]}
    return Work(lambda cwc: cwc.update_user(user, changes))
