"""The text rules of schemas/base.py: what the OpenAPI pattern says is what the API checks."""

import re
import unicodedata

import marshmallow as ma
import pytest

from schemas.base import NOT_BLANK_PATTERN, PRINTABLE_PATTERN, not_blank, printable

BMP = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]


def test_the_documented_pattern_refuses_exactly_the_control_and_format_characters():
    pattern = re.compile(PRINTABLE_PATTERN)  # fullmatch: "$" as JSON Schema reads it
    wrong = [
        f"U+{ord(c):04X}"
        for c in BMP
        if bool(pattern.fullmatch(c)) != (unicodedata.category(c) not in ("Cc", "Cf"))
    ]
    assert not wrong


@pytest.mark.parametrize("value", ["\u200b", " \ufeff ", "\u3000\u2800", "\u3164", "\u00a0"])
def test_blank_and_invisible_values_are_neither_accepted_nor_documented_as_such(value):
    assert _refused(value)
    assert not re.fullmatch(NOT_BLANK_PATTERN, value)


@pytest.mark.parametrize("value", ["A", " Jansen ", "Van\u00a0Dijk", "日本", "Ö"])
def test_visible_values_pass_both(value):
    assert not _refused(value)
    assert re.fullmatch(NOT_BLANK_PATTERN, value)


def _refused(value: str) -> bool:
    """What a required text field does with `value`: True when a rule refuses it."""
    try:
        printable(value)
        not_blank(value)
    except ma.ValidationError:
        return True
    return False
