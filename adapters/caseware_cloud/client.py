"""Low-level HTTP client for CaseWare Cloud: one session, token auth, bounded retries.

Every call is bounded in total time and answer size (transport.py), every answer is checked
before use (answers.py), and after a 429 the calls keep to CWC's rate (pacing.py).

Retries are done here rather than by urllib3's Retry because urllib3 cannot tell a create
that may have happened (read timeout, 5xx, a reset after sending) from one that cannot have
(429, connection refused): the first must be looked up before it is sent again, which only
the gateway can do. Nor can Retry cap the total time slept, or fetch a new token on a 401.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from .answers import check_token, decode_json
from .errors import CwcError, CwcOutOfTime, CwcUnavailable, error_class_for
from .pacing import RatePacer
from .transport import Answer, Bounds, fetch, new_session

log = logging.getLogger(__name__)

TOKEN_PATH = "auth/token"
REQUEST_ID_HEADER = "X-Request-ID"
UPSTREAM_REQUEST_ID_HEADERS = ("X-Request-ID", "Request-Id", "X-Correlation-ID")
TOKEN_MAX_TTL = 29 * 60  # CWC tokens live 30 minutes; keep a minute's margin
MAX_ANSWER_BYTES = 4 * 1024 * 1024  # a page of 50 objects is a few tens of kB
CALL_TIMEOUT = 15.0  # seconds for one whole call: connect, send, the whole answer

RequestIdProvider = Callable[[], str | None]
# The time.monotonic() by which the caller needs an answer (a request's deadline), or None.
DeadlineProvider = Callable[[], float | None]
OUT_OF_TIME = "out of time for this request"


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and how long in all, one call is tried again on passing trouble."""

    max_attempts: int = 3
    max_wait: float = 10.0  # seconds slept, summed over the retries of one call
    backoff_base: float = 0.5
    backoff_cap: float = 4.0
    retry_after_cap: float = 300.0

    def delay(self, attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float:
        """Seconds to wait before the next attempt: Retry-After, else full-jitter back-off."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        return rng() * min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))


class TokenCache:
    """One bearer token shared by all threads; a lock makes them share one fetch."""

    def __init__(self, fetch: Callable[[], str], ttl: float, clock: Callable[[], float]):
        self._fetch = fetch
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.issued: deque[str] = deque(maxlen=4)  # recent tokens, to redact from messages

    def get(self, wait: float | None = None) -> str:
        """The cached token, fetching a new one when there is none or it is too old.

        `wait` bounds how long this thread waits for another's fetch (a request's deadline):
        CwcOutOfTime past it."""
        token = self._valid_token()
        if token:
            return token
        if not self._lock.acquire(timeout=-1 if wait is None else max(wait, 0.0)):
            raise CwcOutOfTime(OUT_OF_TIME, method="POST", path=TOKEN_PATH)
        try:
            token = self._valid_token()
            if token:
                return token
            token = self._fetch()
            self._token, self._expires_at = token, self._clock() + self._ttl
            self.issued.append(token)
            return token
        finally:
            self._lock.release()

    def invalidate(self, token: str) -> None:
        """Forget a token CWC refused, unless another thread already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _valid_token(self) -> str | None:
        token = self._token
        return token if token and self._clock() < self._expires_at else None


