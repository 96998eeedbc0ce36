"""Switch clients and contacts to CaseWare Cloud, and read their link state and history."""

from dataclasses import dataclass

from db.models import Client, Contact, Link, utcnow
from domain import eligibility
from domain import links as L
from domain import rights as r
from domain.errors import NotEligible, NotFound, UpstreamRejected
from domain.rights import Actor
from domain.versions import etag_for, require_match
from services import delivery_operations as ops
from services import unlink_guard
from services.delivery import Courier
from services.outbox import enqueue, order_key


@dataclass(frozen=True)
class Upstream:
    """What a use case needs to reach CaseWare Cloud: the courier, and the request to trace."""

    courier: Courier
    request_id: str | None = None

    def queue(self, uow, **change):
        """Write a change to the outbox; the first of a request is leased to it as it is written
        when nothing older of its client waits, so that the request can deliver it at once."""
        first = not uow.enqueued
        lease = self.courier.lease_for_new(uow, order_key(change["client_id"])) if first else None
        delivery = enqueue(
            uow, guard=self.courier.guard, request_id=self.request_id, lease=lease, **change
        )
        if delivery.lease_owner:  # not when the unlink guard held it
            uow.claimed = self.courier.claim_new(uow, delivery)
        return delivery

    def deliver(self, uow) -> None:
        """After commit: deliver what the unit of work queued, now and in order."""
        if uow.enqueued:
            last = uow.enqueued[-1]
            self.courier.deliver_through(last.order_key, last.id, self.request_id, uow.claimed)


# ----- reading --------------------------------------------------------------------------------


def link_etag(record_type: str, record_id: int, link: Link | None) -> str:
    return etag_for(f"{record_type}-link", record_id, link.version if link and link.id else 0)


def _view(link: Link | None, reasons: list[str]) -> dict:
    return {
        "caseware_cloud": {
            "active": bool(link and link.active),
            "eligible": not reasons,
            "ineligible_reasons": reasons,
            "sync": {
                "state": link.sync_state if link else L.OFF,
                "remote_id": link.remote_id if link else None,
                "last_synced_at": link.last_synced_at if link else None,
                "last_error": link.last_error if link else None,
            },
            "changed_at": link.changed_at if link else None,
            "changed_by": link.changed_by if link else None,
        }
    }


def _client_reasons(client: Client) -> list[str]:
    return eligibility.client_ineligible_reasons(client.kind, client.status)


def _contact_reasons(uow, contact: Contact) -> list[str]:
    client_link = uow.links.for_record("client", contact.client_id)
    return eligibility.contact_ineligible_reasons(
        client_linked=bool(client_link and client_link.active),
        email=contact.email,
        email_used_by_other_linked_contact=bool(contact.email)
        and uow.links.email_linked_elsewhere(contact.email, contact.id),
    )


def _load(uow, record_type: str, record_id: int, *, for_update: bool = False):
    if record_type == "contact" and for_update:
        record = uow.contacts.lock_with_client(record_id)
    else:
        repository = uow.clients if record_type == "client" else uow.contacts
        record = repository.get(record_id, for_update=for_update)
    if record is None:
        raise NotFound(f"No {record_type} with id {record_id}.")
    return record


def get_link(reader, actor: Actor, record_type: str, record_id: int) -> tuple[dict, str]:
    """The link of a client or contact, with eligibility, and its ETag (one statement)."""
    r.require(actor, r.LINKS_READ)
    return _link_view(reader, record_type, record_id)


def _link_view(reader, record_type: str, record_id: int) -> tuple[dict, str]:
    with reader:
        if record_type == "client":
            row = reader.links.client_view(record_id)
        else:
            row = reader.links.contact_view(record_id)
    if row is None:
        raise NotFound(f"No {record_type} with id {record_id}.")
    return view_of_row(record_type, record_id, row)


