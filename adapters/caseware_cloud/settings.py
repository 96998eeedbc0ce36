"""The CWC_ settings of the adapter, parsed once from a mapping (the app config or os.environ)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from .client import (
    CALL_TIMEOUT,
    MAX_ANSWER_BYTES,
    TOKEN_MAX_TTL,
    CwcHttpClient,
    DeadlineProvider,
    RequestIdProvider,
    RetryPolicy,
)


def _text(value: Any) -> str:
    return str(value).strip()


def _field_map(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# key: (attribute, parser, default); None as default means required.
SETTINGS: dict[str, tuple[str, Callable[[Any], Any], Any]] = {
    "CWC_BASE_URL": ("base_url", _text, None),
    "CWC_CLIENT_ID": ("client_id", _text, None),
    "CWC_CLIENT_SECRET": ("client_secret", _text, None),
    "CWC_LANGUAGE": ("language", _text, "en"),
    "CWC_CONNECT_TIMEOUT": ("connect_timeout", float, 3.05),
    "CWC_READ_TIMEOUT": ("read_timeout", float, 10.0),
    "CWC_CALL_TIMEOUT": ("call_timeout", float, CALL_TIMEOUT),
    "CWC_MAX_ANSWER_BYTES": ("max_answer_bytes", int, MAX_ANSWER_BYTES),
    "CWC_MAX_ATTEMPTS": ("max_attempts", int, 3),
    "CWC_MAX_RETRY_WAIT": ("max_retry_wait", float, 10.0),
    "CWC_BACKOFF_BASE": ("backoff_base", float, 0.5),
    "CWC_BACKOFF_CAP": ("backoff_cap", float, 4.0),
    "CWC_RETRY_AFTER_CAP": ("retry_after_cap", float, 300.0),
    "CWC_TOKEN_TTL": ("token_ttl", float, float(TOKEN_MAX_TTL)),
    "CWC_POOL_SIZE": ("pool_size", int, 10),
    "CWC_PAGE_SIZE": ("page_size", int, 50),
    "CWC_CREATE_SETTLE_SECONDS": ("create_settle_seconds", float, 30.0),
    "CWC_COLLABORATOR_ROLE": ("collaborator_role", _text, "Contact - Entity Collaborator"),
    "CWC_FIELD_MAP": ("field_map", _field_map, {}),
}


@dataclass(frozen=True)
class CwcSettings:
    """Every CWC_ setting, typed; see SETTINGS for keys and defaults."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    language: str = "en"
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    call_timeout: float = CALL_TIMEOUT
    max_answer_bytes: int = MAX_ANSWER_BYTES
    max_attempts: int = 3
    max_retry_wait: float = 10.0
    backoff_base: float = 0.5
    backoff_cap: float = 4.0
    retry_after_cap: float = 300.0
    token_ttl: float = float(TOKEN_MAX_TTL)
    pool_size: int = 10
    page_size: int = 50  # as the public clients ask; CWC allows at most 100
    create_settle_seconds: float = 30.0
    collaborator_role: str = "Contact - Entity Collaborator"
    field_map: Any = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("CWC_BASE_URL must be an http(s) URL ending in /api/v2")
        if not 0 < self.token_ttl <= TOKEN_MAX_TTL:
            raise ValueError(f"CWC_TOKEN_TTL must be above 0 and at most {TOKEN_MAX_TTL} s")
        if not 1 <= self.page_size <= 100:
            raise ValueError("CWC_PAGE_SIZE must be 1 to 100")
        if self.max_attempts < 1 or self.pool_size < 1:
            raise ValueError("CWC_MAX_ATTEMPTS and CWC_POOL_SIZE must be at least 1")
        if min(self.connect_timeout, self.read_timeout, self.call_timeout) <= 0:
            raise ValueError(
                "CWC_CONNECT_TIMEOUT, CWC_READ_TIMEOUT and CWC_CALL_TIMEOUT must be above 0"
            )
        if self.max_answer_bytes < 1024:
            raise ValueError("CWC_MAX_ANSWER_BYTES must be at least 1024")

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> CwcSettings:
        """Read the CWC_ keys; a missing or empty key takes its default."""
        values: dict[str, Any] = {}
        missing = []
        for key, (attribute, parse, default) in SETTINGS.items():
            raw = config.get(key)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if default is None:
                    missing.append(key)
                continue
            try:
                values[attribute] = parse(raw)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        if missing:
            raise ValueError(f"missing setting(s): {', '.join(missing)}")
        return cls(**values)

    def http_client(
        self,
        *,
        session: requests.Session | None = None,
        request_id_provider: RequestIdProvider | None = None,
        deadline_provider: DeadlineProvider | None = None,
    ) -> CwcHttpClient:
        """A low-level client configured by these settings."""
        retry = RetryPolicy(
            max_attempts=self.max_attempts,
            max_wait=self.max_retry_wait,
            backoff_base=self.backoff_base,
            backoff_cap=self.backoff_cap,
            retry_after_cap=self.retry_after_cap,
        )
        return CwcHttpClient(
            self.base_url,
            self.client_id,
            self.client_secret,
            language=self.language,
            session=session,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            call_timeout=self.call_timeout,
            max_answer_bytes=self.max_answer_bytes,
            retry=retry,
            token_ttl=self.token_ttl,
            pool_size=self.pool_size,
            request_id_provider=request_id_provider,
            deadline_provider=deadline_provider,
        )
