"""gunicorn settings for the gateway: `gunicorn 'app:create_app()'` reads this file."""

import multiprocessing
import os

bind = os.environ.get("GATEWAY_BIND", "127.0.0.1:8080")
# Threaded workers: every write waits on CaseWare Cloud, so a worker should hold many
# requests in flight while the CPU stays free.
worker_class = "gthread"
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
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'


def post_worker_init(worker):
    """Each worker process delivers queued changes in the background (DELIVERY_POLL_SECONDS)."""
    background = worker.wsgi.extensions.get("background_courier")
    if background is not None:
        background.start()


def worker_exit(server, worker):
    background = getattr(worker, "wsgi", None) and worker.wsgi.extensions.get("background_courier")
    if background:
        background.stop()


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
