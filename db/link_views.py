"""What a link view reads, in one statement each, built once: the hot read path of the gateway.

GET /v1/clients/{id}/links and /v1/contacts/{id}/links sit in every view of the Koppelingen
tab. Through the ORM each took three or four statements (the record, its link, for a contact
its client's link and the e-mail check), each with the ORM's loading and statement caching
on top. These are plain Core statements: one round trip, rows read by column name, and cache
keys computed once because the statements are module constants. They are built on the tables,
not the mapped classes, so that a Session runs them as Core, without the ORM's result
processing (about a third of a link view's cost in the database layer).
"""

from collections import namedtuple

from sqlalchemy import Dialect, Engine, Select, and_, bindparam, exists, literal_column, select
from sqlalchemy.exc import DBAPIError

from db.changes import PG_PROOF, DatabaseChanges
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


class RawStatement:
    """One of the statements above, on a raw DBAPI cursor: compiled once for the dialect, its
    columns converted by their own types' result processors, and nothing else of SQLAlchemy's
    execution on the way (its Connection, context and result objects cost more than the
    statement does; api/link_reads.py)."""

    def __init__(self, statement: Select, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        params = compiled.construct_params({"record_id": 0})
        order = compiled.positiontup  # None where the driver takes named parameters
        if order is None:
            self._params, self._slots = params, None
        else:
            self._params = [params[name] for name in order]
            self._slots = [i for i, name in enumerate(order) if name == "record_id"]
        columns = list(statement.selected_columns)
        self._row = namedtuple("Row", [column.name for column in columns])
        self._convert = [
            (i, convert)
            for i, column in enumerate(columns)
            if (convert := column.type.dialect_impl(dialect).result_processor(dialect, None))
        ]

    def one(self, cursor, record_id: int):
        """The row for `record_id`, its columns read by name, or None."""
        if self._slots is None:
            params = {**self._params, "record_id": record_id}
        else:
            params = list(self._params)
            for slot in self._slots:
                params[slot] = record_id
        cursor.execute(self.sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        if self._convert:
            row = list(row)
            for i, convert in self._convert:
                row[i] = convert(row[i])
        return self._row._make(row)


class LinkViewReads:
    """A client's or a contact's link view row with the database's version (db.changes) that
    proves a cached token still good: on PostgreSQL read in the same statement, so one round
    trip answers both; on SQLite taken just before the read, as the token check does."""

    def __init__(self, readers: Engine, changes: DatabaseChanges) -> None:
        self._readers, self._changes = readers, changes
        self._proof_in_statement = changes.costs_a_round_trip
        proof = [literal_column(PG_PROOF).label("proof")] if self._proof_in_statement else []
        dialect = readers.dialect
        self._statements = {
            "client": RawStatement(CLIENT_LINK.add_columns(*proof), dialect),
            "contact": RawStatement(CONTACT_LINK.add_columns(*proof), dialect),
        }
        self._driver_error = dialect.loaded_dbapi.Error
        # What read() raises when the database fails: SQLAlchemy's (connecting), the driver's.
        self.errors = (DBAPIError, self._driver_error)

    def read(
        self, record_type: str, record_id: int, *, proof: bool = True
    ) -> tuple[int | str | None, object]:
        """(version, row), the row None when there is no such record; a database that fails
        raises, its connection thrown away rather than pooled again. `proof`: whether the
        caller needs the version (a JWT does not; on PostgreSQL it comes free anyway)."""
        need_version = proof and not self._proof_in_statement
        version = self._changes.version() if need_version else None
        connection = self._readers.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                row = self._statements[record_type].one(cursor, record_id)
            finally:
                cursor.close()
        except self._driver_error:
            connection.invalidate()
            raise
        finally:
            connection.close()
        if self._proof_in_statement and row is not None:
            version = row.proof
        return version, row
