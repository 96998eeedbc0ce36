"""What every figure needs: the sizes of this run and the running processes."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from bench.dataset import Dataset
from bench.gateway import Gateway
from bench.processes import WRK_CONNECTIONS, Process, start_gunicorn
from bench.simctl import SimControl

CWC_LATENCY_MS = 50  # CaseWare Cloud's time per call in the write, switch and drain figures


@dataclass(frozen=True)
class Profile:
    """How big and how long: the full run, or --quick for a smoke run."""

    clients: int
    rounds: int
    wrk_seconds: float
    wrk_connections: int
    write_samples: int
    switch_seconds: float
    switch_callers: int
    drain_changes: int
    drain_timeout: float
    list_samples: int


# The full run takes about 5 minutes a database on 2 cores, most of it the drain: 5,000 calls
# at the bucket's 50 a second are 100 s by themselves, after the changes made during the outage.
FULL = Profile(
    clients=10_000,
    rounds=3,
    wrk_seconds=3,
    # gunicorn's workers share one listening socket and wrk opens all its connections at
    # once and keeps them: with 16, one worker often got every one (seen with ss), which
    # halved the round of whichever app it happened to. 64 spread over the workers.
    wrk_connections=WRK_CONNECTIONS,
    write_samples=30,
    switch_seconds=6,
    switch_callers=32,
    drain_changes=5_000,
    drain_timeout=240,
    list_samples=100,
)
QUICK = Profile(
    clients=1_000,
    rounds=1,
    wrk_seconds=2,
    wrk_connections=WRK_CONNECTIONS,
    write_samples=10,
    switch_seconds=3,
    switch_callers=32,
    drain_changes=300,
    drain_timeout=120,
    list_samples=20,
)


@dataclass
class Bench:
    """One database's run: its processes, data, sizes, and notes for the report."""

    tmp: Path
    profile: Profile
    database_url: str
    simctl: SimControl
    sim_api: str
    sim_credentials: tuple[str, str]
    gateway: Gateway
    data: Dataset
    settings: dict  # workers, threads as gunicorn.conf.py computes them
    env: dict
    token: str
    notes: list[str] = field(default_factory=list)
    bare: Process | None = None
    bare_base: str | None = None

    def start_bare(self, bodies: dict[str, bytes]) -> str:
        """The bare app under the same gunicorn settings, answering these bodies; its URL."""
        if self.bare_base:
            return self.bare_base
        path = self.tmp / "bare-bodies.json"
        path.write_text(json.dumps({k: v.decode() for k, v in bodies.items()}))
        env = {
            **self.env,
            "BENCH_BARE_BODIES": str(path),
            "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "prometheus-bare"),
        }
        self.bare, self.bare_base = start_gunicorn(
            env, "bench.bare_app:create_app()", self.tmp / "bare.log"
        )
        return self.bare_base

    def capture(self, path: str, **params) -> bytes:
        """The gateway's answer to a GET, as bytes, for the bare app to send."""
        answer = self.gateway.http.get(f"{self.gateway.base}{path}", params=params, timeout=60)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer.content
