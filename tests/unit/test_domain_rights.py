"""domain.rights: the rights a token can carry and the check every service makes."""

import pytest

from domain import rights as r
from domain.errors import DomainError, Forbidden
from domain.rights import ALL_RIGHTS, Actor


def test_the_five_rights_of_api_md():
    assert set(ALL_RIGHTS) == {
        "clients:read",
        "clients:write",
        "links:read",
        "links:write",
        "admin",
    }
    assert len(ALL_RIGHTS) == 5


@pytest.mark.parametrize("right", ALL_RIGHTS)
def test_require_passes_when_the_actor_holds_the_right(right):
    assert r.require(Actor("someone", frozenset({right})), right) is None


@pytest.mark.parametrize("right", ALL_RIGHTS)
def test_require_refuses_every_other_right_naming_the_missing_one(right):
    actor = Actor("someone", frozenset(ALL_RIGHTS) - {right})

    with pytest.raises(Forbidden) as raised:
        r.require(actor, right)

    assert raised.value.right == right
    assert raised.value.extra == {"required_right": right}
    assert right in raised.value.detail
    assert isinstance(raised.value, DomainError)


def test_require_refuses_an_actor_without_rights():
    with pytest.raises(Forbidden):
        r.require(Actor("nobody", frozenset()), r.CLIENTS_READ)


def test_rights_do_not_imply_each_other():
    # admin is not a super-right, and write does not include read.
    with pytest.raises(Forbidden):
        r.require(Actor("a", frozenset({r.ADMIN})), r.CLIENTS_READ)
    with pytest.raises(Forbidden):
        r.require(Actor("w", frozenset({r.CLIENTS_WRITE})), r.CLIENTS_READ)
    with pytest.raises(Forbidden):
        r.require(Actor("c", frozenset({r.CLIENTS_WRITE})), r.LINKS_WRITE)


def test_require_compares_names_exactly():
    actor = Actor("someone", frozenset({"CLIENTS:READ", "clients:read "}))
    with pytest.raises(Forbidden):
        r.require(actor, r.CLIENTS_READ)


def test_unknown_rights_lists_the_strangers_sorted_and_once():
    assert r.unknown_rights(["root", "clients:read", "Admin", "root", "admin"]) == ["Admin", "root"]


def test_unknown_rights_is_empty_for_known_or_no_rights():
    assert r.unknown_rights(list(ALL_RIGHTS)) == []
    assert r.unknown_rights([]) == []
    assert r.unknown_rights(iter(["admin"])) == []


def test_an_actor_is_a_frozen_value():
    actor = Actor("tester", frozenset({r.ADMIN}))
    assert actor == Actor("tester", frozenset({r.ADMIN}))
    with pytest.raises(AttributeError):
        actor.rights = frozenset(ALL_RIGHTS)
