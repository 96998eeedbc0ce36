"""Text fields: the control-character rule the validator applies is the one OpenAPI documents."""

import re

import marshmallow as ma
import pytest

from schemas.base import NOT_BLANK_PATTERN, PRINTABLE_PATTERN, printable
from schemas.clients import ClientCreateSchema

SAMPLES = [
    "Bakkerij Jansen",
    "Straße 1\ta",
    "regel 1\r\nregel 2",
    "",
    "nul\x00",
    "bel\x07",
    "del\x7f",
]


@pytest.mark.parametrize("value", SAMPLES)
def test_the_documented_pattern_agrees_with_the_validator(value):
    try:
        printable(value)
        accepted = True
    except ma.ValidationError:
        accepted = False

    assert accepted == bool(re.fullmatch(PRINTABLE_PATTERN, value))


def test_client_text_fields_carry_the_pattern_in_their_documentation():
    fields = ClientCreateSchema().fields
    assert fields["name"].metadata["pattern"] == NOT_BLANK_PATTERN  # required: not blank either
    assert fields["email"].metadata["pattern"] == PRINTABLE_PATTERN
