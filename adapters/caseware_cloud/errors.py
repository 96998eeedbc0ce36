"""Typed errors of the CaseWare Cloud adapter, built from one status table."""

from __future__ import annotations


class CwcError(Exception):
    """A CaseWare Cloud call failed; carries the call, the status and CWC's own message."""

    def __init__(
        self,
        summary: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        cwc_message: str | None = None,
        request_id: str | None = None,
        kind: str | None = None,
    ) -> None:
        self.summary = summary
        self.method = method
        self.path = path
        self.status = status
        self.cwc_message = cwc_message
        self.request_id = request_id
        # What went wrong in a call that got no usable answer, for the logs: "timeout",
        # "connect_failed", "connection_failed", "too_large", "out_of_time", "unsendable".
        self.kind = kind
        super().__init__(summary)

    def __str__(self) -> str:
        # Built only from fields that never hold a credential: the path has no query
        # string, and the client redacts its secret and token from cwc_message.
        call = f"{self.method} {self.path}" if self.method else "CaseWare Cloud"
        status = f" -> {self.status}" if self.status is not None else ""
        text = f"{call}{status}: {self.summary}"
        if self.cwc_message and self.cwc_message != self.summary:
            text += f" ({self.cwc_message})"
        if self.request_id:
            text += f" [request {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class CwcUnavailable(CwcError):
    """Passing trouble (timeout, connection error, 5xx, 429): try again later."""

    def __init__(
        self,
        summary: str,
        *,
        retry_after: float | None = None,
        maybe_performed: bool = False,
        **details,
    ) -> None:
        super().__init__(summary, **details)
        # Seconds CWC asked us to wait, when it said so.
        self.retry_after = retry_after
        # True when the request may have reached CWC and been carried out, so a create
        # must be looked up before it is sent again.
        self.maybe_performed = maybe_performed


class CwcOutOfTime(CwcUnavailable):
    """The time the caller gave CaseWare Cloud ran out (a request's deadline): try again later."""


class CwcBadAnswer(CwcUnavailable):
    """CWC answered something the contract does not allow (not JSON, a bad id or token)."""


class CwcRejected(CwcError):
    """CWC refused the call itself (400, 401 after a fresh token, 403, other 4xx)."""


class CwcEmailInUse(CwcRejected):
    """Another CWC login already uses this e-mail address (409)."""


class CwcNotFound(CwcRejected):
    """The CWGuid is unknown to CWC (404)."""


class CwcAmbiguous(CwcRejected):
    """More than one CWC entity carries one client number; the adapter does not guess."""


# The one status table: what an HTTP status from CWC means to the gateway.
STATUS_ERRORS: dict[int, tuple[type[CwcError], str]] = {
    400: (CwcRejected, "validation failed"),
    401: (CwcRejected, "not authorised; check the API client id and secret"),
    403: (CwcRejected, "the API client lacks rights; an operator must fix it"),
    404: (CwcNotFound, "unknown CWGuid"),
    409: (CwcEmailInUse, "e-mail address already in use by another login"),
    429: (CwcUnavailable, "rate limited"),
}


def error_class_for(status: int) -> tuple[type[CwcError], str]:
    """The error class and a summary for an unsuccessful HTTP status."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    if status >= 500:
        return CwcUnavailable, "server error"
    return CwcRejected, "refused"
