"""The simulator's state in one object: data, tokens, faults, rate limit, clock and call log."""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .answers import odd_token
from .faults import Faults
from .ratelimit import TokenBucket
from .records import TOKEN_FIELDS, object_body
from .store import SimError, Store

TOKEN_TTL = 30 * 60  # CWC tokens live 30 minutes
CALL_LOG_SIZE = 10_000


class Simulator:
    """One simulated CWC firm; every method is safe to call from any thread."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        firm: str = "demo",
        token_ttl: float = TOKEN_TTL,
        rate_capacity: int = 1000,
        rate_refill_per_second: float = 200.0,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.firm = firm
        self.token_ttl = token_ttl
        self.lock = threading.RLock()
        self._clock = clock
        self._offset = 0.0
        self.rng = random.Random(seed)
        self.store = Store()
        self.faults = Faults()
        self._rate = (rate_capacity, rate_refill_per_second)
        self.bucket = TokenBucket(rate_capacity, rate_refill_per_second, self.now)
        self._tokens: dict[str, float] = {}
        self._calls: deque[dict[str, Any]] = deque(maxlen=CALL_LOG_SIZE)
        # Set by a server that can close its listening socket (see server.py).
        self.refuse_connections: Callable[[float | None], None] | None = None
        # Set by a server that counts the connections it accepted (see server.py).
        self.connections_accepted: Callable[[], int] | None = None

    @property
    def prefix(self) -> str:
        """The path under which the API is served."""
        return f"/{self.firm}/ms/caseware-cloud/api/v2"

    def now(self) -> float:
        """The simulator's clock, in seconds; tests may move it forward."""
        return self._clock() + self._offset

    def advance_clock(self, seconds: float) -> None:
        """Move the clock forward: tokens age, the rate bucket refills."""
        if seconds < 0:
            raise SimError(400, "The clock only moves forward.")
        with self.lock:
            self._offset += seconds

    # Tokens ----------------------------------------------------------------------

    def issue_token(self, body: Any) -> Any:
        """A new token for a correct ClientId and ClientSecret (property names in any case)."""
        body = object_body(body, TOKEN_FIELDS)
        client_id, client_secret = body.get("ClientId"), body.get("ClientSecret")
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            raise SimError(400, "ClientId and ClientSecret are required.")
        language = body.get("Language", "en")
        if not isinstance(language, str):
            raise SimError(400, "Language must be a string.")
        if not (
            secrets.compare_digest(client_id, self.client_id)
            and secrets.compare_digest(client_secret, self.client_secret)
        ):
            raise SimError(401, "Invalid client credentials.")
        token = secrets.token_urlsafe(32)
        with self.lock:
            odd = self.faults.odd_token
            if odd is not None:  # an odd_token switch: answered, never accepted later
                return odd_token(odd)
            self._tokens[token] = self.now() + self.token_ttl
        return token

    def check_token(self, authorization: str | None) -> None:
        """Refuse (401) a missing, unknown or expired bearer token."""
        scheme, _, token = (authorization or "").partition(" ")
        with self.lock:
            expires_at = self._tokens.get(token) if scheme.lower() == "bearer" else None
            if expires_at is None:
                raise SimError(401, "A valid bearer token is required.", _challenge())
            if self.now() >= expires_at:
                del self._tokens[token]
                raise SimError(401, "The token has expired.", _challenge())

    def issued_tokens(self) -> list[str]:
        """The tokens still known (for tests that check nothing leaks them)."""
        with self.lock:
            return list(self._tokens)

    # Call log --------------------------------------------------------------------

    def record_call(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self._calls.append(entry)

    def calls(self) -> list[dict[str, Any]]:
        """Every API call answered so far, oldest first."""
        with self.lock:
            return list(self._calls)

    def clear_calls(self) -> None:
        with self.lock:
            self._calls.clear()

    # Whole state -----------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The data, as JSON: entities with addresses, users, roles, role assignments."""
        counted = self.connections_accepted
        connections = counted() if counted else 0
        with self.lock:
            return {
                **self.store.dump(),
                "token_count": len(self._tokens),
                "connections_accepted": connections,
            }

    def reset(self) -> None:
        """Back to a fresh firm: data, tokens, faults, call log and the starting rate limit."""
        with self.lock:
            self.store.reset()
            self._tokens.clear()
            self._calls.clear()
            self.faults = Faults()
            self.bucket.configure(*self._rate)


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": "Bearer"}
