"""wrk (the Debian package): found or installed, driven by a Lua script that picks random ids."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = """
local ids = {%(ids)s}
local template = "%(template)s"
local threads = 0
wrk.headers["Authorization"] = "Bearer %(token)s"

function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end

function init(args)
  -- each wrk thread has its own Lua state: seed each apart, or they ask for the same ids
  math.randomseed(os.time() * 1000 + (number or 0))
end

function request()
  return wrk.format("GET", string.format(template, ids[math.random(#ids)]))
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRK_JSON {"requests": %%d, "duration_us": %%d, "status_errors": %%d, ' ..
    '"socket_errors": %%d, "p50_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: answers per second that were 2xx, and the others."""

    requests: int
    seconds: float
    status_errors: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def ok_per_second(self) -> float:
        return (self.requests - self.status_errors) / self.seconds


def ensure_wrk() -> str | None:
    """Why wrk cannot be used, or None; installs the Debian package when running as root."""
    if shutil.which("wrk"):
        return None
    if os.geteuid() != 0:
        return "wrk is not installed and this is not root: `apt-get install -y wrk` installs it"
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            return f"`{' '.join(command)}` failed: {done.stderr.strip()[-300:]}"
    return None if shutil.which("wrk") else "apt-get installed wrk, yet it is not on PATH"


def write_script(folder: Path, name: str, template: str, ids: list[int], token: str) -> Path:
    """A Lua script for GETs of `template` % id, for ids picked at random from `ids`."""
    path = folder / f"{name}.lua"
    body = SCRIPT % {"ids": ",".join(map(str, ids)), "template": template, "token": token}
    # The script holds the bench token: readable by us only.
    path.touch(mode=0o600)
    path.write_text(body)
    return path


def run(base: str, script: Path, seconds: float, connections: int, threads: int) -> WrkResult:
    """wrk against `base` for `seconds`; SystemExit when it fails or prints no summary."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s",
               "--timeout", "10s", "-s", str(script), base]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    return WrkResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        status_errors=raw["status_errors"],
        socket_errors=raw["socket_errors"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
    )
