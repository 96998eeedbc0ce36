"""What CaseWare Cloud answers is checked before use, and its rate limit is kept to (no server)."""

from __future__ import annotations

import unicodedata

import pytest

from adapters.caseware_cloud.answers import (
    check_list,
    check_object,
    check_token,
    decode_json,
    is_cwguid,
)
from adapters.caseware_cloud.errors import CwcBadAnswer, CwcUnavailable
from adapters.caseware_cloud.pacing import BucketHeaders, RatePacer
from domain.emails import login_key, same_login

GUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
CALL = {"method": "GET", "path": "entities"}


@pytest.mark.parametrize(
    "value",
    [GUID, GUID.upper(), GUID.replace("-", ""), "{" + GUID + "}"],
)
def test_a_cwguid_is_a_guid_in_any_of_its_spellings(value):
    assert is_cwguid(value)


@pytest.mark.parametrize(
    "value",
    ["", "not-a-guid", GUID + "0", "x" * 300, GUID[:-1] + "g", 12345, None, [GUID]],
)
def test_anything_else_is_not_a_cwguid(value):
    assert not is_cwguid(value)


def test_json_is_read_from_a_json_media_type_only():
    assert decode_json(b'{"a": 1}', "application/json", **CALL) == {"a": 1}
    assert decode_json(b"[]", "application/problem+json", **CALL) == []
    assert decode_json(b"", "text/html", **CALL) is None  # nothing to read
    with pytest.raises(CwcBadAnswer) as caught:
        decode_json(b"<html><body>502 Bad Gateway</body></html>", "text/html", **CALL)
    # Passing trouble, with a reason fit for last_error that never echoes the page.
    assert isinstance(caught.value, CwcUnavailable)
    assert "text/html" in str(caught.value) and "<" not in str(caught.value)


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[" * 100_000])
def test_broken_json_is_a_bad_answer_not_a_crash(body):
    with pytest.raises(CwcBadAnswer):
        decode_json(body, "application/json", **CALL)


def test_an_object_needs_a_valid_cwguid_and_sane_fields():
    good = {"CWGuid": GUID, "Id": 7, "EntityNo": "1001", "Type": "A", "InActiveDate": None}
    assert check_object(good, "entity", **CALL) is good
    for bad in (
        {"CWGuid": "x" * 300},
        {"CWGuid": GUID, "Id": "7"},
        {"CWGuid": GUID, "Id": True},
        {"CWGuid": GUID, "Id": -1},
        {"CWGuid": GUID, "Email": ["a@b.nl"]},
        {"CWGuid": GUID, "EntityNo": "1" * 5000},
        {"CWGuid": GUID, "OwnerCWGuid": "owner"},
        [good],
    ):
        with pytest.raises(CwcBadAnswer):
            check_object(bad, "entity", **CALL)


def test_a_list_is_checked_item_by_item():
    assert check_list([{"CWGuid": GUID}], "users", **CALL) == [{"CWGuid": GUID}]
    with pytest.raises(CwcBadAnswer):
        check_list({"CWGuid": GUID}, "users", **CALL)
    with pytest.raises(CwcBadAnswer):
        check_list([{"CWGuid": GUID}, {"CWGuid": "long" * 100}], "users", **CALL)


@pytest.mark.parametrize(
    "token",
    ["tök€n", "abc\r\nX-Evil: 1", "", " ", "a b", "x" * 5000, 12345, None, "\x00abc"],
)
def test_an_odd_token_is_refused_and_never_echoed(token):
    with pytest.raises(CwcBadAnswer) as caught:
        check_token({"Token": token}, path="auth/token")
    assert not caught.value.maybe_performed
    if isinstance(token, str) and token.strip():
        assert token not in str(caught.value)


def test_a_plain_token_is_taken():
    assert check_token({"Token": "eyJhbGciOi.J9-_x~+/="}, path="auth/token") == (
        "eyJhbGciOi.J9-_x~+/="
    )


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("office@example.nl", "o\ufb03ce@example.nl"),  # the ligature ffi
        ("strasse@example.nl", "straße@example.nl"),
        ("kees@example.nl", "\u212aees@example.nl"),  # the Kelvin sign
        ("éva@example.nl", "Éva@example.nl"),  # not A-Z: not folded
        ("ijs@example.nl", "\u0133s@example.nl"),  # the ligature ij
    ],
)
def test_unicode_look_alikes_are_other_logins(ours, theirs):
    # Unicode folding (what the gateway once did) takes each pair for one address ...
    assert unicodedata.normalize("NFKC", ours).casefold() == (
        unicodedata.normalize("NFKC", theirs).casefold()
    )
    # ... CaseWare Cloud's rule does not: another person's login.
    assert not same_login(ours, theirs)


