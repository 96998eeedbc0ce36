"""Login e-mail identity, as CaseWare Cloud defines it."""

# Two addresses are one login only when equal after mapping ASCII A-Z to a-z. Nothing else
# is folded: Unicode lower-casing or case folding would make the ligature "ﬃ" equal "ffi",
# "ß" equal "ss" and the Kelvin sign equal "k", and so hand one person's login to another.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def login_key(email: str) -> str:
    """The address with ASCII A-Z lowered and nothing else changed: equal keys, one login."""
    return email.translate(_ASCII_LOWER)


def same_login(a: object, b: object) -> bool:
    """Whether two e-mail addresses are the same CaseWare Cloud login."""
    return isinstance(a, str) and isinstance(b, str) and login_key(a) == login_key(b)
