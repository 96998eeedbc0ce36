"""gunicorn settings for the gateway: `gunicorn 'app:create_app()'` reads this file."""

import json
import multiprocessing
import os
import sys
import time

import gunicorn.http.wsgi
import gunicorn.util
from gunicorn.glogging import Logger
from gunicorn.workers.gthread import TConn, ThreadWorker

import log_format
from log_redaction import RedactSecrets

bind = os.environ.get("GATEWAY_BIND", "127.0.0.1:8080")
# Threaded workers (GracefulThreadWorker below): every write waits on CaseWare Cloud, so a
# worker should hold many requests in flight while the CPU stays free.
workers = int(os.environ.get("GATEWAY_WORKERS", min(multiprocessing.cpu_count(), 4)))
threads = int(os.environ.get("GATEWAY_THREADS", 8))
# gthread workers check in from their main loop, so this catches a stuck worker; it does not
# limit a request's time (DELIVERY_WAIT_SECONDS and the CWC_ timeouts bound that).
timeout = int(os.environ.get("GATEWAY_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Refuse oversized request lines and headers before Flask sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 16384
# gunicorn itself believes X-Forwarded-Proto from 127.0.0.1 by default; here the app alone
# decides whom to believe (TRUSTED_PROXIES, config.py), so that 0 means no forwarded header counts.
secure_scheme_headers = {}
# The app writes one line per request itself (api/request_log.py), with the route template and
# the caller, which gunicorn does not know: gunicorn's own access log would be a second line
# per request, and building it (every header and environ variable) costs more than the app's.
# `--access-logfile -` turns it on again, in the same format (GatewayLogger.access).
accesslog = None
errorlog = "-"
# LOG_FORMAT (config.py): JSON lines, or plain text on a terminal; checked before anything starts.
LOG_FORMAT = log_format.choose(os.environ.get("LOG_FORMAT"), sys.stdout)


class GatewayLogger(Logger):
    """gunicorn's logger, writing the app's format (log_format.py) to stdout, secrets redacted:
    the request line of a refused request may carry a token in its query string."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    handler.setFormatter(log_format.formatter(LOG_FORMAT))
                    if getattr(handler, "stream", None) is sys.stderr:
                        handler.setStream(sys.stdout)  # api.md: every line on stdout
            if not any(isinstance(f, RedactSecrets) for f in log.filters):
                log.addFilter(RedactSecrets())

    def access(self, resp, req, environ, request_time):
        """One line per request, as the app writes it, when the access log is turned on."""
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        request_id = next((v for k, v in resp.headers if k.lower() == "x-request-id"), None)
        duration_ms = round(request_time.total_seconds() * 1000, 1)
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")  # no query string
        self.access_log.info(
            "%s %s -> %s in %.1f ms",
            method,
            path,
            status,
            duration_ms,
            extra={
                "event": "access",
                "request_id": request_id,
                "method": method,
                "path": path,
                "status": int(status) if str(status).isdigit() else status,
                "duration_ms": duration_ms,
                "client": environ.get("REMOTE_ADDR"),
                "bytes": getattr(resp, "sent", None),
            },
        )


logger_class = GatewayLogger


def _without_server_header(default_headers):
    """gunicorn writes "Server: gunicorn" itself and has no setting for it; a caller learns
    nothing from it but what to attack, so it is left out of every answer."""

    def headers(response):
        return [line for line in default_headers(response) if not line.startswith("Server:")]

    return headers


gunicorn.http.wsgi.Response.default_headers = _without_server_header(
    gunicorn.http.wsgi.Response.default_headers
)


# gunicorn's own refusals (a request it cannot parse: a control character in a header, too
# many or too long headers, a request line over the limit) as api.md's problem+json instead
# of its HTML page. The detail never repeats what the caller sent.
_REFUSALS = {
    400: (
        "bad_request",
        "The request could not be read: its request line or a header is malformed.",
    ),
    403: ("forbidden", "This request is not allowed from this address."),
    414: ("uri_too_long", "The request line is longer than the gateway accepts."),
    417: ("bad_request", "The Expect header asks for something the gateway does not do."),
    431: ("header_too_large", "The request has more or longer headers than the gateway accepts."),
    501: ("not_implemented", "The request uses something the gateway does not implement."),
}


def _write_problem(sock, status_int, reason, _mesg):
    code, detail = _REFUSALS.get(status_int, ("internal_error", "The gateway failed to answer."))
    body = json.dumps(
        {"type": "about:blank", "title": reason, "status": status_int, "detail": detail,
         "code": code}
    ).encode()  # fmt: skip
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        "Content-Type: application/problem+json\r\nX-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


gunicorn.util.write_error = _write_problem


class GracefulThreadWorker(ThreadWorker):
    """gthread, stopping (SIGTERM) without cutting a connection or leaving a lease behind.

    gthread stops accepting but keeps the listening socket open until its last request is
    answered: connections that arrive meanwhile wait in the kernel's backlog and are reset at
    the end, after nginx may have sent them a PATCH it must not repeat. Here the worker takes
    what already waits, then closes its copy of the socket (the master closed its own), so
    that new connections are refused at once and nginx tries another gateway. And its courier
    stops claiming at once, while the requests in flight are finished."""

    stop_by = None  # time.monotonic() when the master stops waiting for this worker

    def handle_exit(self, sig, frame):
        if self.alive:
            self.stop_by = time.monotonic() + self.cfg.graceful_timeout
            self.method_queue.defer(self._last_accepts)
            background = _background_courier(self)
            if background is not None:
                self.method_queue.defer(background.stop_claiming)
        super().handle_exit(sig, frame)

    def _last_accepts(self):
        self.set_accept_enabled(False)
        for listener in self.sockets:
            listener.setblocking(False)
            while True:
                try:
                    client, address = listener.accept()
                except OSError:  # EAGAIN: nothing more waits
                    break
                self.nr_conns += 1
                client.setblocking(True)
                self.enqueue_req(TConn(self.cfg, client, address, listener.getsockname()))
            listener.close()


worker_class = GracefulThreadWorker


def _background_courier(worker):
    return getattr(getattr(worker, "wsgi", None), "extensions", {}).get("background_courier")


def post_worker_init(worker):
    """Each worker process delivers queued changes in the background (DELIVERY_POLL_SECONDS)."""
    background = _background_courier(worker)
    if background is not None:
        background.start()


def worker_exit(server, worker):
    """After the last request: wait for the courier's delivery under way (cut short after
    DELIVERY_WAIT_SECONDS) to be settled, within what is left of graceful_timeout."""
    background = _background_courier(worker)
    if background is not None:
        stop_by = getattr(worker, "stop_by", None) or time.monotonic() + graceful_timeout
        background.stop(timeout=max(stop_by - time.monotonic() - 1, 0.1))


# /metrics adds up the numbers of all workers from files in this folder (prometheus-client's
# multiprocess mode); it is emptied when gunicorn starts.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(os.path.dirname(__file__), "var", "prometheus")
)


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