def view_of_row(record_type: str, record_id: int, row) -> tuple[dict, str]:
    """The link view and its ETag from a row of db.link_views' statement for `record_type`."""
    if record_type == "client":
        reasons = eligibility.client_ineligible_reasons(row.kind, row.status)
    else:
        reasons = eligibility.contact_ineligible_reasons(
            client_linked=bool(row.client_linked),
            email=row.email,
            email_used_by_other_linked_contact=bool(row.email and row.email_in_use),
        )
    link = row if row.id is not None else None  # the row carries the link's columns
    return _view(link, reasons), link_etag(record_type, record_id, link)


def history(uow, actor: Actor, record_type: str, record_id: int, page: int, page_size: int):
    """One page of the link's history, newest first, and the total."""
    r.require(actor, r.LINKS_READ)
    with uow:
        _load(uow, record_type, record_id)
        return uow.link_events.page_for_record(record_type, record_id, page, page_size)


# ----- switching ------------------------------------------------------------------------------


def _link_for_update(uow, record_type: str, record_id: int, if_match) -> Link:
    """The record's link, locked, after the If-Match check; made (off) when there is none yet."""
    link = uow.links.for_record(record_type, record_id, for_update=True)
    require_match(link_etag(record_type, record_id, link), if_match)
    if link is None:
        link = Link(record_type=record_type, record_id=record_id, active=False, sync_state=L.OFF)
        uow.links.add(link)
    return link


def switched(link: Link, actor: Actor, *, active: bool) -> None:
    """The switch moved; CaseWare Cloud has yet to hear of it."""
    link.active, link.sync_state = active, L.PENDING
    link.changed_at, link.changed_by = utcnow(), actor.name


def _needs_switching_on(link: Link) -> bool:
    return not link.active or link.sync_state == L.FAILED


def _cancel_held_withdrawal(uow, link: Link) -> str | None:
    """Switched on again before an admin released its withdrawal: the withdrawal is cancelled
    (api.md), and the link-on's history says so."""
    if link.active or link.sync_state != L.PENDING:
        return None  # a held withdrawal leaves its link off and pending
    if unlink_guard.cancel_held(uow, link.record_type, link.record_id):
        return "held withdrawal cancelled"
    return None


def switch_client(
    uow, reader, actor: Actor, upstream: Upstream, client_id: int, active: bool, if_match=None
):
    """Switch a client's link on (adopt or create its entity) or off (its contacts too).

    Returns (view, etag, delivered): delivered is False while CaseWare Cloud has yet to confirm.
    """
    r.require(actor, r.LINKS_WRITE)
    with uow:
        client = _load(uow, "client", client_id, for_update=True)
        link = _link_for_update(uow, "client", client_id, if_match)
        if active and _needs_switching_on(link):
            reasons = _client_reasons(client)
            if reasons:
                raise NotEligible(reasons)
            cancelled = _cancel_held_withdrawal(uow, link)
            switched(link, actor, active=True)
            _queue(
                uow, actor, upstream, "client", client_id, client_id, ops.LINK_CLIENT, L.LINK_ON,
                cancelled,
            )  # fmt: skip
        elif not active and link.active:
            client_off(uow, actor, upstream, client, link, L.LINK_OFF)
        uow.commit()
    return _after_switch(uow, reader, upstream, "client", client_id)


