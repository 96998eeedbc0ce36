"""Switch clients and contacts to CaseWare Cloud, forward their changes, keep the history."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from adapters.caseware_cloud.errors import (
    CwcAmbiguous,
    CwcEmailInUse,
    CwcRejected,
    CwcUnavailable,
)
from adapters.caseware_cloud.port import CwcPort
from db.models import Client, Contact, Link, LinkEvent, utcnow
from domain import eligibility
from domain import links as L
from domain import rights as r
from domain.errors import NotEligible, NotFound, UpstreamRejected, UpstreamUnavailable
from domain.rights import Actor
from domain.versions import etag_for, require_match


@dataclass(frozen=True)
class Upstream:
    """What a use case needs to reach CaseWare Cloud: the port, and the request to trace."""

    cwc: CwcPort
    request_id: str | None = None


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
    repository = uow.clients if record_type == "client" else uow.contacts
    record = repository.get(record_id, for_update=for_update)
    if record is None:
        raise NotFound(f"No {record_type} with id {record_id}.")
    return record


def get_link(uow, actor: Actor, record_type: str, record_id: int) -> tuple[dict, str]:
    """The link of a client or contact, with eligibility, and its ETag."""
    r.require(actor, r.LINKS_READ)
    with uow:
        record = _load(uow, record_type, record_id)
        link = uow.links.for_record(record_type, record_id)
        reasons = (
            _client_reasons(record) if record_type == "client" else _contact_reasons(uow, record)
        )
        return _view(link, reasons), link_etag(record_type, record_id, link)


def history(uow, actor: Actor, record_type: str, record_id: int, page: int, page_size: int):
    """One page of the link's history, newest first, and the total."""
    r.require(actor, r.LINKS_READ)
    with uow:
        _load(uow, record_type, record_id)
        return uow.link_events.page_for_record(record_type, record_id, page, page_size)


# ----- CaseWare Cloud's answers as domain errors ----------------------------------------------


def explain_refusal(error: CwcRejected) -> str:
    """What CaseWare Cloud's refusal means to the person who must fix the data."""
    if isinstance(error, CwcEmailInUse):
        return (
            "CaseWare Cloud already has another login with this e-mail address; "
            "give the contact an address of its own."
        )
    if isinstance(error, CwcAmbiguous):
        return (
            "More than one CaseWare Cloud entity carries this client number; the gateway does "
            "not guess: merge or renumber them in CaseWare Cloud first."
        )
    return f"CaseWare Cloud refused the data: {error.cwc_message or error.summary}."


@contextmanager
def _calling_cwc() -> Iterator[None]:
    try:
        yield
    except CwcUnavailable as exc:
        raise UpstreamUnavailable(
            "CaseWare Cloud cannot be reached right now; nothing was changed. Try again shortly.",
            exc.retry_after,
        ) from exc
    except CwcRejected as exc:
        raise UpstreamRejected(explain_refusal(exc)) from exc


# ----- writing --------------------------------------------------------------------------------


def _event(uow, record_type, record_id, actor, upstream, action, result, detail=None) -> None:
    uow.link_events.add(
        LinkEvent(
            record_type=record_type,
            record_id=record_id,
            actor=actor.name,
            action=action,
            result=result,
            detail=detail,
            request_id=upstream.request_id,
        )
    )


def _link_for_update(uow, record_type: str, record_id: int, if_match) -> Link:
    """The record's link, locked, after the If-Match check; made (off) when there is none yet."""
    link = uow.links.for_record(record_type, record_id, for_update=True)
    require_match(link_etag(record_type, record_id, link), if_match)
    if link is None:
        link = Link(record_type=record_type, record_id=record_id, active=False, sync_state=L.OFF)
        uow.links.add(link)
    return link


def _switched(link: Link, actor: Actor, *, active: bool, remote_id: str | None = None) -> None:
    now = utcnow()
    link.active = active
    link.sync_state = L.SYNCED if active else L.OFF
    link.remote_id = remote_id or link.remote_id
    link.last_synced_at = now
    link.last_error = None
    link.changed_at, link.changed_by = now, actor.name


