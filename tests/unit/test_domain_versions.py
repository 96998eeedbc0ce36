"""domain.versions: one strong tag per stored version, and the If-Match rule."""

import pytest

from domain.errors import DomainError, PreconditionFailed
from domain.versions import etag_for, require_match


def test_a_tag_names_the_kind_the_record_and_the_version():
    assert etag_for("client", 7, 3) == "client-7-v3"


def test_tags_differ_by_kind_record_and_version():
    tags = {
        etag_for("client", 1, 1),
        etag_for("contact", 1, 1),
        etag_for("client", 2, 1),
        etag_for("client", 1, 2),
        etag_for("client", 11, 1),
        etag_for("client", 1, 11),
    }
    assert len(tags) == 6


def test_a_tag_needs_no_quoting_or_escaping():
    tag = etag_for("contact", 2147483647, 10**6)
    assert '"' not in tag and "," not in tag and " " not in tag
    assert not tag.startswith("W/")


def test_no_if_match_always_passes():
    assert require_match("client-1-v1", None) is None


def test_a_star_passes_whatever_the_version():
    assert require_match("client-1-v9", frozenset({"*"})) is None


def test_the_current_tag_passes_alone_or_among_others():
    assert require_match("client-1-v2", frozenset({"client-1-v2"})) is None
    assert require_match("client-1-v2", frozenset({"client-1-v1", "client-1-v2"})) is None


@pytest.mark.parametrize(
    "if_match",
    [
        frozenset({"client-1-v1"}),
        frozenset({"client-1-v3"}),
        frozenset({"contact-1-v2"}),
        frozenset({"client-2-v2"}),
        frozenset({'"client-1-v2"'}),
        frozenset({"CLIENT-1-V2"}),
        frozenset(),
    ],
    ids=["older", "newer", "other-kind", "other-record", "quoted", "other-case", "empty"],
)
def test_any_other_tag_fails_the_precondition(if_match):
    with pytest.raises(PreconditionFailed) as raised:
        require_match("client-1-v2", if_match)
    assert isinstance(raised.value, DomainError)
    assert raised.value.detail