def test_ascii_case_is_the_only_difference_that_makes_one_login():
    assert same_login("Jan.Jansen@Example.NL", "jan.jansen@example.nl")
    assert login_key("ÉVA@X.NL") == "Éva@x.nl"
    assert not same_login("a@b.nl", None)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_after_a_bare_429_calls_take_turns_at_the_replenish_rate():
    clock = Clock()
    pacer = RatePacer(clock=clock, rng=lambda: 0.0)
    assert pacer.turn() == 0.0  # not pacing before any 429

    headers = {"x-ratelimit-replenish-rate": "4", "x-ratelimit-requested-tokens": "1"}
    assert pacer.limited(headers)
    turns = [pacer.turn() for _ in range(4)]

    # The first waits for one token to refill (1/4 s); the rest are spaced 1/4 s apart,
    # a little wider, so that the bucket is never overdrawn.
    assert turns[0] == pytest.approx(0.25)
    gaps = [b - a for a, b in zip(turns, turns[1:], strict=False)]
    assert all(0.25 <= gap <= 0.27 for gap in gaps), gaps


def test_pacing_ends_once_the_bucket_is_full_again():
    clock = Clock()
    pacer = RatePacer(clock=clock, rng=lambda: 0.0)
    pacer.limited({"x-ratelimit-replenish-rate": "10"})
    assert pacer.pacing
    pacer.answered({"x-ratelimit-burst-capacity": "20", "x-ratelimit-remaining": "10"})
    assert pacer.pacing
    pacer.answered({"x-ratelimit-burst-capacity": "20", "x-ratelimit-remaining": "19"})
    assert not pacer.pacing and pacer.turn() == 0.0


def test_turns_spread_after_another_429_and_close_up_when_the_bucket_keeps_tokens():
    clock = Clock()
    pacer = RatePacer(clock=clock, rng=lambda: 0.0)
    limited = {"x-ratelimit-replenish-rate": "10", "x-ratelimit-burst-capacity": "20"}
    pacer.limited(limited)

    def gap():
        first, second = pacer.turn(), pacer.turn()
        clock.now += 10  # let the schedule run out before the next look
        return second - first

    paced = gap()
    pacer.answered({**limited, "x-ratelimit-remaining": "0"})  # our own pace: no change
    assert gap() == pytest.approx(paced)
    pacer.limited(limited)  # a 429 while pacing: another process draws on the bucket too
    wider = gap()
    assert wider > paced
    for _ in range(50):
        pacer.answered({**limited, "x-ratelimit-remaining": "8"})
    # Closer again, but never faster than our own pace at the replenish rate.
    assert gap() == pytest.approx(paced)


def test_a_429_without_bucket_headers_does_not_start_pacing():
    pacer = RatePacer(clock=Clock())
    assert not pacer.limited({})
    assert not pacer.limited({"x-ratelimit-replenish-rate": "0"})
    assert not pacer.limited({"x-ratelimit-replenish-rate": "lots"})
    assert not pacer.pacing


def test_bucket_headers_are_read_defensively():
    bucket = BucketHeaders.parse(
        {"x-ratelimit-replenish-rate": "2.5", "x-ratelimit-requested-tokens": "-3"}
    )
    assert bucket.replenish_rate == 2.5 and bucket.requested_tokens == 1.0
