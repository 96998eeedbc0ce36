"""Links: the switch "Koppelen met CaseWare Cloud", its sync state and its history."""

from marshmallow import fields, validate

from domain.eligibility import (
    CLIENT_NOT_LINKED,
    EMAIL_IN_USE,
    EMAIL_MISSING,
    PRIVATE_CLIENT,
    SUSPECT_CLIENT,
)
from domain.links import SYNC_STATES
from schemas.base import BaseSchema, StrictBoolean, UtcDateTime, page_schema

REASONS = (PRIVATE_CLIENT, SUSPECT_CLIENT, CLIENT_NOT_LINKED, EMAIL_MISSING, EMAIL_IN_USE)


class SyncSchema(BaseSchema):
    state = fields.String(validate=validate.OneOf(SYNC_STATES))
    remote_id = fields.String(allow_none=True, metadata={"description": "CaseWare Cloud's CWGuid"})
    last_synced_at = UtcDateTime(allow_none=True)
    last_error = fields.String(allow_none=True, metadata={"description": "Why, and what to fix"})


class CaseWareCloudLinkSchema(BaseSchema):
    active = fields.Boolean(metadata={"description": 'The switch: "Koppelen met CaseWare Cloud"'})
    eligible = fields.Boolean()
    ineligible_reasons = fields.List(fields.String(validate=validate.OneOf(REASONS)))
    sync = fields.Nested(SyncSchema)
    changed_at = UtcDateTime(allow_none=True)
    changed_by = fields.String(allow_none=True, metadata={"description": "Token name or user"})


class LinksSchema(BaseSchema):
    """One key per linked system; today only CaseWare Cloud."""

    caseware_cloud = fields.Nested(CaseWareCloudLinkSchema)


class SwitchSchema(BaseSchema):
    active = StrictBoolean(required=True, metadata={"description": "true: link; false: unlink"})


class LinksPatchSchema(BaseSchema):
    """{"caseware_cloud": {"active": true}} or false."""

    caseware_cloud = fields.Nested(SwitchSchema, required=True)


class LinkEventSchema(BaseSchema):
    at = UtcDateTime()
    actor = fields.String()
    action = fields.String(
        metadata={"enum": ["link_on", "link_off", "auto_unlink", "forward", "delivery"]}
    )
    result = fields.String(metadata={"enum": ["synced", "pending", "failed", "refused"]})
    detail = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)


LinkHistoryPageSchema = page_schema(LinkEventSchema, "LinkHistoryPage")


def _example(active, state, *, reasons=(), error=None, remote=True) -> dict:
    return {
        "value": {
            "caseware_cloud": {
                "active": active,
                "eligible": not reasons,
                "ineligible_reasons": list(reasons),
                "sync": {
                    "state": state,
                    "remote_id": "0f7c2b1e-8d1a-4c55-9f0e-6b3d2a1c9e77" if remote else None,
                    "last_synced_at": "2026-11-29T10:00:00Z" if remote else None,
                    "last_error": error,
                },
                "changed_at": "2026-11-29T09:59:59Z" if remote else None,
                "changed_by": "frontend" if remote else None,
            }
        }
    }


LINK_EXAMPLES = {
    "synced": _example(True, "synced"),
    "pending": _example(True, "pending"),
    "failed": _example(
        True,
        "failed",
        error="CaseWare Cloud already has another login with this e-mail address; "
        "give the contact an address of its own.",
    ),
    "off": _example(False, "off", remote=False),
    "ineligible": _example(False, "off", reasons=[CLIENT_NOT_LINKED, EMAIL_MISSING], remote=False),
}
