"""A dry run's prediction for one record: what its switch would do, changing nothing.

The same checks as services/links.py, in the same order (a switch already in the asked state
is unchanged before eligibility is asked), on what the gateway holds now plus what the job's
earlier records would have done by then (a client it would link; a login it would take).
CaseWare Cloud is only read: is there an entity with this number, a user with this login?
What CaseWare Cloud decides only when written to (a login that belongs to staff, say) shows
in the real run as `refused`.
"""

from dataclasses import dataclass, field

from adapters.caseware_cloud.errors import CwcRejected
from domain import eligibility
from domain import links as L
from domain.emails import login_key
from services import link_jobs as J
from services.refusals import explain_refusal


@dataclass(frozen=True)
class Prediction:
    outcome: str
    detail: str | None = None
    reasons: list[str] = field(default_factory=list)


def _switched_on(row) -> bool:
    """The switch is on and CaseWare Cloud has not refused it: switching on changes nothing."""
    return row.id is not None and row.active and row.sync_state != L.FAILED


def predict(reader, cwc, job, record) -> Prediction:
    """What switching `record` as `job` asks would do; reads the gateway, then CaseWare Cloud."""
    with reader:
        if record.record_type == "client":
            row = reader.links.client_view(record.record_id)
            client = reader.clients.get(record.record_id)
            number = client.number if client else None
        else:
            row = reader.links.contact_view(record.record_id)
            client_result = reader.link_jobs.result_of(job.id, "client", record.client_id)
            email_taken_in_job = bool(row and row.email) and reader.link_jobs.login_chosen_by_job(
                job.id, login_key(row.email), record.record_id
            )
    if job.action == J.UNLINK:
        return _unlink(record.record_type, row)
    if record.record_type == "client":
        return _link_client(cwc, row, number)
    client_would_link = client_result is not None and client_result.outcome == J.WOULD_LINK
    return _link_contact(cwc, row, client_would_link, email_taken_in_job)


def _unlink(record_type: str, row) -> Prediction:
    if row is None:
        return Prediction(J.UNCHANGED, f"the {record_type} no longer exists")
    if not (row.id is not None and row.active):
        return Prediction(J.UNCHANGED, "not linked")
    if record_type == "client":
        return Prediction(J.WOULD_UNLINK, "entity would be set inactive (never deleted)")
    return Prediction(J.WOULD_UNLINK, "access would be withdrawn and the user set inactive")


def _link_client(cwc, row, number: str | None) -> Prediction:
    if row is None:
        return Prediction(J.NOT_ELIGIBLE, "the client no longer exists")
    if _switched_on(row):
        return Prediction(J.UNCHANGED, "already linked")
    reasons = eligibility.client_ineligible_reasons(row.kind, row.status)
    if reasons:
        return Prediction(J.NOT_ELIGIBLE, not_eligible_detail(reasons), reasons)
    if row.remote_id:
        return Prediction(J.WOULD_LINK, "entity would be adopted (linked to it before)")
    try:
        found = cwc.find_entity(number)
    except CwcRejected as refusal:  # two entities with this number, say
        return Prediction(J.REFUSED, "CaseWare Cloud would refuse: " + explain_refusal(refusal))
    if found:
        return Prediction(J.WOULD_LINK, f"entity would be adopted (number {number} exists)")
    return Prediction(J.WOULD_LINK, "entity would be created")


def _link_contact(cwc, row, client_would_link: bool, email_taken_in_job: bool) -> Prediction:
    if row is None:
        return Prediction(J.NOT_ELIGIBLE, "the contact no longer exists")
    if _switched_on(row):
        return Prediction(J.UNCHANGED, "already linked")
    reasons = eligibility.contact_ineligible_reasons(
        client_linked=bool(row.client_linked) or client_would_link,
        email=row.email,
        email_used_by_other_linked_contact=bool(row.email)
        and (bool(row.email_in_use) or email_taken_in_job),
    )
    if reasons:
        return Prediction(J.NOT_ELIGIBLE, not_eligible_detail(reasons), reasons)
    if row.remote_id:
        return Prediction(J.WOULD_LINK, "user would be adopted (linked to it before)")
    try:
        found = cwc.find_user(row.email)
    except CwcRejected as refusal:
        return Prediction(J.REFUSED, "CaseWare Cloud would refuse: " + explain_refusal(refusal))
    if found:
        return Prediction(J.WOULD_LINK, "user would be adopted (its e-mail address exists)")
    return Prediction(J.WOULD_LINK, "user would be created")


def not_eligible_detail(reasons: list[str]) -> str:
    """The detail of a not_eligible result, the same in a dry run and a real one."""
    return "cannot be linked: " + ", ".join(reasons)
