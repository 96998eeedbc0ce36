"""Who may be linked to CaseWare Cloud: the rules of the Koppelingen tab, as plain functions."""

PRIVATE_CLIENT = "private_client"
SUSPECT_CLIENT = "suspect_client"
CLIENT_NOT_LINKED = "client_not_linked"
EMAIL_MISSING = "email_missing"
EMAIL_IN_USE = "email_in_use"


def client_ineligible_reasons(kind: str, status: str) -> list[str]:
    """Why a client cannot be linked: private clients and suspects stay out of CaseWare Cloud."""
    reasons = []
    if kind == "private":
        reasons.append(PRIVATE_CLIENT)
    if status == "suspect":
        reasons.append(SUSPECT_CLIENT)
    return reasons


def contact_ineligible_reasons(
    *, client_linked: bool, email: str | None, email_used_by_other_linked_contact: bool
) -> list[str]:
    """Why a contact cannot be linked: its client must be linked, and its login e-mail its own."""
    reasons = []
    if not client_linked:
        reasons.append(CLIENT_NOT_LINKED)
    if not email:
        reasons.append(EMAIL_MISSING)
    elif email_used_by_other_linked_contact:
        reasons.append(EMAIL_IN_USE)
    return reasons


def auto_unlink_reason(kind: str, status: str) -> str | None:
    """Why a linked client must be switched off after a change, or None when it may stay on."""
    reasons = client_ineligible_reasons(kind, status)
    return reasons[0] if reasons else None
