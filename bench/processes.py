"""The processes a benchmark runs: the simulator, gunicorn (gateway or bare app), flask commands."""

import os
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
SIM_PREFIX = "/demo/ms/caseware-cloud/api/v2"
# A limit nobody reaches: the simulator's own default bucket (1,000 / 200 a second) would
# shape the write and switch figures; the drain sets the bucket it is measured against.
UNLIMITED = "1000000"


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str):
    """Poll `check` until it answers something true; SystemExit when `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


class Process:
    """A child in its own process group, so that stopping it takes its workers too."""

    def __init__(self, args: list[str], env: dict, log: Path):
        self.log = log
        self._file = log.open("ab")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        """Whether the child still runs."""
        return self.popen.poll() is None

    def stop(self) -> None:
        """SIGTERM to the group (gunicorn stops its workers gracefully), SIGKILL if it lingers."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        self._file.close()

    def tail(self, lines: int = 20) -> str:
        """The end of its log, to show why it failed."""
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass(frozen=True)
class Simulator:
    """A running CaseWare Cloud simulator: its URLs and the API client's credentials."""

    process: Process
    base: str
    client_id: str
    secret: str

    @property
    def api(self) -> str:
        return self.base + SIM_PREFIX


def start_simulator(tmp: Path) -> Simulator:
    """The simulator as `python -m adapters.caseware_cloud.simulator` starts it."""
    port, client_id, secret = free_port(), "bench", secrets.token_hex(16)
    args = [sys.executable, "-m", "adapters.caseware_cloud.simulator", "--port", str(port),
            "--client-id", client_id, "--client-secret", secret,
            "--rate-capacity", UNLIMITED, "--rate-refill", UNLIMITED, "--quiet"]  # fmt: skip
    process = Process(args, dict(os.environ), tmp / "simulator.log")
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: requests.get(f"{base}/_sim/state", timeout=1).ok, 20, "the simulator")
    return Simulator(process, base, client_id, secret)


def gateway_env(tmp: Path, database_url: str, sim: Simulator) -> dict:
    """Production settings: the environment an operator gives gunicorn, pointed at the simulator."""
    return {
        **os.environ,
        "GATEWAY_ENV": "production",
        "DATABASE_URL": database_url,
        "CWC_BASE_URL": sim.api,
        "CWC_CLIENT_ID": sim.client_id,
        "CWC_CLIENT_SECRET": sim.secret,
        # Each gunicorn gets its own metrics folder: gunicorn.conf.py empties it on start, and
        # the default (var/prometheus) may belong to a gateway a developer is running.
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prometheus-gateway"),
        # The per-caller limits of api.md would cap one benchmark caller at 20 reads a second;
        # the benchmark measures the gateway's cost, not that policy.
        "RATE_LIMIT_READS": "1000000/minute",
        "RATE_LIMIT_WRITES": "1000000/minute",
        # Figure 3 switches contacts off and on by the thousand: at api.md's 50 an hour the
        # unlink guard would hold them. It still locks and counts each withdrawal as in
        # production, where a count reads at most the limit's 50 rows: here those of 1 s.
        "UNLINK_GUARD_LIMIT": "1000000",
        "UNLINK_GUARD_WINDOW_SECONDS": "1",
    }


def flask(env: dict, *args: str) -> str:
    """Run `flask --app app ARGS` and answer its stdout; SystemExit with its output on failure."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args[:2])} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def create_token(env: dict) -> str:
    """A token with every right; its secret is the last line of `token create`."""
    rights = "clients:read,clients:write,links:read,links:write,admin"
    out = flask(env, "token", "create", "bench", "--rights", rights)
    return out.strip().splitlines()[-1]


WRK_CONNECTIONS = 64  # wrk's kept-alive connections in figure 1 (bench.context)


def start_gunicorn(env: dict, app: str, log: Path) -> tuple[Process, str]:
    """gunicorn APP with the project's gunicorn.conf.py; answers (process, base URL)."""
    port = free_port()
    env = {**env, "GATEWAY_BIND": f"127.0.0.1:{port}"}
    # Both apps alike: the workers share one listening socket, and a worker whose main thread
    # waits for the GIL accepts late, so one often held 56 to 61 of wrk's 64 kept-alive
    # connections while the other idled (seen with ss), halving a round at random. Capped at
    # an equal share each, every round measures every worker.
    per_worker = -(-WRK_CONNECTIONS // gunicorn_settings()["workers"])
    env.setdefault("GUNICORN_CMD_ARGS", f"--worker-connections {per_worker}")
    os.makedirs(env["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    args = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), app]
    process = Process(args, env, log)
    base = f"http://127.0.0.1:{port}"

    def up():
        if not process.alive():
            raise SystemExit(f"gunicorn {app} exited:\n{process.tail()}")
        return requests.get(f"{base}/healthz", timeout=1).ok

    wait_until(up, 60, f"gunicorn {app}")
    return process, base


def gunicorn_settings() -> dict:
    """Workers and threads as gunicorn.conf.py computes them (GATEWAY_WORKERS, GATEWAY_THREADS)."""
    saved = dict(os.environ)
    try:  # the file sets an environment default as it is read; keep ours as it was
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"workers": int(conf["workers"]), "threads": int(conf["threads"])}
