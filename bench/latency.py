"""Request latency through gunicorn, with the simulator as CaseWare Cloud.

python -m bench.latency [--requests N] [--concurrency C] [--records R]

Starts the simulator and gunicorn (SQLite in a temporary folder), links one client with one
contact, then times three kinds of request from C threads: a read (GET a client), a data change
of a linked client (forwarded to CaseWare Cloud within the request) and a link switch of a
contact (off and on). Prints p50, p95 and p99 in milliseconds and requests per second.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str) -> None:
    for _ in range(200):
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url} never answered")


def _percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100)
    return f"p50 {cuts[49]:6.1f} ms  p95 {cuts[94]:6.1f} ms  p99 {cuts[98]:6.1f} ms"


def _timed(session: requests.Session, method: str, url: str, **kwargs) -> float:
    started = time.perf_counter()
    response = session.request(method, url, timeout=30, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code < 300, (response.status_code, response.text)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--records", type=int, default=1, help="linked clients to spread over")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sim_port, port, secret = _free_port(), _free_port(), secrets.token_hex(16)
        env = {
            **os.environ,
            "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db",
            "CWC_BASE_URL": f"http://127.0.0.1:{sim_port}/demo/ms/caseware-cloud/api/v2",
            "CWC_CLIENT_ID": "bench",
            "CWC_CLIENT_SECRET": secret,
            "GATEWAY_BIND": f"127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",
        }
        sim = subprocess.Popen(
            [sys.executable, "-m", "adapters.caseware_cloud.simulator", "--port", str(sim_port),
             "--client-id", "bench", "--client-secret", secret, "--rate-capacity", "1000000",
             "--rate-refill", "1000000"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        flask = [sys.executable, "-m", "flask", "--app", "app"]
        subprocess.run(
            [*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        rights = "clients:read,clients:write,links:read,links:write"
        token = subprocess.run(
            [*flask, "token", "create", "bench", "--rights", rights],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout.split()[-1]  # fmt: skip
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "app:create_app()", "--access-logfile", "/dev/null"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(f"{base}/healthz")
            auth = {"Authorization": f"Bearer {token}"}
            _run(base, auth, args.requests, args.concurrency, args.records)
        finally:
            gunicorn.terminate()
            sim.terminate()
            gunicorn.wait(10)
            sim.wait(10)


def _linked_client(session, base: str, n: int) -> tuple[int, int]:
    """A linked client with one contact; (client id, contact id)."""
    client = session.post(f"{base}/v1/clients", json={"number": f"B{n}", "name": "Bench BV"}).json()
    contact = session.post(
        f"{base}/v1/clients/{client['id']}/contacts",
        json={"last_name": "Bench", "email": f"b{n}@bench.example"},
    ).json()
    on = {"caseware_cloud": {"active": True}}
    assert session.patch(f"{base}/v1/clients/{client['id']}/links", json=on).status_code == 200
    return client["id"], contact["id"]


def _run(base: str, headers: dict, count: int, concurrency: int, records: int) -> None:
    session = requests.Session()
    session.headers.update(headers)
    # Request n works on record n % records: 1 record makes every writer queue behind the others.
    ids = [_linked_client(session, base, n) for n in range(records)]

    def client(n):
        return ids[n % records][0]

    def contact(n):
        return ids[n % records][1]

    kinds = {
        "GET client": lambda s, n: _timed(s, "GET", f"{base}/v1/clients/{client(n)}"),
        "PATCH linked client (forwarded)": lambda s, n: _timed(
            s, "PATCH", f"{base}/v1/clients/{client(n)}", json={"city": f"Stad {n}"}
        ),
        "PATCH contact link (off/on)": lambda s, n: _timed(
            s, "PATCH", f"{base}/v1/contacts/{contact(n)}/links",
            json={"caseware_cloud": {"active": (n // records) % 2 == 1}},
        ),
    }  # fmt: skip
    for name, call in kinds.items():
        sessions = [requests.Session() for _ in range(concurrency)]
        for s in sessions:
            s.headers.update(headers)
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            samples = list(
                pool.map(lambda n, c=call, s=sessions: c(s[n % concurrency], n), range(count))
            )
        rate = count / (time.perf_counter() - started)
        print(f"{name:34s} {_percentiles(samples)}  {rate:7.1f} req/s", flush=True)


if __name__ == "__main__":
    main()
