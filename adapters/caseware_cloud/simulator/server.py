"""Serving the simulator on a real socket in a thread, with a listener that can be closed."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask

from .api import create_app
from .core import Simulator
from .faults import Faults
from .keepalive import IDLE_TIMEOUT, KeepAliveHandler, KeepAliveServer, LoggingKeepAliveHandler


class SimulatorServer:
    """A threaded HTTP/1.1 keep-alive server whose listening socket can be closed and re-opened."""

    def __init__(
        self,
        app: Flask,
        host: str,
        port: int,
        *,
        log_requests: bool = False,
        idle_timeout: float = IDLE_TIMEOUT,
    ):
        self.app = app
        self.host = host
        self.port = port
        self.idle_timeout = idle_timeout
        self._handler = LoggingKeepAliveHandler if log_requests else KeepAliveHandler
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._accepted = 0
        self._server: KeepAliveServer | None = None
        self._thread: threading.Thread | None = None
        self._reopen: threading.Timer | None = None

    @property
    def connections_accepted(self) -> int:
        """Connections accepted since the start, across re-opened listeners."""
        with self._count_lock:
            return self._accepted

    def _next_connection(self) -> int:
        with self._count_lock:
            self._accepted += 1
            return self._accepted

    def start(self) -> None:
        with self._lock:
            self._open()

    def refuse_connections(self, seconds: float | None = None) -> None:
        """Close the listening socket, so connects are refused; re-open after `seconds`.

        Kept-alive connections close too (a busy one after its answer), so that a client's
        pool cannot go on past the outage.
        """
        with self._lock:
            self._cancel_reopen()
            self._close(busy_too=False)
            if seconds:
                self._reopen = threading.Timer(seconds, self.accept_connections)
                self._reopen.daemon = True
                self._reopen.start()

    def accept_connections(self) -> None:
        """Listen again, on the same port."""
        with self._lock:
            self._cancel_reopen()
            if self._server is None:
                self._open()

    def stop(self) -> None:
        """Stop listening and close every connection, idle or busy."""
        with self._lock:
            self._cancel_reopen()
            self._close(busy_too=True)

    def _open(self) -> None:
        try:
            server = KeepAliveServer(
                self.host,
                self.port,
                self.app,
                handler=self._handler,
                idle_timeout=self.idle_timeout,
                numbers=self._next_connection,
            )
        except SystemExit:  # werkzeug exits when it cannot bind; a test wants an error
            raise OSError(f"cannot listen on {self.host}:{self.port}") from None
        self.port = server.port  # port 0 becomes the real one, kept for re-opening
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"cwc-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def _close(self, *, busy_too: bool) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections(busy_too=busy_too)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    def _cancel_reopen(self) -> None:
        if self._reopen is not None and self._reopen is not threading.current_thread():
            self._reopen.cancel()
        self._reopen = None


class SimulatorHandle:
    """A running simulator: its URLs, its state and its switches, for tests and `make run`."""

    def __init__(self, simulator: Simulator, server: SimulatorServer, host: str):
        self.simulator = simulator
        self.server = server
        self._host = "127.0.0.1" if host in ("0.0.0.0", "") else host

    @property
    def client_id(self) -> str:
        return self.simulator.client_id

    @property
    def client_secret(self) -> str:
        return self.simulator.client_secret

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The whole API base, up to /api/v2: the value for CWC_BASE_URL."""
        return self.base_url + self.simulator.prefix

    @property
    def control_url(self) -> str:
        return self.base_url + "/_sim"

    def config(self, **overrides: Any) -> dict[str, Any]:
        """CWC_ settings that point an adapter at this simulator."""
        return {
            "CWC_BASE_URL": self.api_url,
            "CWC_CLIENT_ID": self.client_id,
            "CWC_CLIENT_SECRET": self.client_secret,
            **overrides,
        }

    def state(self) -> dict[str, Any]:
        return self.simulator.state()

    def calls(self) -> list[dict[str, Any]]:
        return self.simulator.calls()

    def clear_calls(self) -> None:
        self.simulator.clear_calls()

    def reset(self) -> None:
        self.simulator.reset()

    def seed(self, **data: Any) -> dict[str, list[str]]:
        """Insert entities, users or roles as given (see Store.seed)."""
        with self.simulator.lock:
            return self.simulator.store.seed(data)

    def set_faults(self, **switches: Any) -> None:
        """Set fault switches, as POST /_sim/faults does."""
        with self.simulator.lock:
            self.simulator.faults.configure(switches)

    def clear_faults(self) -> None:
        with self.simulator.lock:
            self.simulator.faults = Faults()

    def set_rate_limit(
        self, capacity: int, refill_per_second: float, retry_after: bool = False
    ) -> None:
        """Size and refill rate of the token bucket; Retry-After on its 429s only if asked."""
        with self.simulator.lock:
            self.simulator.bucket.configure(capacity, refill_per_second, retry_after)

    def connections_accepted(self) -> int:
        """Connections accepted so far: fewer than calls when connections are kept alive."""
        return self.server.connections_accepted

    def advance_clock(self, seconds: float) -> None:
        self.simulator.advance_clock(seconds)

    def refuse_connections(self, seconds: float | None = None) -> None:
        self.server.refuse_connections(seconds)

    def accept_connections(self) -> None:
        self.server.accept_connections()

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


def start_in_thread(
    client_id: str,
    client_secret: str,
    host: str = "127.0.0.1",
    port: int = 0,
    firm: str = "demo",
    *,
    log_requests: bool = False,
    idle_timeout: float = IDLE_TIMEOUT,
    **options: Any,
) -> SimulatorHandle:
    """Run a simulator on a real socket in a daemon thread; options go to Simulator."""
    simulator = Simulator(client_id, client_secret, firm=firm, **options)
    server = SimulatorServer(
        create_app(simulator), host, port, log_requests=log_requests, idle_timeout=idle_timeout
    )
    simulator.refuse_connections = server.refuse_connections
    simulator.connections_accepted = lambda: server.connections_accepted
    server.start()
    return SimulatorHandle(simulator, server, host)
