"""In steady state a forwarded change costs exactly one CaseWare Cloud call per changed resource:
no token call, no search, no read. A later change cannot quietly add one."""

import pytest

from tests.api.links_support import entities, switch, users


@pytest.fixture
def linked(http, auth, new_client, new_contact, cwc_sim):
    """A linked client and contact, after one address change has taught the gateway its
    address's CWGuid (an address POST answers only an integer Id)."""
    client = new_client(city="Utrecht", address="Dorpsstraat 1")
    assert switch(http, auth, "client", client["id"], True).status_code == 200
    contact = new_contact(client["id"], email="piet@jansen.example")
    assert switch(http, auth, "contact", contact["id"], True).status_code == 200
    http.patch(f"/v1/clients/{client['id']}", json={"city": "Bunnik"}, headers=auth)
    cwc_sim.clear_calls()
    return client, contact


def calls(cwc_sim) -> list[tuple[str, str]]:
    return [(c["method"], c["path"]) for c in cwc_sim.calls()]


def change(http, auth, kind, record_id, fields):
    response = http.patch(f"/v1/{kind}s/{record_id}", json=fields, headers=auth)
    assert response.status_code == 200, response.get_json()


def test_an_entity_field_is_one_patch_of_the_entity(http, auth, cwc_sim, linked):
    client, _ = linked
    change(http, auth, "client", client["id"], {"website": "https://jansen.example"})

    [entity] = entities(cwc_sim)
    assert calls(cwc_sim) == [("PATCH", f"/entities/{entity['CWGuid']}")]


def test_an_address_field_is_one_patch_of_the_address(http, auth, cwc_sim, linked):
    client, _ = linked
    change(http, auth, "client", client["id"], {"city": "Zeist"})

    [address] = entities(cwc_sim)[0]["addresses"]
    assert calls(cwc_sim) == [("PATCH", f"/entities/addresses/{address['CWGuid']}")]
    assert address["City"] == "Zeist"


def test_both_are_one_call_each(http, auth, cwc_sim, linked):
    client, _ = linked
    change(http, auth, "client", client["id"], {"phone": "030-7654321", "postcode": "3981 AB"})

    [entity] = entities(cwc_sim)
    assert calls(cwc_sim) == [
        ("PATCH", f"/entities/{entity['CWGuid']}"),
        ("PATCH", f"/entities/addresses/{entity['addresses'][0]['CWGuid']}"),
    ]


def test_a_contact_field_is_one_patch_of_the_user(http, auth, cwc_sim, linked):
    _, contact = linked
    change(http, auth, "contact", contact["id"], {"phone": "06-12345678"})

    [user] = users(cwc_sim)
    assert calls(cwc_sim) == [("PATCH", f"/users/{user['CWGuid']}")]


def test_an_address_gone_from_cwc_is_looked_up_once_and_learnt_again(http, auth, cwc_sim, linked):
    client, _ = linked
    cwc_sim.set_faults(fail_next={"status": 404, "method": "PATCH", "path_contains": "addresses"})
    change(http, auth, "client", client["id"], {"city": "Zeist"})
    change(http, auth, "client", client["id"], {"city": "Houten"})

    [entity] = entities(cwc_sim)
    address = f"/entities/addresses/{entity['addresses'][0]['CWGuid']}"
    assert calls(cwc_sim) == [
        ("PATCH", address),  # the 404
        ("GET", f"/entities/{entity['CWGuid']}/addresses"),
        ("PATCH", address),
        ("PATCH", address),  # learnt: one call again
    ]
    assert entity["addresses"][0]["City"] == "Houten"
