"""What a link to CaseWare Cloud carries: the synced fields, the states, the history words."""

# The fields AuditCase forwards to CaseWare Cloud (the help article's list); nothing else is sent.
CLIENT_SYNCED_FIELDS = (
    "number", "name", "address", "postcode", "city", "country",
    "phone", "email", "website", "facebook", "twitter", "linkedin",
)  # fmt: skip
CONTACT_SYNCED_FIELDS = ("first_name", "infix", "last_name", "initials", "email", "phone", "mobile")

OFF, SYNCED, PENDING, FAILED = "off", "synced", "pending", "failed"
SYNC_STATES = (OFF, SYNCED, PENDING, FAILED)

LINK_ON, LINK_OFF, AUTO_UNLINK, FORWARD, DELIVERY = (
    "link_on", "link_off", "auto_unlink", "forward", "delivery",
)  # fmt: skip
RESULT_REFUSED = "refused"
RESULT_HELD = "held"  # a withdrawal the unlink guard holds until an admin releases it

CLIENT_UNLINKED = "client_unlinked"
CONTACT_DELETED = "contact_deleted"
CLIENT_DELETED = "client_deleted"


def synced_values(record, fields: tuple[str, ...]) -> dict:
    """The synced fields of a client or contact, by name."""
    return {field: getattr(record, field) for field in fields}


def synced_changes(changed: dict, fields: tuple[str, ...]) -> dict:
    """The part of a change that CaseWare Cloud must hear about."""
    return {field: value for field, value in changed.items() if field in fields}
