"""What a refusal by CaseWare Cloud means to the person who must fix the data."""

from adapters.caseware_cloud.errors import CwcAmbiguous, CwcEmailInUse, CwcRejected


def explain_refusal(error: CwcRejected) -> str:
    """A sentence for last_error and for 422 upstream_rejected: the cause and the fix."""
    if isinstance(error, CwcEmailInUse):
        return (
            "CaseWare Cloud already has another login with this e-mail address (or one it "
            "takes for the same); the gateway never takes over another person's login: "
            "give the contact an address of its own."
        )
    if isinstance(error, CwcAmbiguous):
        return (
            "More than one CaseWare Cloud entity carries this client number; the gateway does "
            "not guess: merge or renumber them in CaseWare Cloud first."
        )
    return f"CaseWare Cloud refused the data: {error.cwc_message or error.summary}."
