"""HTTP/1.1 with persistent connections for the simulator, as the real CWC keeps them alive.

werkzeug's WSGIRequestHandler answers every request with `Connection: close`, because it
cannot drain an unread request body before the next request line. This handler runs the WSGI
app itself: it frames each answer (Content-Length as the app gives it, else chunked), drains
what the app left of the request body, closes a connection idle for `idle_timeout` seconds,
and numbers its connections so that tests can see them reused.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wsgi import LimitedStream

IDLE_TIMEOUT = 15.0
MAX_DRAIN = 16 * 1024 * 1024  # past this much unread body the connection is closed instead
CONNECTION_KEY = "cwc_sim.connection"  # environ: the number of the connection
RESET_KEY = "cwc_sim.reset"  # environ, set by the app: drop the connection, answer nothing
DRIP_HEADERS_KEY = "cwc_sim.drip_headers"  # environ, set by the app: bytes a second

log = logging.getLogger(__name__)


class _Reset(Exception):
    """The app asked for the connection to be dropped without an answer."""


class KeepAliveHandler(WSGIRequestHandler):
    """Serves requests one after another on a connection until it closes or idles out."""

    protocol_version = "HTTP/1.1"
    server: KeepAliveServer
    rbufsize = -1
    wbufsize = -1  # buffered, flushed after each piece of an answer
    disable_nagle_algorithm = True  # small answers on a kept connection must not wait
    quiet = True

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout
        super().setup()
        self.busy = False
        self.closing = False
        self.number = self.server.track(self)

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass  # the client went away with part of an answer still buffered
        finally:
            for stream in (self.wfile, self.rfile):
                with contextlib.suppress(OSError, ValueError):
                    stream.close()
            self.server.untrack(self)

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        if not self.quiet:
            super().log_request(*args, **kwargs)

    def log_error(self, *args: Any) -> None:
        if not self.quiet:
            super().log_error(*args)

    def handle_one_request(self) -> None:
        """Read one request line, then answer it (as BaseHTTPRequestHandler, with busy marks)."""
        self.environ = {}  # the last request's settings (a header drip) are not this one's
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except (TimeoutError, OSError):  # idle too long, or closed by close_connections
            self.close_connection = True
            return
        if not self.server.begin(self) or not self.raw_requestline:
            self.close_connection = True
            return
        try:
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                self.close_connection = True
                return
            if not self.parse_request():
                return
            if self.request_version != "HTTP/1.1":
                self.close_connection = True  # keep-alive is HTTP/1.1's default only
            self.run_wsgi()
            if not self.wfile.closed:  # a reset closed it
                self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
        finally:
            self.server.end(self)

    def run_wsgi(self) -> None:
        """Run the app for the request just parsed and send its answer, framed for keep-alive."""
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        environ[CONNECTION_KEY] = self.number
        body = self._request_body(environ)
        if body is None:
            return
        answer = _Answer(self, environ)
        try:
            iterable = self.server.app(environ, answer.start_response)
            try:
                for data in iterable:
                    answer.write(data)
                answer.end()
            finally:
                if hasattr(iterable, "close"):
                    iterable.close()
            self._drain(body)
        except _Reset:
            self._reset()
        except (ConnectionError, TimeoutError, OSError) as error:
            self.close_connection = True
            self.connection_dropped(error, environ)
        except Exception:
            self.close_connection = True
            if not answer.sent:
                answer.fail()
            log.exception("error answering a simulator request")

    def _request_body(self, environ: dict[str, Any]) -> Any:
        if environ.get("wsgi.input_terminated"):  # chunked: werkzeug's dechunker reads it
            return environ["wsgi.input"]
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError(length)
        except ValueError:
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad Content-Length")
            self.close_connection = True
            return None
        stream = LimitedStream(self.rfile, length)
        environ["wsgi.input"] = stream
        environ["wsgi.input_terminated"] = True
        return stream

    def _drain(self, body: Any) -> None:
        # The next request line starts where this body ends: read what the app left.
        if isinstance(body, LimitedStream):
            if body.limit - body.tell() > MAX_DRAIN:
                self.close_connection = True
                return
            body.exhaust()
            return
        total = 0
        while chunk := body.read(65536):
            total += len(chunk)
            if total > MAX_DRAIN:
                self.close_connection = True
                return

    def _reset(self) -> None:
        """Close without an answer: SO_LINGER 0 makes close() send a RST, not a FIN."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # Closed here, with nothing written: socketserver's own shutdown(SHUT_WR) would send
        # a FIN first.
        for stream in (self.rfile, self.wfile):
            with contextlib.suppress(OSError):
                stream.close()
        self.connection.close()

    def flush_headers(self) -> None:
        rate = getattr(self, "environ", {}).get(DRIP_HEADERS_KEY)
        buffered = b"".join(getattr(self, "_headers_buffer", []))
        self._headers_buffer = []
        if not rate:
            self.wfile.write(buffered)
            return
        step = max(1, int(rate / 10))
        for start in range(0, len(buffered), step):
            self.wfile.write(buffered[start : start + step])
            self.wfile.flush()
            time.sleep(step / rate)

    def shut(self) -> None:
        """Close the socket under the handler, so that a blocked read or write ends."""
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class LoggingKeepAliveHandler(KeepAliveHandler):
    """The keep-alive handler that logs each request as werkzeug does."""

    quiet = False


