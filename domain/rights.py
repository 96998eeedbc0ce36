"""Who may do what: the rights a token can carry and the check services make."""

from dataclasses import dataclass

from domain.errors import Forbidden

CLIENTS_READ = "clients:read"
CLIENTS_WRITE = "clients:write"
LINKS_READ = "links:read"
LINKS_WRITE = "links:write"
ADMIN = "admin"

ALL_RIGHTS = (CLIENTS_READ, CLIENTS_WRITE, LINKS_READ, LINKS_WRITE, ADMIN)
# What a token's name may be: it shows in URLs, logs and link history.
TOKEN_NAME_PATTERN = r"^[A-Za-z0-9._@-]{1,64}$"


@dataclass(frozen=True)
class Actor:
    """The caller behind a request: a token's or a person's name and the rights it carries.

    `subject` is the JWT's `sub` when a person signed in through AuditCase; None for a token."""

    name: str
    rights: frozenset[str]
    subject: str | None = None

    @property
    def key(self) -> str:
        """Whose idempotency keys and rate limits these are: a token's name, or "jwt:<sub>"
        for a person. People are told apart by their id, not their name (two may share one);
        a token's name cannot hold a colon, so the two never meet."""
        return self.name if self.subject is None else f"jwt:{self.subject}"


def unknown_rights(rights) -> list[str]:
    """The names in `rights` that are not rights of this gateway."""
    return sorted(set(rights) - set(ALL_RIGHTS))


def require(actor: Actor, right: str) -> None:
    """Raise Forbidden unless the actor carries `right`."""
    if right not in actor.rights:
        raise Forbidden(right)
