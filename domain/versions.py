"""Entity tags: a strong ETag per stored version, and the If-Match rule."""

from domain.errors import PreconditionFailed


def etag_for(kind: str, record_id: int, version: int) -> str:
    """The opaque tag (without quotes) of one version of one record."""
    return f"{kind}-{record_id}-v{version}"


def require_match(current: str, if_match: frozenset[str] | None) -> None:
    """Raise PreconditionFailed when If-Match was sent and names neither `current` nor '*'."""
    if if_match is None or "*" in if_match or current in if_match:
        return
    raise PreconditionFailed("The resource has changed since you read it; fetch it again.")
