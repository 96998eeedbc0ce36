"""What a link view reads, in one statement each, built once: the hot read path of the gateway.

GET /v1/clients/{id}/links and /v1/contacts/{id}/links sit in every view of the Koppelingen
tab. Through the ORM each took three or four statements (the record, its link, for a contact
its client's link and the e-mail check), each with the ORM's loading and statement caching
on top. These are plain Core statements: one round trip, rows read by column name, and cache
keys computed once because the statements are module constants. They are built on the tables,
not the mapped classes, so that a Session runs them as Core, without the ORM's result
processing (about a third of a link view's cost in the database layer).
"""

from sqlalchemy import and_, bindparam, exists, select

from db.models import Client, Contact, Link, Token

clients, contacts, links, tokens = (m.__table__ for m in (Client, Contact, Link, Token))

_LINK_COLUMNS = (
    links.c.id,  # None when the record has no link yet
    links.c.active,
    links.c.remote_id,
    links.c.sync_state,
    links.c.last_synced_at,
    links.c.last_error,
    links.c.changed_at,
    links.c.changed_by,
    links.c.version,
)

CLIENT_LINK = (
    select(clients.c.kind, clients.c.status, *_LINK_COLUMNS)
    .select_from(clients)
    .outerjoin(links, and_(links.c.record_type == "client", links.c.record_id == clients.c.id))
    .where(clients.c.id == bindparam("record_id"))
)

_client_link = links.alias("client_link")
_other = contacts.alias("other")
_other_link = links.alias("other_link")
# Another linked contact with the same login e-mail (contacts.email_login, domain.emails).
_EMAIL_IN_USE = (
    exists()
    .where(
        _other.c.email_login == contacts.c.email_login,
        _other.c.id != contacts.c.id,
        _other_link.c.record_type == "contact",
        _other_link.c.record_id == _other.c.id,
        _other_link.c.active.is_(True),
    )
    .label("email_in_use")
)

CONTACT_LINK = (
    select(
        contacts.c.email,
        _client_link.c.active.label("client_linked"),
        _EMAIL_IN_USE,
        *_LINK_COLUMNS,
    )
    .select_from(contacts)
    .outerjoin(links, and_(links.c.record_type == "contact", links.c.record_id == contacts.c.id))
    .outerjoin(
        _client_link,
        and_(
            _client_link.c.record_type == "client",
            _client_link.c.record_id == contacts.c.client_id,
        ),
    )
    .where(contacts.c.id == bindparam("record_id"))
)

TOKEN_BY_HASH = select(
    tokens.c.id,
    tokens.c.name,
    tokens.c.token_hash,
    tokens.c.rights,
    tokens.c.expires_at,
    tokens.c.last_used_at,
).where(tokens.c.token_hash == bindparam("token_hash"))
