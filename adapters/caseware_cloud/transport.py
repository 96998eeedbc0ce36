"""One CaseWare Cloud call, bounded in total time and in answer size, whatever the upstream does.

requests' timeouts apply to each socket operation, so an upstream that drips its answer a byte
at a time never trips them, and `.content` reads an answer whole, however large. Here a
watchdog shuts the call's socket down once the call's total time is up (the blocked read then
returns at once), and the answer is streamed and cut off past a size cap.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError

from .errors import CwcError, CwcOutOfTime, CwcUnavailable

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    """What CaseWare Cloud answered: status, headers and the whole (capped) body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, in lower case ('' when absent)."""
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()


class Watch:
    """One call's time limit: when it is up, the call's socket is shut down."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.ended = False
        self._connection: HTTPConnection | None = None
        self._lock = threading.Lock()

    def attach(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connection = connection

    def expire(self) -> None:
        with self._lock:
            if self.ended:
                return
            self.expired = True
            _shut(self._connection)

    def end(self) -> None:
        with self._lock:
            self.ended = True
            self._connection = None

    def after_send(self, connection: HTTPConnection) -> None:
        """Shut a connection that was still connecting when the time ran out."""
        with self._lock:
            if self.expired and not self.ended:
                _shut(connection)


def _shut(connection: HTTPConnection | None) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    # The plain socket's shutdown, also for TLS: it wakes a blocked read in another
    # thread without touching the TLS object that thread is using.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Watchdog:
    """One thread per process that expires the watches whose deadline has passed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def watch(self, seconds: float) -> Watch:
        """A watch that expires in `seconds` unless ended first."""
        watch = Watch(self._clock() + seconds)
        with self._wake:
            self._ensure_thread()
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            self._wake.notify()
        return watch

    def _ensure_thread(self) -> None:
        # A forked worker inherits the object but not the thread: start one of its own.
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="cwc-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2].ended:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                wait = self._heap[0][0] - self._clock()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                watch = heapq.heappop(self._heap)[2]
            watch.expire()


WATCHDOG = Watchdog()
_current_watch: ContextVar[Watch | None] = ContextVar("cwc_current_watch", default=None)


class _WatchedMixin:
    """A urllib3 connection that lets the call's watch reach its socket."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch = _current_watch.get()
        if watch is not None:
            watch.attach(self)  # type: ignore[arg-type]
        super().request(*args, **kwargs)  # type: ignore[misc]
        if watch is not None:
            watch.after_send(self)  # type: ignore[arg-type]


class _WatchedHTTPConnection(_WatchedMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedMixin, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WatchedHTTPAdapter(HTTPAdapter):
    """requests' adapter over connections that a watch can shut down."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


def new_session(pool_size: int, base_url: str) -> requests.Session:
    """A session with one keep-alive pool of `pool_size` connections, never retrying itself."""
    session = requests.Session()
    # What requests would read from the environment at every call (a proxy, a CA bundle),
    # read once: walking os.environ and looking for ~/.netrc cost about 0.3 ms a call.
    session.proxies = requests.utils.get_environ_proxies(base_url)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    session.verify = bundle or True
    session.trust_env = False
    # One host, so one pool; as many kept-alive connections as a worker has threads.
    # max_retries=0: retrying is decided by the client, never silently by urllib3.
    adapter = WatchedHTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


@dataclass(frozen=True)
class Bounds:
    """The limits of one call."""

    timeout: tuple[float, float]  # (connect, read) per socket operation
    total: float  # seconds for the whole call: connect, send and the whole answer
    max_bytes: int  # the largest answer body read
    cut_by_caller: bool = False  # the caller's deadline, not our own limit, set `total`


def fetch(
    session: requests.Session,
    method: str,
    url: str,
    path: str,
    bounds: Bounds,
    **kwargs: Any,
) -> Answer:
    """Send one call and read its answer within `bounds`; CwcUnavailable when that fails."""
    watch = WATCHDOG.watch(bounds.total)
    token = _current_watch.set(watch)
    response = None
    try:
        response = session.request(method, url, timeout=bounds.timeout, stream=True, **kwargs)
        body = _read_capped(response, bounds.max_bytes, method, path)
        return Answer(response.status_code, response.headers, body)
    except CwcError:
        _close(response)
        raise
    except (requests.RequestException, OSError, ValueError) as exc:
        # ValueError: a header http.client cannot encode; nothing was sent.
        _close(response)
        error = _unavailable(method, path, exc)
        if watch.expired or (bounds.cut_by_caller and isinstance(exc, requests.Timeout)):
            raise _out_of_time(method, path, bounds, error.maybe_performed) from None
        raise error from None
    finally:
        watch.end()
        _current_watch.reset(token)


def _read_capped(response: requests.Response, max_bytes: int, method: str, path: str) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(method, path, response.status_code, max_bytes)
    parts, size = [], 0
    for chunk in response.iter_content(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(method, path, response.status_code, max_bytes)
        parts.append(chunk)
    return b"".join(parts)


def _close(response: requests.Response | None) -> None:
    # A half-read answer leaves its connection unusable: close it rather than pool it.
    if response is not None:
        response.close()


def _too_large(method: str, path: str, status: int, max_bytes: int) -> CwcUnavailable:
    return CwcUnavailable(
        f"answer larger than {max_bytes} bytes; not read",
        method=method,
        path=path,
        status=status,
        maybe_performed=True,
        kind="too_large",
    )


def _out_of_time(method: str, path: str, bounds: Bounds, maybe_performed: bool) -> CwcError:
    if bounds.cut_by_caller:
        return CwcOutOfTime(
            "out of time for this request",
            method=method,
            path=path,
            maybe_performed=maybe_performed,
            kind="out_of_time",
        )
    return CwcUnavailable(
        f"no whole answer within {bounds.total:.3g} s",
        method=method,
        path=path,
        maybe_performed=maybe_performed,
        kind="timeout",
    )


def _unavailable(method: str, path: str, exc: Exception) -> CwcUnavailable:
    if isinstance(exc, ValueError) and not isinstance(exc, requests.RequestException):
        return CwcUnavailable(
            "the call could not be sent", method=method, path=path, kind="unsendable"
        )
    never_connected = isinstance(exc, requests.ConnectTimeout) or _refused(exc)
    summary, kind = "connection failed", "connection_failed"
    if isinstance(exc, requests.Timeout):
        summary, kind = "timed out", "timeout"
    if never_connected:
        summary, kind = "could not connect", "connect_failed"
    return CwcUnavailable(
        summary,
        method=method,
        path=path,
        maybe_performed=not never_connected,
        kind=kind,
    )


def _refused(exc: Exception) -> bool:
    # requests wraps urllib3's MaxRetryError, whose reason says whether a connection was
    # ever made; NewConnectionError (refused, unresolvable) subclasses ConnectTimeoutError.
    if not isinstance(exc, requests.ConnectionError) or not exc.args:
        return False
    reason = getattr(exc.args[0], "reason", exc.args[0])
    return isinstance(reason, ConnectTimeoutError)
