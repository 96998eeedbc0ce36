"""What a link view reads, in one statement each, built once: the hot read path of the gateway.

GET /v1/clients/{id}/links and /v1/contacts/{id}/links sit in every view of the Koppelingen
tab. Through the ORM each took three or four statements (the record, its link, for a contact
its client's link and the e-mail check), each with the ORM's loading and statement caching
on top. These are plain Core statements: one round trip, rows read by column name, and cache
keys computed once because the statements are module constants.
"""

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.orm import aliased

from db.models import Client, Contact, Link, Token

_LINK_COLUMNS = (
    Link.id,  # None when the record has no link yet
    Link.active,
    Link.remote_id,
    Link.sync_state,
    Link.last_synced_at,
    Link.last_error,
    Link.changed_at,
    Link.changed_by,
    Link.version,
)

CLIENT_LINK = (
    select(Client.kind, Client.status, *_LINK_COLUMNS)
    .select_from(Client)
    .outerjoin(Link, and_(Link.record_type == "client", Link.record_id == Client.id))
    .where(Client.id == bindparam("record_id"))
)

_client_link = aliased(Link)
_other = aliased(Contact)
_other_link = aliased(Link)
# Another linked contact with the same login e-mail (contacts.email_login, domain.emails).
_EMAIL_IN_USE = (
    exists()
    .where(
        _other.email_login == Contact.email_login,
        _other.id != Contact.id,
        _other_link.record_type == "contact",
        _other_link.record_id == _other.id,
        _other_link.active.is_(True),
    )
    .label("email_in_use")
)

CONTACT_LINK = (
    select(
        Contact.email,
        _client_link.active.label("client_linked"),
        _EMAIL_IN_USE,
        *_LINK_COLUMNS,
    )
    .select_from(Contact)
    .outerjoin(Link, and_(Link.record_type == "contact", Link.record_id == Contact.id))
    .outerjoin(
        _client_link,
        and_(
            _client_link.record_type == "client",
            _client_link.record_id == Contact.client_id,
        ),
    )
    .where(Contact.id == bindparam("record_id"))
)

TOKEN_BY_HASH = select(
    Token.id, Token.name, Token.token_hash, Token.rights, Token.expires_at, Token.last_used_at
).where(Token.token_hash == bindparam("token_hash"))