def _refused(uow, record_type, record_id, actor, upstream, error: UpstreamRejected):
    """Undo the attempt, keep only its history line, and let the refusal through."""
    uow.rollback()
    _event(uow, record_type, record_id, actor, upstream, L.LINK_ON, L.RESULT_REFUSED, error.detail)
    uow.commit()
    raise error


def switch_client(
    uow, actor: Actor, upstream: Upstream, client_id: int, active: bool, if_match=None
):
    """Switch a client's link on (adopt or create its entity) or off (its contacts too)."""
    r.require(actor, r.LINKS_WRITE)
    with uow:
        client = _load(uow, "client", client_id, for_update=True)
        link = _link_for_update(uow, "client", client_id, if_match)
        if active and not (link.active and link.sync_state == L.SYNCED):
            reasons = _client_reasons(client)
            if reasons:
                raise NotEligible(reasons)
            try:
                with _calling_cwc():
                    guid = upstream.cwc.ensure_entity(
                        L.synced_values(client, L.CLIENT_SYNCED_FIELDS), known_guid=link.remote_id
                    )
            except UpstreamRejected as exc:
                _refused(uow, "client", client_id, actor, upstream, exc)
            _switched(link, actor, active=True, remote_id=guid)
            _event(uow, "client", client_id, actor, upstream, L.LINK_ON, L.SYNCED)
        elif not active and link.active:
            _client_off(uow, actor, upstream, client, link, L.LINK_OFF)
        uow.commit()
        return _view(link, _client_reasons(client)), link_etag("client", client_id, link)


def _client_off(uow, actor, upstream, client: Client, link: Link, action: str, detail=None):
    """Withdraw every linked contact's access, then set the entity inactive (never deleted)."""
    with _calling_cwc():
        for contact, contact_link in uow.links.linked_contacts_of(client.id):
            upstream.cwc.unlink_contact(link.remote_id, contact_link.remote_id, False)
            _switched(contact_link, actor, active=False)
            _event(
                uow,
                "contact",
                contact.id,
                actor,
                upstream,
                L.AUTO_UNLINK,
                L.SYNCED,
                L.CLIENT_UNLINKED,
            )
        upstream.cwc.unlink_client(link.remote_id)
    _switched(link, actor, active=False)
    _event(uow, "client", client.id, actor, upstream, action, L.SYNCED, detail)


def switch_contact(
    uow, actor: Actor, upstream: Upstream, contact_id: int, active: bool, if_match=None
):
    """Switch a contact's login on (adopt or create the user, grant access) or off (withdraw)."""
    r.require(actor, r.LINKS_WRITE)
    with uow:
        contact = _load(uow, "contact", contact_id, for_update=True)
        client_link = uow.links.for_record("client", contact.client_id, for_update=True)
        link = _link_for_update(uow, "contact", contact_id, if_match)
        if active and not (link.active and link.sync_state == L.SYNCED):
            reasons = _contact_reasons(uow, contact)
            if reasons:
                raise NotEligible(reasons)
            try:
                with _calling_cwc():
                    guid = upstream.cwc.link_contact(
                        client_link.remote_id,
                        L.synced_values(contact, L.CONTACT_SYNCED_FIELDS),
                        known_user_guid=link.remote_id,
                    )
            except UpstreamRejected as exc:
                _refused(uow, "contact", contact_id, actor, upstream, exc)
            _switched(link, actor, active=True, remote_id=guid)
            _event(uow, "contact", contact_id, actor, upstream, L.LINK_ON, L.SYNCED)
        elif not active and link.active:
            _contact_off(uow, actor, upstream, contact, link, client_link, L.LINK_OFF)
        uow.commit()
        return _view(link, _contact_reasons(uow, contact)), link_etag("contact", contact_id, link)


