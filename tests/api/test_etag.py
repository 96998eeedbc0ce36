"""Strong ETags on single resources; If-Match guards PATCH and DELETE against lost updates.

Each test runs on a client and on a contact (the `resources` fixture)."""

import pytest


def _tag(response) -> str:
    tag = response.headers.get("ETag")
    assert tag, f"no ETag on {response.request.method} {response.request.path}"
    assert not tag.startswith("W/"), f"weak tag {tag}"
    assert tag.startswith('"') and tag.endswith('"') and len(tag) > 2, tag
    return tag


@pytest.fixture
def resources(http, auth):
    """[(url, tag answered on creation, a change)] for a client and one of its contacts."""
    client = http.post("/v1/clients", json={"number": "1001", "name": "Jansen"}, headers=auth)
    contact = http.post(
        f"/v1/clients/{client.get_json()['id']}/contacts", json={"last_name": "Berg"}, headers=auth
    )
    return [
        (f"/v1/contacts/{contact.get_json()['id']}", _tag(contact), {"infix": "van"}),
        (f"/v1/clients/{client.get_json()['id']}", _tag(client), {"name": "Pietersen"}),
    ]


def test_get_post_and_patch_carry_the_same_strong_tag_for_the_same_version(http, auth, resources):
    for url, created_tag, _change in resources:
        assert _tag(http.get(url, headers=auth)) == created_tag
        assert _tag(http.get(url, headers=auth)) == created_tag  # reading changes nothing
        unchanged = http.patch(url, json={}, headers=auth)
        assert unchanged.status_code == 200
        assert _tag(unchanged) == created_tag
    assert len({tag for _url, tag, _change in resources}) == len(resources)  # tags differ


def test_the_tag_changes_with_the_resource_and_only_then(http, auth, resources):
    seconds = {}
    for url, first, change in resources:
        changed = http.patch(url, json=change, headers=auth)
        seconds[url] = _tag(changed)
        assert seconds[url] != first, url
        assert _tag(http.get(url, headers=auth)) == seconds[url]

        same_values = http.patch(url, json=change, headers=auth)  # changes nothing
        assert same_values.status_code == 200
        assert _tag(same_values) == seconds[url]
        read = http.get(url, headers=auth).get_json()
        assert read["updated_at"] == changed.get_json()["updated_at"]
    # The client changed after its contact: the contact's tag stays.
    assert {url: _tag(http.get(url, headers=auth)) for url in seconds} == seconds


def test_patch_with_a_stale_tag_is_a_412_and_changes_nothing(http, auth, resources, problem):
    for url, stale, change in resources:
        http.patch(url, json=change, headers=auth)
        current = http.get(url, headers=auth)

        for if_match in (stale, f"W/{_tag(current)}", '"nonsense"', f'{stale}, "other"'):
            response = http.patch(url, json={"phone": "0"}, headers={**auth, "If-Match": if_match})
            problem(response, 412, "precondition_failed")

        after = http.get(url, headers=auth)
        assert after.get_json() == current.get_json()
        assert _tag(after) == _tag(current)


def test_delete_with_a_stale_tag_is_a_412_and_deletes_nothing(
    http, auth, resources, problem, snapshot
):
    client_id = int(resources[1][0].rsplit("/", 1)[1])
    for url, stale, change in resources:
        http.patch(url, json=change, headers=auth)
        before = snapshot([client_id])

        problem(http.delete(url, headers={**auth, "If-Match": stale}), 412, "precondition_failed")

        assert http.get(url, headers=auth).status_code == 200
        assert snapshot([client_id]) == before


def test_patch_succeeds_with_the_current_tag_a_star_or_no_if_match(http, auth, resources):
    for url, current, change in resources:
        response = http.patch(url, json=change, headers={**auth, "If-Match": current})
        assert response.status_code == 200
        assert http.get(url, headers=auth).get_json() == response.get_json()

        # Of several tags, one current one is enough.
        newer = _tag(response)
        both = http.patch(url, json={"phone": "1"}, headers={**auth, "If-Match": f'"x", {newer}'})
        assert both.status_code == 200
        assert http.get(url, headers=auth).get_json()["phone"] == "1"

        star = http.patch(url, json={"phone": "2"}, headers={**auth, "If-Match": "*"})
        assert star.status_code == 200
        assert http.patch(url, json={"phone": "3"}, headers=auth).status_code == 200
        assert http.get(url, headers=auth).get_json()["phone"] == "3"


def test_delete_succeeds_with_the_current_tag_a_star_or_no_if_match(http, auth, problem):
    for number, if_match in [("1", "current"), ("2", "*"), ("3", None)]:
        client = http.post("/v1/clients", json={"number": number, "name": "x"}, headers=auth)
        url = f"/v1/clients/{client.get_json()['id']}"
        contact = http.post(f"{url}/contacts", json={"last_name": "y"}, headers=auth)
        for response in (contact, client):  # the contact first: it goes with its client
            header = {"If-Match": _tag(response) if if_match == "current" else if_match}
            location = response.headers["Location"]
            answer = http.delete(location, headers={**auth, **(header if if_match else {})})
            assert answer.status_code == 204, (if_match, location)
            problem(http.get(location, headers=auth), 404, "not_found")


def test_a_deleted_clients_tag_never_matches_a_new_client(http, auth):
    old = http.post("/v1/clients", json={"number": "1", "name": "Old"}, headers=auth)
    old_id, old_tag = old.get_json()["id"], _tag(old)
    assert http.delete(f"/v1/clients/{old_id}", headers=auth).status_code == 204
    new = http.post("/v1/clients", json={"number": "2", "name": "New"}, headers=auth)
    new_id = new.get_json()["id"]

    response = http.patch(
        f"/v1/clients/{new_id}", json={"name": "Lost update"}, headers={**auth, "If-Match": old_tag}
    )

    assert new_id != old_id, "a deleted client's id was given to a new client"
    assert response.status_code == 412
    assert http.get(f"/v1/clients/{new_id}", headers=auth).get_json()["name"] == "New"


@pytest.mark.parametrize("if_match", ["", "nonsense", '"unclosed', '"a" "b"', "W/"])
def test_a_malformed_if_match_is_a_422_naming_it_and_changes_nothing(
    http, auth, resources, problem, if_match
):
    for url, _tag_on_creation, change in resources:
        before = http.get(url, headers=auth)

        response = http.patch(url, json=change, headers={**auth, "If-Match": if_match})
        problem(response, 422, "validation_error", field="If-Match")
        deleted = http.delete(url, headers={**auth, "If-Match": if_match})
        problem(deleted, 422, "validation_error", field="If-Match")

        assert http.get(url, headers=auth).get_json() == before.get_json()
