"""AuditCase -> CaseWare Cloud field maps: one declarative table per resource.

Each table maps an AuditCase field (our language) to the CWC properties it fills. Names
marked (A-n) rest on an assumption of caseware-cloud.md part C; a firm corrects them for
its own CWC without code changes through CWC_FIELD_MAP, a JSON object such as

    {"entity": {"website": "Url", "facebook": null},
     "user": {"mobile": ["MobilePhone", "Mobile"]},
     "values": {"address_category": "Office"}}

A string renames, a list fills several properties, null stops sending the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

# client -> entity
ENTITY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "number": ("EntityNo",),
    "name": ("Name", "OperatingName"),
    "country": ("CountryCode",),
    "phone": ("Phone",),
    "email": ("Email",),
    "website": ("WebSite",),
    "facebook": ("Facebook",),
    "twitter": ("Twitter",),
    "linkedin": ("LinkedIn",),
}

# client -> the entity's Business address. The address carries the client's name too:
# caseware-cloud.md lists Name in the address body without saying what fills it.
ADDRESS_FIELDS: Mapping[str, tuple[str, ...]] = {
    "name": ("Name",),
    "address": ("Address1",),
    "postcode": ("PostalCode",),
    "city": ("City",),
    "country": ("Country",),
}

# contact -> user
USER_FIELDS: Mapping[str, tuple[str, ...]] = {
    "first_name": ("FirstName",),
    "infix": ("MiddleName",),
    "last_name": ("LastName",),
    "initials": ("Initials",),
    "email": ("Email",),
    "phone": ("Phone",),
    "mobile": ("MobilePhone",),
}

# Fixed values the wire format needs, kept here because some rest on assumptions too.
WIRE_VALUES: Mapping[str, str] = {
    "entity_owner_type": "Client",
    "contact_owner_type": "Contact",
    "active_type": "A",
    "inactive_type": "I",
    "address_category": "Business",
}

DEFAULT_TABLES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "entity": ENTITY_FIELDS,
    "address": ADDRESS_FIELDS,
    "user": USER_FIELDS,
}

# Fields the adapter searches on; a map must keep at least one property for them.
KEY_FIELDS = {"entity": "number", "user": "email"}


@dataclass(frozen=True)
class FieldMaps:
    """The field tables in force, defaults with a firm's overrides applied."""

    entity: Mapping[str, tuple[str, ...]]
    address: Mapping[str, tuple[str, ...]]
    user: Mapping[str, tuple[str, ...]]
    values: Mapping[str, str]

    def table(self, resource: str) -> Mapping[str, tuple[str, ...]]:
        """The table of one resource: entity, address or user."""
        return getattr(self, resource)

    def to_cwc(self, resource: str, record: Mapping[str, Any]) -> dict[str, Any]:
        """The CWC properties for the synced fields present in an AuditCase record."""
        table = self.table(resource)
        body: dict[str, Any] = {}
        for field, value in record.items():
            for cwc_name in table.get(field, ()):
                body[cwc_name] = value
        return body

    def touches(self, resource: str, record: Mapping[str, Any]) -> bool:
        """Whether the record holds any field that this resource carries."""
        table = self.table(resource)
        return any(table.get(field) for field in record)

    def key_property(self, resource: str) -> str:
        """The CWC property searched on to find a resource by its natural key."""
        return self.table(resource)[KEY_FIELDS[resource]][0]


def load_field_maps(overrides: Mapping[str, Any] | str | None = None) -> FieldMaps:
    """Build the field maps, applying overrides (a dict or its JSON text) to the defaults."""
    if isinstance(overrides, str):
        overrides = json.loads(overrides) if overrides.strip() else None
    overrides = overrides or {}
    if not isinstance(overrides, Mapping):
        raise ValueError("CWC_FIELD_MAP must be a JSON object")
    unknown = set(overrides) - {*DEFAULT_TABLES, "values"}
    if unknown:
        raise ValueError(f"CWC_FIELD_MAP: unknown section(s) {sorted(unknown)}")

    tables = {
        resource: _override_table(resource, default, overrides.get(resource) or {})
        for resource, default in DEFAULT_TABLES.items()
    }
    values = dict(WIRE_VALUES)
    for name, value in (overrides.get("values") or {}).items():
        if name not in WIRE_VALUES or not isinstance(value, str) or not value:
            raise ValueError(f"CWC_FIELD_MAP: bad value override {name!r}")
        values[name] = value
    return FieldMaps(values=MappingProxyType(values), **tables)


def _override_table(
    resource: str, default: Mapping[str, tuple[str, ...]], changes: Mapping[str, Any]
) -> Mapping[str, tuple[str, ...]]:
    table = dict(default)
    for field, names in changes.items():
        if field not in default:
            raise ValueError(f"CWC_FIELD_MAP: {resource} has no AuditCase field {field!r}")
        table[field] = _as_names(resource, field, names)
    key = KEY_FIELDS.get(resource)
    if key and not table[key]:
        raise ValueError(f"CWC_FIELD_MAP: {resource}.{key} must map to a CWC property")
    return MappingProxyType(table)


def _as_names(resource: str, field: str, names: Any) -> tuple[str, ...]:
    if names is None:
        return ()
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"CWC_FIELD_MAP: {resource}.{field} must be a name, a list or null")
    return tuple(names)