def _contact_off(uow, actor, upstream, contact, link, client_link, action, detail=None):
    elsewhere = bool(contact.email) and uow.links.email_linked_elsewhere(contact.email, contact.id)
    with _calling_cwc():
        upstream.cwc.unlink_contact(client_link.remote_id, link.remote_id, elsewhere)
    _switched(link, actor, active=False)
    _event(uow, "contact", contact.id, actor, upstream, action, L.SYNCED, detail)


# ----- called by the client and contact use cases, inside their transaction --------------------


def forward_client_change(uow, actor: Actor, upstream: Upstream, client: Client, changed: dict):
    """Forward a linked client's change, or switch it off when it became private or suspect."""
    link = uow.links.for_record("client", client.id, for_update=True)
    if link is None or not link.active:
        return
    reason = eligibility.auto_unlink_reason(client.kind, client.status)
    if reason:
        _client_off(uow, actor, upstream, client, link, L.AUTO_UNLINK, reason)
        return
    changes = L.synced_changes(changed, L.CLIENT_SYNCED_FIELDS)
    if changes:
        # After a failure CaseWare Cloud may lack earlier changes too: send everything then.
        if link.sync_state != L.SYNCED:
            changes = L.synced_values(client, L.CLIENT_SYNCED_FIELDS)
        _forward(
            uow, actor, upstream, "client", client.id, link, changes, upstream.cwc.update_entity
        )


def forward_contact_change(uow, actor: Actor, upstream: Upstream, contact: Contact, changed: dict):
    """Forward a linked contact's change to its CaseWare Cloud user."""
    link = uow.links.for_record("contact", contact.id, for_update=True)
    changes = L.synced_changes(changed, L.CONTACT_SYNCED_FIELDS)
    if link is None or not link.active or not changes:
        return
    if link.sync_state != L.SYNCED:
        changes = L.synced_values(contact, L.CONTACT_SYNCED_FIELDS)
    _forward(uow, actor, upstream, "contact", contact.id, link, changes, upstream.cwc.update_user)


def _forward(uow, actor, upstream, record_type, record_id, link, changes, send):
    """Send `changes`; a refusal is kept on the link (the local data stays the master)."""
    detail = "changed: " + ", ".join(sorted(changes))
    try:
        with _calling_cwc():
            send(link.remote_id, changes)
    except UpstreamRejected as exc:
        link.sync_state, link.last_error = L.FAILED, exc.detail
        _event(
            uow,
            record_type,
            record_id,
            actor,
            upstream,
            L.FORWARD,
            L.FAILED,
            f"{detail}; {exc.detail}",
        )
        return
    link.sync_state, link.last_error, link.last_synced_at = L.SYNCED, None, utcnow()
    _event(uow, record_type, record_id, actor, upstream, L.FORWARD, L.SYNCED, detail)


def before_contact_delete(uow, actor: Actor, upstream: Upstream, contact: Contact) -> None:
    """A linked contact that is deleted loses its access in CaseWare Cloud first (9.3+)."""
    link = uow.links.for_record("contact", contact.id, for_update=True)
    if link is not None and link.active:
        client_link = uow.links.for_record("client", contact.client_id, for_update=True)
        _contact_off(
            uow, actor, upstream, contact, link, client_link, L.AUTO_UNLINK, L.CONTACT_DELETED
        )
    uow.links.delete_for_record("contact", contact.id)


def before_client_delete(uow, actor: Actor, upstream: Upstream, client: Client) -> None:
    """Switch a linked client off before it is deleted: contacts withdrawn, entity inactive."""
    link = uow.links.for_record("client", client.id, for_update=True)
    if link is not None and link.active:
        _client_off(uow, actor, upstream, client, link, L.AUTO_UNLINK, L.CLIENT_DELETED)
    for contact in client.contacts:
        uow.links.delete_for_record("contact", contact.id)
    uow.links.delete_for_record("client", client.id)
