"""The domain's error tree; api/errors.py maps each to one problem+json answer."""


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, detail: str = "", **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    """The client, contact, token or delivery does not exist."""


class Forbidden(DomainError):
    """The caller's token lacks the right the action needs."""

    def __init__(self, right: str):
        super().__init__(f"This action needs the right '{right}'.", required_right=right)
        self.right = right


class Conflict(DomainError):
    """The change collides with what is stored (a number in use, a request still running)."""


class PreconditionFailed(DomainError):
    """If-Match named a version that is no longer current."""


class InvalidInput(DomainError):
    """Input that passed the schema but makes no sense here; `errors` is keyed by field."""

    def __init__(self, detail: str, errors: dict[str, list[str]]):
        super().__init__(detail, errors=errors)


class IdempotencyKeyReused(DomainError):
    """An Idempotency-Key came back with another request than the one it was first used for."""


class NotEligible(DomainError):
    """The link cannot be switched on; `ineligible_reasons` says why."""

    def __init__(self, reasons: list[str]):
        super().__init__(
            "This record cannot be linked to CaseWare Cloud: " + ", ".join(reasons) + ".",
            ineligible_reasons=reasons,
        )


class UpstreamRejected(DomainError):
    """CaseWare Cloud refused the data itself; `detail` says what to fix."""