class CwcHttpClient:
    """Sends calls to CWC with a (connect, read) timeout, a bearer token and retries."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        language: str = "en",
        session: requests.Session | None = None,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        call_timeout: float = CALL_TIMEOUT,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        retry: RetryPolicy | None = None,
        token_ttl: float = TOKEN_MAX_TTL,
        pool_size: int = 10,
        request_id_provider: RequestIdProvider | None = None,
        deadline_provider: DeadlineProvider | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._language = language
        self._timeout = (connect_timeout, read_timeout)
        self._call_timeout = call_timeout
        self._max_answer_bytes = max_answer_bytes
        self.retry = retry or RetryPolicy()
        self._request_id_provider = request_id_provider
        self._deadline_provider = deadline_provider
        self._sleep = sleep
        self._rng = rng
        self._tokens = TokenCache(self._fetch_token, min(token_ttl, TOKEN_MAX_TTL), clock)
        self._session = session or new_session(pool_size, self.base_url)
        self.pacer = RatePacer(rng=rng)

    def __repr__(self) -> str:
        return f"CwcHttpClient({self.base_url!r}, client_id={self._client_id!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        create: bool = False,
        max_attempts: int | None = None,
    ) -> Any:
        """Send one call and return its JSON answer (None when empty).

        Passing trouble is retried within the policy's bounds; a create is retried only
        when CWC cannot have carried it out (429, no connection), otherwise the
        CwcUnavailable is raised with maybe_performed set, for the caller to look it up.
        A caller's deadline shortens the timeouts and the retries: CwcOutOfTime when it is up.
        After a 429 the call waits for its turn in the rate limit's schedule.
        """
        limit = max_attempts or self.retry.max_attempts
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            self._wait_for_turn(method, path)
            try:
                return self._call_with_token(method, path, params, json, attempt)
            except CwcUnavailable as error:
                if create and error.maybe_performed:
                    raise
                paced = error.status == 429 and error.retry_after is None and self.pacer.pacing
                # Paced: the next turn is the wait, so no back-off on top of it.
                delay = 0.0 if paced else self.retry.delay(attempt, error.retry_after, self._rng)
                if attempt >= limit or waited + delay > self.retry.max_wait:
                    raise
                left = self._time_left()
                if left is not None and delay >= left:
                    raise CwcOutOfTime(
                        OUT_OF_TIME,
                        method=method,
                        path=path,
                        status=error.status,
                        maybe_performed=error.maybe_performed,
                    ) from error
                log.warning(
                    "CaseWare Cloud %s %s: %s; attempt %d of %d, retrying in %.2f s",
                    method,
                    path,
                    error.summary,
                    attempt,
                    limit,
                    delay,
                )
                if delay > 0:
                    self._sleep(delay)
                waited += delay

    def _wait_for_turn(self, method: str, path: str) -> None:
        """Sleep until this call's turn while pacing; CwcOutOfTime when the deadline is nearer."""
        wait = self.pacer.turn()
        left = self._time_left()
        if left is not None and (left <= 0 or wait >= left):
            self.pacer.give_back(wait)
            raise CwcOutOfTime(OUT_OF_TIME, method=method, path=path)
        if wait > 0:
            self._sleep(wait)

    def _call_with_token(
        self, method: str, path: str, params: Any, body: Any, attempt: int = 1
    ) -> Any:
        try:
            token = self._tokens.get(self._time_left())
        except CwcUnavailable as error:
            error.maybe_performed = False  # the call itself was never sent
            raise
        response = self._send(method, path, params=params, body=body, token=token, attempt=attempt)
        if response.status == 401:
            # Tokens die after 30 minutes, possibly early: one new token, one retry.
            log.info("CaseWare Cloud %s %s: token refused, fetching a new one", method, path)
            self._tokens.invalidate(token)
            try:
                token = self._tokens.get(self._time_left())
            except CwcUnavailable as error:
                error.maybe_performed = False
                raise
            response = self._send(
                method, path, params=params, body=body, token=token, attempt=attempt
            )
        return self._result(method, path, response)

    def _fetch_token(self) -> str:
        body = {
            "ClientId": self._client_id,
            "ClientSecret": self._client_secret,
            "Language": self._language,
        }
        response = self._send("POST", TOKEN_PATH, body=body, token=None)
        # An odd token (not printable ASCII) is refused here, so it is never cached or sent.
        token = check_token(self._result("POST", TOKEN_PATH, response), path=TOKEN_PATH)
        log.debug("CaseWare Cloud: new token fetched")
        return token

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        body: Any = None,
        token: str | None,
        attempt: int = 1,
    ) -> Answer:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request_id = self._request_id()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        started = time.monotonic()
        url = f"{self.base_url}/{path}"
        try:
            answer = fetch(
                self._session,
                method,
                url,
                path,
                self._bounds(),
                params=params,
                json=body,
                headers=headers,
            )
        except CwcError as error:
            status = error.kind or error.status or "error"
            _log_call(method, path, status, started, attempt, request_id)
            raise
        _log_call(method, path, answer.status, started, attempt, request_id)
        return answer

    def _time_left(self) -> float | None:
        """Seconds until the caller's deadline, or None when it set none."""
        if self._deadline_provider is None:
            return None
        deadline = self._deadline_provider()
        return None if deadline is None else deadline - time.monotonic()

    def _bounds(self) -> Bounds:
        """The limits of a call sent now: ours, shortened to the caller's deadline."""
        left = self._time_left()
        connect, read = self._timeout
        total = self._call_timeout
        if left is None or left >= total:
            return Bounds((connect, read), total, self._max_answer_bytes)
        left = max(left, 0.001)
        return Bounds((min(connect, left), min(read, left)), left, self._max_answer_bytes, True)

    def _request_id(self) -> str | None:
        if self._request_id_provider is None:
            return None
        try:
            return self._request_id_provider()
        except Exception:  # a provider outside its context must not fail the call
            log.debug("request id provider failed", exc_info=True)
            return None

    def _result(self, method: str, path: str, answer: Answer) -> Any:
        status = answer.status
        if 200 <= status < 300:
            self.pacer.answered(answer.headers)
            return decode_json(answer.body, answer.media_type, method=method, path=path)
        error_class, summary = error_class_for(status)
        details: dict[str, Any] = {
            "method": method,
            "path": path,
            "status": status,
            "cwc_message": self._redact(_cwc_message(answer)),
            "request_id": _upstream_request_id(answer),
        }
        retry_after = self._retry_after(answer)
        if status == 429 and retry_after is None:
            self.pacer.limited(answer.headers)  # no Retry-After: wait for the bucket instead
        if error_class is CwcUnavailable:
            # A 429 means CWC did nothing; a 5xx may come after the work was done.
            raise CwcUnavailable(
                summary,
                retry_after=retry_after,
                maybe_performed=status != 429,
                **details,
            )
        raise error_class(summary, **details)

    def _retry_after(self, answer: Answer) -> float | None:
        seconds = parse_retry_after(answer.headers.get("Retry-After"))
        return None if seconds is None else min(seconds, self.retry.retry_after_cap)

    def _redact(self, text: str | None) -> str | None:
        if not text:
            return text
        for secret in (self._client_secret, *self._tokens.issued):
            if secret:
                text = text.replace(secret, "***")
        return text


