"""The simulator's search grammar and paging, against caseware-cloud.md."""

from __future__ import annotations

import pytest

from adapters.caseware_cloud.simulator.search import parse_search
from adapters.caseware_cloud.simulator.store import SimError
from tests.unit.simulator_support import SimApi, error_message

FIELDS = ("Id", "EntityNo", "Name")


@pytest.fixture
def api() -> SimApi:
    return SimApi()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EntityNo='1001'", ("EntityNo", "=", "1001")),
        ("Name='O''Brien'", ("Name", "=", "O'Brien")),
        ("Name=''''", ("Name", "=", "'")),
        ("Name=''", ("Name", "=", "")),
        ("Id>3", ("Id", ">", 3)),
        ("Id<2.5", ("Id", "<", 2.5)),
        ("Id<>3", ("Id", "<>", 3)),
        ("Name<>'x'", ("Name", "<>", "x")),
        ("Name = 'spaced'", ("Name", "=", "spaced")),
        ("Name='a=b AND c'", ("Name", "=", "a=b AND c")),
    ],
)
def test_parse_valid_searches(text, expected):
    condition = parse_search(text, FIELDS)
    assert (condition.field, condition.operator, condition.value) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "EntityNo",
        "EntityNo=",
        "EntityNo=1001'",
        "EntityNo='1001",
        "EntityNo='it''s",
        "EntityNo=abc",
        "EntityNo=='1'",
        "EntityNo~'1'",
        "EntityNo>='1'",
        "='1'",
        "Colour='red'",
        "EntityNo='1' and Name='x'",
        "EntityNo='1',Name='x'",
        "EntityNo='1' or 1=1",
    ],
)
def test_malformed_searches_are_400(text):
    with pytest.raises(SimError) as caught:
        parse_search(text, FIELDS)
    assert caught.value.status == 400


def names(answer):
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert isinstance(body, list)
    return [item["Name"] for item in body]


def test_search_matches_strings_exactly(api):
    api.create_entity(EntityNo="1001", Name="a")
    api.create_entity(EntityNo="10011", Name="b")
    api.create_entity(EntityNo="1001 ", Name="c")

    assert names(api("GET", "/entities", query={"search": "EntityNo='1001'"})) == ["a"]
    assert names(api("GET", "/entities", query={"search": "EntityNo='100'"})) == []


def test_search_is_case_sensitive(api):
    api.create_user(Email="Anna@Example.com", FirstName="A", LastName="L")

    assert api("GET", "/users", query={"search": "Email='anna@example.com'"}).get_json() == []
    found = api("GET", "/users", query={"search": "Email='Anna@Example.com'"}).get_json()
    assert len(found) == 1


def test_search_unescapes_doubled_quotes(api):
    api.create_entity(Name="O'Brien & Zn")
    api.create_entity(Name="OBrien")

    assert names(api("GET", "/entities", query={"search": "Name='O''Brien & Zn'"})) == [
        "O'Brien & Zn"
    ]


def test_search_comparisons(api):
    for name in ("a", "b", "c"):
        api.create_entity(Name=name)

    assert names(api("GET", "/entities", query={"search": "Id>1"})) == ["b", "c"]
    assert names(api("GET", "/entities", query={"search": "Id<2"})) == ["a"]
    assert names(api("GET", "/entities", query={"search": "Name<>'b'"})) == ["a", "c"]
    assert names(api("GET", "/entities", query={"search": "Name>'a'"})) == ["b", "c"]


@pytest.mark.parametrize("query", ["search=", "search=%20%20", "Search=&page=1&pageSize=50"])
def test_an_empty_search_returns_everything(api, query):
    api.create_entity(Name="a")
    api.create_entity(Name="b")

    answer = api.http.get(
        f"{api.prefix}/entities?{query}", headers={"Authorization": f"Bearer {api.token()}"}
    )

    assert names(answer) == ["a", "b"]


def test_a_bad_search_is_400_in_cwc_shape(api):
    answer = api("GET", "/entities", query={"search": "EntityNo='1"})

    assert answer.status_code == 400
    assert "search" in error_message(answer).lower()


def test_a_field_only_some_records_have_is_searchable(api):
    api.create_entity(Name="a", Url="https://a.example")

    assert names(api("GET", "/entities", query={"search": "Url='https://a.example'"})) == ["a"]


# Paging ------------------------------------------------------------------------------


@pytest.fixture
def five(api):
    for n in range(5):
        api.create_entity(Name=f"e{n}")
    return api


@pytest.mark.parametrize(
    ("page", "size", "expected"),
    [
        (1, 2, ["e0", "e1"]),
        (2, 2, ["e2", "e3"]),
        (3, 2, ["e4"]),
        (4, 2, []),
        (1, 100, ["e0", "e1", "e2", "e3", "e4"]),
        (1, 50, ["e0", "e1", "e2", "e3", "e4"]),
        (2, 100, []),
    ],
)
def test_pages_are_bare_arrays_from_1_and_empty_past_the_end(five, page, size, expected):
    assert names(five("GET", "/entities", query={"page": page, "pageSize": size})) == expected


@pytest.mark.parametrize(
    "query",
    [
        {"pageSize": 101},
        {"pageSize": 0},
        {"page": 0},
        {"page": -1},
        {"pageSize": "ten"},
        {"page": "1.5"},
    ],
)
def test_bad_paging_is_400(five, query):
    answer = five("GET", "/entities", query=query)
    assert answer.status_code == 400
    error_message(answer)


def test_search_and_paging_combine(five):
    query = {"search": "Name<>'e0'", "page": 2, "pageSize": 3}
    assert names(five("GET", "/entities", query=query)) == ["e4"]


def test_users_roles_and_addresses_page_too(api):
    for n in range(3):
        api.create_user(Email=f"u{n}@example.com")

    assert len(api("GET", "/users", query={"pageSize": 2}).get_json()) == 2
    assert api("GET", "/users", query={"pageSize": 500}).status_code == 400
    assert len(api("GET", "/roles", query={"pageSize": 1}).get_json()) == 1