class _Answer:
    """One answer's status, headers and framing, sent on the first write."""

    def __init__(self, handler: KeepAliveHandler, environ: dict[str, Any]):
        self.handler = handler
        self.environ = environ
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.sent = False
        self.chunked = False

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info=None):
        if exc_info and self.sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status, self.headers = status, headers
        return self.write

    def _send_head(self) -> None:
        if self.environ.get(RESET_KEY):
            raise _Reset
        handler = self.handler
        code_text, _, message = (self.status or "500").partition(" ")
        code = int(code_text)
        handler.send_response(code, message)
        names = set()
        for key, value in self.headers:
            handler.send_header(key, value)
            names.add(key.lower())
        bodiless = self.environ["REQUEST_METHOD"] == "HEAD" or code < 200 or code in (204, 304)
        if "content-length" not in names and not bodiless:
            self.chunked = True
            handler.send_header("Transfer-Encoding", "chunked")
        if handler.closing:
            handler.close_connection = True
        if handler.close_connection:
            handler.send_header("Connection", "close")
        handler.end_headers()
        self.sent = True

    def write(self, data: bytes) -> None:
        if not self.sent:
            self._send_head()
        wfile = self.handler.wfile
        if data:
            if self.chunked:
                wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            else:
                wfile.write(data)
        wfile.flush()

    def end(self) -> None:
        if not self.sent:
            self.write(b"")
        if self.chunked:
            self.handler.wfile.write(b"0\r\n\r\n")
        self.handler.wfile.flush()

    def fail(self) -> None:
        self.status, self.headers = "500 INTERNAL SERVER ERROR", [("Content-Length", "0")]
        with contextlib.suppress(Exception):
            self.write(b"")


class KeepAliveServer(ThreadedWSGIServer):
    """werkzeug's threaded server with the keep-alive handler and a register of connections."""

    def __init__(
        self,
        host: str,
        port: int,
        app: Any,
        *,
        handler: type[KeepAliveHandler] = KeepAliveHandler,
        idle_timeout: float = IDLE_TIMEOUT,
        numbers: Callable[[], int] | None = None,
    ):
        self.idle_timeout = idle_timeout
        self._numbers = numbers or itertools.count(1).__next__
        self._lock = threading.Lock()
        self._handlers: set[KeepAliveHandler] = set()
        self._closing = False
        super().__init__(host, port, app, handler=handler)

    def track(self, handler: KeepAliveHandler) -> int:
        """Register a new connection; its number."""
        with self._lock:
            self._handlers.add(handler)
            return self._numbers()

    def untrack(self, handler: KeepAliveHandler) -> None:
        with self._lock:
            self._handlers.discard(handler)

    def begin(self, handler: KeepAliveHandler) -> bool:
        """Mark a connection busy with a request; False when it is being closed."""
        with self._lock:
            if handler.closing or self._closing:
                return False
            handler.busy = True
            return True

    def end(self, handler: KeepAliveHandler) -> None:
        with self._lock:
            handler.busy = False
            if handler.closing:
                handler.close_connection = True

    def close_connections(self, *, busy_too: bool) -> None:
        """Close idle connections now; busy ones after their answer, or now with `busy_too`."""
        with self._lock:
            self._closing = True
            handlers = list(self._handlers)
            for handler in handlers:
                handler.closing = True
        for handler in handlers:
            if busy_too or not handler.busy:
                handler.shut()