def switch_contact(
    uow, reader, actor: Actor, upstream: Upstream, contact_id: int, active: bool, if_match=None
):
    """Switch a contact's login on (adopt or create the user, grant access) or off (withdraw)."""
    r.require(actor, r.LINKS_WRITE)
    with uow:
        contact = _load(uow, "contact", contact_id, for_update=True)
        link = _link_for_update(uow, "contact", contact_id, if_match)
        if active and _needs_switching_on(link):
            if contact.email:
                uow.links.lock_email(contact.email)  # before asking whether it is in use
            # Locked, it is read once: for the eligibility now, and for its entity's id when
            # the switch is prepared for delivery.
            uow.links.for_record("client", contact.client_id, for_update=True)
            reasons = _contact_reasons(uow, contact)
            if reasons:
                raise NotEligible(reasons)
            cancelled = _cancel_held_withdrawal(uow, link)
            switched(link, actor, active=True)
            _queue(
                uow, actor, upstream, "contact", contact_id, contact.client_id, ops.LINK_CONTACT,
                L.LINK_ON, cancelled,
            )  # fmt: skip
        elif not active and link.active:
            contact_off(uow, actor, upstream, contact, link, L.LINK_OFF)
        uow.commit()
    return _after_switch(uow, reader, upstream, "contact", contact_id)


def _after_switch(uow, reader, upstream: Upstream, record_type: str, record_id: int):
    """Deliver at once; a refused switch-on is undone and answered 422 with the cause.

    The answer is read with `reader`, which waits for no writer: on SQLite a third write
    transaction per switch would queue behind every other switch for a plain read."""
    upstream.deliver(uow)
    own = uow.enqueued[-1].id if uow.enqueued else None
    view, tag = _link_view(reader, record_type, record_id)
    state = view["caseware_cloud"]["sync"]["state"]
    if state == L.FAILED and own is not None:
        with uow:
            if _refused_switch_on(uow.deliveries.get(own)):
                link = uow.links.for_record(record_type, record_id, for_update=True)
                cause = link.last_error
                link.active, link.sync_state, link.last_error = False, L.OFF, None
                uow.commit()
                raise UpstreamRejected(cause)
    return view, tag, state in (L.SYNCED, L.OFF)


def _refused_switch_on(delivery) -> bool:
    return delivery.state == "failed" and delivery.operation in (ops.LINK_CLIENT, ops.LINK_CONTACT)


def _queue(
    uow,
    actor,
    upstream,
    record_type,
    record_id,
    client_id,
    operation,
    action,
    detail=None,
    **payload,
):
    return upstream.queue(
        uow,
        actor=actor.name,
        record_type=record_type,
        record_id=record_id,
        client_id=client_id,
        operation=operation,
        action=action,
        detail=detail,
        payload=payload,
    )


def client_off(uow, actor, upstream, client: Client, link: Link, action: str, detail=None) -> None:
    """Queue every linked contact's withdrawal, then the entity set inactive (never deleted)."""
    for contact, contact_link in uow.links.linked_contacts_of(client.id):
        contact_off(uow, actor, upstream, contact, contact_link, L.AUTO_UNLINK, L.CLIENT_UNLINKED)
    switched(link, actor, active=False)
    _queue(uow, actor, upstream, "client", client.id, client.id, ops.UNLINK_CLIENT, action, detail)


def contact_off(
    uow, actor, upstream, contact: Contact, link: Link, action: str, detail=None
) -> None:
    """Queue: the contact's access withdrawn, its user set inactive unless linked elsewhere."""
    elsewhere = bool(contact.email) and uow.links.email_linked_elsewhere(contact.email, contact.id)
    switched(link, actor, active=False)
    _queue(
        uow, actor, upstream, "contact", contact.id, contact.client_id, ops.UNLINK_CONTACT,
        action, detail, user=link.remote_id, elsewhere=elsewhere,
    )  # fmt: skip


def queue_change(uow, actor, upstream, record_type: str, record, link: Link, fields: list[str]):
    """Queue a data change of a linked record (all synced fields after a failure)."""
    client_id = record.id if record_type == "client" else record.client_id
    operation = ops.UPDATE_CLIENT if record_type == "client" else ops.UPDATE_CONTACT
    detail = "changed: " + ", ".join(sorted(fields))
    link.sync_state = L.PENDING
    _queue(
        uow,
        actor,
        upstream,
        record_type,
        record.id,
        client_id,
        operation,
        L.FORWARD,
        detail,
        fields=fields,
    )
