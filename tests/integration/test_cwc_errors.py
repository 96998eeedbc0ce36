"""CWC's refusals as typed errors, 404s that count as done, ambiguity, paging and field maps."""

from __future__ import annotations

import json
import uuid

import pytest

from adapters.caseware_cloud import (
    CwcAmbiguous,
    CwcEmailInUse,
    CwcNotFound,
    CwcRejected,
    CwcUnavailable,
)
from tests.integration.cwc_helpers import calls_to, entity_in, user_in


def test_400_is_rejected_with_cwcs_message_and_not_retried(sim, cwc, contact_record):
    with pytest.raises(CwcRejected) as caught:
        cwc.create_user({**contact_record, "first_name": "A" * 31})

    error = caught.value
    assert not isinstance(error, CwcUnavailable)
    assert (error.status, error.method, error.path) == (400, "POST", "users")
    assert "FirstName may be at most 30" in error.cwc_message
    assert "FirstName may be at most 30" in str(error)
    assert len(calls_to(sim, "POST", "/users")) == 1
    assert sim.state()["users"] == []


def test_an_overlong_email_is_rejected(sim, cwc, contact_record):
    with pytest.raises(CwcRejected) as caught:
        cwc.ensure_user({**contact_record, "email": "a" * 95 + "@x.example"})
    assert caught.value.status == 400


def test_403_is_rejected(sim, cwc):
    sim.set_faults(fail_next={"count": 1, "status": 403, "path_contains": "/entities"})

    with pytest.raises(CwcRejected) as caught:
        cwc.find_entity("1")
    assert caught.value.status == 403
    assert len(calls_to(sim, "GET", "/entities")) == 1


def test_404_on_an_update_is_not_found(sim, cwc):
    unknown = str(uuid.uuid4())

    with pytest.raises(CwcNotFound):
        cwc.update_entity(unknown, {"name": "X"})
    with pytest.raises(CwcNotFound):
        cwc.update_user(unknown, {"last_name": "X"})
    with pytest.raises(CwcNotFound):
        cwc.reactivate_user(unknown)


def test_withdrawing_and_deactivating_the_unknown_counts_as_done(sim, cwc, client_record):
    entity = cwc.create_entity(client_record)
    unknown = str(uuid.uuid4())

    cwc.withdraw_access(unknown, unknown)
    cwc.withdraw_access(entity, unknown)
    cwc.deactivate_user(unknown)
    cwc.set_entity_inactive(unknown)
    cwc.unlink_contact(entity, unknown, still_linked_elsewhere=False)

    answered = [c["status"] for c in sim.calls() if c["method"] == "PATCH"]
    assert answered == [404] * 6


def test_409_is_email_in_use(sim, cwc, contact_record):
    sim.seed(users=[{"Email": "ANNA@devries.example"}])

    with pytest.raises(CwcEmailInUse) as caught:
        cwc.create_user(contact_record)
    assert caught.value.status == 409
    assert len(sim.state()["users"]) == 1


def test_changing_to_an_email_in_use_is_email_in_use(sim, cwc, contact_record):
    other = cwc.create_user({**contact_record, "email": "piet@devries.example"})
    guid = cwc.ensure_user(contact_record)

    with pytest.raises(CwcEmailInUse):
        cwc.update_user(guid, {"email": "Piet@DeVries.example"})
    with pytest.raises(CwcEmailInUse):
        cwc.ensure_user({**contact_record, "email": "piet@devries.example"}, known_guid=guid)
    assert user_in(sim, guid)["Email"] == "anna@devries.example"
    assert user_in(sim, other)["Email"] == "piet@devries.example"


def test_email_in_another_case_is_found_by_scanning_all_pages(sim, make_cwc, contact_record):
    cwc = make_cwc(CWC_PAGE_SIZE="2")
    sim.seed(users=[{"Email": f"user{n}@x.example"} for n in range(4)])
    [guid] = sim.seed(users=[{"Email": "Anna@DeVries.Example", "Type": "I"}])["users"]

    assert cwc.ensure_user(contact_record) == guid

    assert "page=3" in calls_to(sim, "GET", "/users")[-1]["query"]
    assert user_in(sim, guid)["Type"] == "A"
    assert len(sim.state()["users"]) == 5


def test_two_entities_with_one_number_are_ambiguous(sim, make_cwc, client_record):
    cwc = make_cwc(CWC_PAGE_SIZE="1")  # the second match is on page 2
    sim.seed(entities=[{"EntityNo": "1001", "Name": "A"}, {"EntityNo": "1001", "Name": "B"}])

    with pytest.raises(CwcAmbiguous) as caught:
        cwc.find_entity("1001")
    assert isinstance(caught.value, CwcRejected)
    assert "1001" in str(caught.value)

    with pytest.raises(CwcAmbiguous):
        cwc.ensure_entity(client_record)
    assert [e["Name"] for e in sim.state()["entities"]] == ["A", "B"]


def test_field_map_override_changes_what_is_sent(sim, make_cwc, client_record, contact_record):
    overrides = {
        "entity": {"website": "Url", "facebook": None},
        "user": {"mobile": ["MobilePhone", "Mobile"]},
        "values": {"address_category": "Office"},
    }
    cwc = make_cwc(CWC_FIELD_MAP=json.dumps(overrides))

    entity = entity_in(sim, cwc.create_entity(client_record))
    user = user_in(sim, cwc.create_user(contact_record))

    assert entity["Url"] == "https://devries.example"
    assert entity["WebSite"] is None and entity["Facebook"] is None
    assert entity["Twitter"] == "@devries"
    assert [a["AddressCategory"] for a in entity["addresses"]] == ["Office"]
    assert user["MobilePhone"] == user["Mobile"] == "06-12345678"
    assert cwc.ensure_entity(client_record) == entity["CWGuid"]
    assert len(entity_in(sim, entity["CWGuid"])["addresses"]) == 1


def test_a_bad_field_map_is_refused_at_start(make_cwc):
    with pytest.raises(ValueError, match="no AuditCase field"):
        make_cwc(CWC_FIELD_MAP='{"entity": {"colour": "Colour"}}')
    with pytest.raises(ValueError, match="must map to a CWC property"):
        make_cwc(CWC_FIELD_MAP='{"entity": {"number": null}}')
