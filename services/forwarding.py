"""What a change to a linked client or contact sets in motion, inside the change's transaction."""

from db.models import Client, Contact
from domain import eligibility
from domain import links as L
from domain.rights import Actor
from services.links import Upstream, client_off, contact_off, queue_change


def client_changed(uow, actor: Actor, upstream: Upstream, client: Client, changed: dict) -> None:
    """Forward a linked client's change, or switch it off when it became private or suspect."""
    link = uow.links.for_record("client", client.id, for_update=True)
    if link is None or not link.active:
        return
    reason = eligibility.auto_unlink_reason(client.kind, client.status)
    if reason:
        client_off(uow, actor, upstream, client, link, L.AUTO_UNLINK, reason)
        return
    fields = L.synced_changes(changed, L.CLIENT_SYNCED_FIELDS)
    if fields:
        # After a refusal CaseWare Cloud may lack earlier changes too: send everything then.
        sent = L.CLIENT_SYNCED_FIELDS if link.sync_state == L.FAILED else fields
        queue_change(uow, actor, upstream, "client", client, link, list(sent))


def contact_changed(uow, actor: Actor, upstream: Upstream, contact: Contact, changed: dict) -> None:
    """Forward a linked contact's change to its CaseWare Cloud user."""
    link = uow.links.for_record("contact", contact.id, for_update=True)
    fields = L.synced_changes(changed, L.CONTACT_SYNCED_FIELDS)
    if link is None or not link.active or not fields:
        return
    sent = L.CONTACT_SYNCED_FIELDS if link.sync_state == L.FAILED else fields
    queue_change(uow, actor, upstream, "contact", contact, link, list(sent))


def contact_deleted(uow, actor: Actor, upstream: Upstream, contact: Contact) -> None:
    """A linked contact that is deleted loses its access in CaseWare Cloud (AuditCase 9.3+)."""
    link = uow.links.for_record("contact", contact.id, for_update=True)
    if link is not None and link.active:
        contact_off(uow, actor, upstream, contact, link, L.AUTO_UNLINK, L.CONTACT_DELETED)


def client_deleted(uow, actor: Actor, upstream: Upstream, client: Client) -> None:
    """A linked client that is deleted goes off first: contacts withdrawn, entity inactive."""
    link = uow.links.for_record("client", client.id, for_update=True)
    if link is not None and link.active:
        client_off(uow, actor, upstream, client, link, L.AUTO_UNLINK, L.CLIENT_DELETED)
