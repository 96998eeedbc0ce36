"""Create, read, change and delete a client's contact persons (contactpersonen)."""

from db.models import Contact
from domain import rights as r
from domain.errors import NotFound
from domain.rights import Actor
from domain.versions import etag_for, require_match
from services import forwarding
from services.links import Upstream


def contact_etag(contact: Contact) -> str:
    return etag_for("contact", contact.id, contact.version)


def _load(uow, contact_id: int, *, for_update: bool = False) -> Contact:
    contact = (
        uow.contacts.lock_with_client(contact_id) if for_update else uow.contacts.get(contact_id)
    )
    if contact is None:
        raise NotFound(f"No contact with id {contact_id}.")
    return contact


def _require_client(uow, client_id: int, *, for_update: bool = False):
    client = uow.clients.get(client_id, for_update=for_update)
    if client is None:
        raise NotFound(f"No client with id {client_id}.")
    return client


def list_contacts(
    uow, actor: Actor, client_id: int, page: int, page_size: int, linked: bool | None = None
):
    """One page of the client's contacts (linked or not, when asked), and the total."""
    r.require(actor, r.CLIENTS_READ)
    with uow:
        _require_client(uow, client_id)
        return uow.contacts.list_for_client(client_id, page, page_size, linked=linked)


def get_contact(uow, actor: Actor, contact_id: int) -> Contact:
    r.require(actor, r.CLIENTS_READ)
    with uow:
        return _load(uow, contact_id)


def create_contact(uow, actor: Actor, client_id: int, data: dict) -> Contact:
    r.require(actor, r.CLIENTS_WRITE)
    with uow:
        _require_client(uow, client_id)
        contact = Contact(client_id=client_id, **data)
        uow.contacts.add(contact)
        uow.commit()
    return contact


def update_contact(
    uow, actor: Actor, upstream: Upstream, contact_id: int, changes: dict, if_match=None
) -> Contact:
    """Change a contact; a linked one's synced fields go to CaseWare Cloud in the same request."""
    r.require(actor, r.CLIENTS_WRITE)
    with uow:
        contact = _load(uow, contact_id, for_update=True)
        require_match(contact_etag(contact), if_match)
        changed = contact.apply(changes)
        if changed:
            forwarding.contact_changed(uow, actor, upstream, contact, changed)
            uow.commit()
    upstream.deliver(uow)
    return contact


def delete_contact(uow, actor: Actor, upstream: Upstream, contact_id: int, if_match=None) -> None:
    """Delete a contact; a linked one loses its CaseWare Cloud access first (AuditCase 9.3+)."""
    r.require(actor, r.CLIENTS_WRITE)
    with uow:
        contact = _load(uow, contact_id, for_update=True)
        require_match(contact_etag(contact), if_match)
        forwarding.contact_deleted(uow, actor, upstream, contact)
        uow.contacts.delete(contact)
        uow.commit()
    upstream.deliver(uow)
