"""Create, read, change and delete clients (klanten)."""

from sqlalchemy.exc import IntegrityError

from db.models import Client
from domain import rights as r
from domain.errors import Conflict, NotFound
from domain.rights import Actor
from domain.versions import etag_for, require_match
from services import forwarding
from services.links import Upstream


def client_etag(client: Client) -> str:
    return etag_for("client", client.id, client.version)


def _load(uow, client_id: int, *, for_update: bool = False) -> Client:
    client = uow.clients.get(client_id, for_update=for_update)
    if client is None:
        raise NotFound(f"No client with id {client_id}.")
    return client


def _number_in_use(number: str) -> Conflict:
    return Conflict(f"Client number '{number}' is in use by another client.")


def list_clients(uow, actor: Actor, filters: dict, page: int, page_size: int):
    """One page of clients matching `filters`, and the total."""
    r.require(actor, r.CLIENTS_READ)
    with uow:
        return uow.clients.list(filters, page, page_size)


def get_client(uow, actor: Actor, client_id: int) -> Client:
    r.require(actor, r.CLIENTS_READ)
    with uow:
        return _load(uow, client_id)


def create_client(uow, actor: Actor, data: dict) -> Client:
    r.require(actor, r.CLIENTS_WRITE)
    with uow:
        if uow.clients.by_number(data["number"]) is not None:
            raise _number_in_use(data["number"])
        client = Client(**data)
        try:
            uow.clients.add(client)
            uow.commit()
        except IntegrityError as exc:  # another request took the number meanwhile
            raise _number_in_use(data["number"]) from exc
    return client


def update_client(
    uow, actor: Actor, upstream: Upstream, client_id: int, changes: dict, if_match=None
) -> Client:
    """Change a client; a linked one's synced fields are forwarded to CaseWare Cloud at once."""
    r.require(actor, r.CLIENTS_WRITE)
    with uow:
        client = _load(uow, client_id, for_update=True)
        require_match(client_etag(client), if_match)
        number = changes.get("number")
        if number and number != client.number and uow.clients.by_number(number) is not None:
            raise _number_in_use(number)
        changed = client.apply(changes)
        if changed:
            forwarding.client_changed(uow, actor, upstream, client, changed)
            try:
                uow.commit()
            except IntegrityError as exc:
                raise _number_in_use(number) from exc
    upstream.deliver(uow)
    return client


def delete_client(uow, actor: Actor, upstream: Upstream, client_id: int, if_match=None) -> None:
    """Delete the client and its contacts; a linked one is switched off in CaseWare Cloud first."""
    r.require(actor, r.CLIENTS_WRITE)
    with uow:
        client = _load(uow, client_id, for_update=True)
        require_match(client_etag(client), if_match)
        forwarding.client_deleted(uow, actor, upstream, client)
        uow.clients.delete(client)
        uow.commit()
    upstream.deliver(uow)