# The literal segments of CaseWare Cloud's paths; any other segment is an id.
_PATH_WORDS = frozenset(
    {"auth", "token", "entities", "addresses", "users", "roles", "role-assignments"}
)


def operation_of(method: str, path: str) -> str:
    """The call as a template, without ids: "PATCH /entities/{id}"."""
    segments = (s if s in _PATH_WORDS else "{id}" for s in path.split("/"))
    return f"{method} /{'/'.join(segments)}"


def _log_call(
    method: str, path: str, status: int | str, started: float, attempt: int, request_id
) -> None:
    """One line per HTTP attempt (api.md, Logs): what was called, how it went, for whom."""
    if not log.isEnabledFor(logging.INFO):
        return
    duration_ms = round((time.monotonic() - started) * 1000, 1)
    operation = operation_of(method, path)
    log.info(
        "CaseWare Cloud %s -> %s in %.1f ms",
        operation,
        status,
        duration_ms,
        extra={
            "event": "cwc_call",
            "operation": operation,
            "status": status,
            "duration_ms": duration_ms,
            "attempt": attempt,
            "request_id": request_id,
        },
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header, given as seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _cwc_message(answer: Answer) -> str | None:
    """CWC's own words from a JSON error body; an HTML or text body is never echoed."""
    try:
        errors = decode_json(answer.body, answer.media_type, method="", path="").get("errors")
        messages = [e.get("message") for e in errors if isinstance(e, dict)]
    except (CwcError, AttributeError, TypeError):
        return None
    text = "; ".join(m for m in messages if isinstance(m, str) and m)
    return _printable(text)[:500] or None


def _upstream_request_id(answer: Answer) -> str | None:
    for header in UPSTREAM_REQUEST_ID_HEADERS:
        if answer.headers.get(header):
            return _printable(answer.headers[header])[:200]
    return None


def _printable(text: str) -> str:
    """Text fit for a log line or last_error: control characters become spaces."""
    return "".join(c if c.isprintable() else " " for c in text).strip()
