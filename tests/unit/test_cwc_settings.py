"""The CWC_ settings and the field-map overrides."""

from __future__ import annotations

import pytest

from adapters.caseware_cloud import CaseWareCloud, CwcSettings, load_field_maps

BASE = {
    "CWC_BASE_URL": "https://eu.casewarecloud.example/firm/ms/caseware-cloud/api/v2",
    "CWC_CLIENT_ID": "id",
    "CWC_CLIENT_SECRET": "very-secret",
}


def test_defaults():
    settings = CwcSettings.from_mapping(BASE)

    assert (settings.connect_timeout, settings.read_timeout) == (3.05, 10.0)
    assert (settings.max_attempts, settings.token_ttl, settings.page_size) == (3, 1740.0, 50)
    assert settings.collaborator_role == "Contact - Entity Collaborator"
    assert "very-secret" not in repr(settings)


def test_strings_from_the_environment_are_parsed():
    settings = CwcSettings.from_mapping(
        {**BASE, "CWC_READ_TIMEOUT": "2.5", "CWC_MAX_ATTEMPTS": "5", "CWC_POOL_SIZE": " "}
    )
    assert (settings.read_timeout, settings.max_attempts, settings.pool_size) == (2.5, 5, 10)


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"CWC_CLIENT_SECRET": ""}, "CWC_CLIENT_SECRET"),
        ({"CWC_BASE_URL": "eu.casewarecloud.example"}, "CWC_BASE_URL"),
        ({"CWC_TOKEN_TTL": "1800"}, "CWC_TOKEN_TTL"),
        ({"CWC_PAGE_SIZE": "101"}, "CWC_PAGE_SIZE"),
        ({"CWC_MAX_ATTEMPTS": "0"}, "CWC_MAX_ATTEMPTS"),
        ({"CWC_READ_TIMEOUT": "0"}, "CWC_READ_TIMEOUT"),
        ({"CWC_CONNECT_TIMEOUT": "fast"}, "CWC_CONNECT_TIMEOUT"),
        ({"CWC_FIELD_MAP": "{not json"}, "CWC_FIELD_MAP"),
    ],
)
def test_bad_settings_are_refused(changes, complaint):
    with pytest.raises(ValueError, match=complaint):
        CwcSettings.from_mapping({**BASE, **changes})


def test_from_config_builds_a_gateway_without_calling_cwc():
    gateway = CaseWareCloud.from_config({**BASE, "CWC_FIELD_MAP": {"user": {"mobile": "Mobile"}}})

    assert gateway.maps.user["mobile"] == ("Mobile",)
    assert "very-secret" not in repr(gateway.http)
    gateway.close()


def test_default_maps_follow_caseware_cloud_md():
    maps = load_field_maps()
    client = {
        "number": "1",
        "name": "N",
        "address": "A 1",
        "postcode": "P",
        "city": "C",
        "country": "NL",
        "phone": "p",
        "email": "e",
        "website": "w",
        "facebook": "f",
        "twitter": "t",
        "linkedin": "l",
        "status": "active",
    }

    assert maps.to_cwc("entity", client) == {
        "EntityNo": "1",
        "Name": "N",
        "OperatingName": "N",
        "CountryCode": "NL",
        "Phone": "p",
        "Email": "e",
        "WebSite": "w",
        "Facebook": "f",
        "Twitter": "t",
        "LinkedIn": "l",
    }
    assert maps.to_cwc("address", client) == {
        "Name": "N",
        "Address1": "A 1",
        "PostalCode": "P",
        "City": "C",
        "Country": "NL",
    }
    contact = {
        "first_name": "F",
        "infix": "van",
        "last_name": "L",
        "initials": "I",
        "email": "e",
        "phone": "p",
        "mobile": "m",
        "id": 4,
    }
    assert maps.to_cwc("user", contact) == {
        "FirstName": "F",
        "MiddleName": "van",
        "LastName": "L",
        "Initials": "I",
        "Email": "e",
        "Phone": "p",
        "MobilePhone": "m",
    }
    assert (maps.key_property("entity"), maps.key_property("user")) == ("EntityNo", "Email")


def test_overrides_rename_multiply_and_drop():
    maps = load_field_maps(
        '{"entity": {"website": "Url", "facebook": null, "number": ["ClientNo", "EntityNo"]},'
        ' "values": {"inactive_type": "X"}}'
    )

    body = maps.to_cwc("entity", {"website": "w", "facebook": "f", "number": "1"})
    assert body == {"Url": "w", "ClientNo": "1", "EntityNo": "1"}
    assert maps.key_property("entity") == "ClientNo"
    assert maps.values["inactive_type"] == "X"
    assert load_field_maps().entity["website"] == ("WebSite",)  # defaults untouched


@pytest.mark.parametrize(
    "overrides",
    [
        {"client": {}},
        {"entity": {"colour": "Colour"}},
        {"entity": {"website": 5}},
        {"entity": {"website": [""]}},
        {"user": {"email": None}},
        {"values": {"shade": "x"}},
        {"values": {"active_type": ""}},
        "[1, 2]",
    ],
)
def test_bad_overrides_are_refused(overrides):
    with pytest.raises(ValueError):
        load_field_maps(overrides)
