"""The benchmark suite: python -m bench.suite [--db sqlite|postgresql|both] [--rounds N] [--quick].

For each database: starts the simulator and gunicorn with the production settings, loads the
data set (10,000 clients, 30,000 contacts, a third linked; --quick: 1,000 clients), measures
the five figures of issue 9 against baselines of the same run, prints them with their targets
and writes them to bench/results/<db>-<timestamp>.json.
"""

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import figures_drain, figures_read, figures_switch, figures_write
from bench.context import CWC_LATENCY_MS, FULL, QUICK, Bench, Profile
from bench.databases import database, pg_base_url, pg_unavailable
from bench.dataset import load
from bench.gateway import Gateway, check_loaded
from bench.processes import (
    ROOT,
    create_token,
    flask,
    gateway_env,
    gunicorn_settings,
    start_gunicorn,
    start_simulator,
)
from bench.report import Figure, table, write_results
from bench.simctl import SimControl


def _say(text: str) -> None:
    print(text, flush=True)


def _source() -> dict:
    """Which code was measured: the commit, and whether the working tree differs from it."""

    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def _measure(b: Bench, gateway_process, only: set[str]) -> list[Figure]:
    """The five figures (or those in `only`), in an order that leaves each the state the next
    one needs."""

    def bare() -> str:
        return b.start_bare(figures_read.capture_bodies(b))

    def slow_upstream() -> None:
        if b.bare:  # the bare app's job is done: give its CPU back to the gateway
            b.bare.stop()
        b.simctl.faults(latency_ms=CWC_LATENCY_MS)

    steps = [
        ("1 read throughput", lambda: figures_read.read_throughput(b, bare())),
        ("5 list latency", lambda: figures_read.list_latency(b, bare())),
        ("2 write latency", lambda: slow_upstream() or figures_write.write_latency(b)),
        # Set again: with --only 3, figure 2 has not set it.
        ("3 link switches", lambda: slow_upstream() or figures_switch.switch_throughput(b)),
        ("4 drain after an outage", lambda: figures_drain.drain(b)),
    ]
    figures: list[Figure] = []
    for name, step in steps:
        if only and name.split()[0] not in only:
            continue
        _say(f"  figure {name} ...")
        started = time.monotonic()
        try:
            figures += step()
        except (Exception, SystemExit) as exc:  # one broken figure must not lose the others
            traceback.print_exc()
            b.notes.append(f"figure {name} crashed: {type(exc).__name__}: {exc}")
            if not gateway_process.alive():
                b.notes.append(f"gunicorn exited; its log ends:\n{gateway_process.tail()}")
                break
        _say(f"    done in {time.monotonic() - started:.0f} s")
    return figures


def run_database(
    kind: str, profile: Profile, only: set[str] = frozenset()
) -> tuple[list[Figure], list[str], dict]:
    """Everything for one database, in a temporary folder; processes stopped at the end."""
    with (
        tempfile.TemporaryDirectory(prefix="gw-bench-") as folder,
        database(kind, Path(folder)) as url,
    ):
        tmp, running, b = Path(folder), [], None
        try:
            sim = start_simulator(tmp)
            running.append(sim.process)
            simctl, env = SimControl(sim.base), gateway_env(tmp, url, sim)
            flask(env, "db", "upgrade")
            started = time.monotonic()
            data = load(url, simctl, profile.clients)
            loaded = time.monotonic() - started
            _say(
                f"  loaded {data.clients:,} clients, {data.contacts:,} contacts, "
                f"{len(data.linked_clients):,} + {len(data.linked_contacts):,} linked "
                f"in {loaded:.1f} s"
            )
            token = create_token(env)
            gateway_process, base = start_gunicorn(env, "app:create_app()", tmp / "gateway.log")
            running.append(gateway_process)
            gateway = Gateway(base, token)
            check_loaded(gateway, data)
            b = Bench(
                tmp,
                profile,
                url,
                simctl,
                sim.api,
                (sim.client_id, sim.secret),
                gateway,
                data,
                gunicorn_settings(),
                env,
                token,
            )
            if not data.remote_address_column:
                b.notes.append("links has no remote_address_id column: address CWGuids not loaded")
            figures = _measure(b, gateway_process, only)
            context = {
                "load_seconds": round(loaded, 1),
                "clients": data.clients,
                "contacts": data.contacts,
                "linked_clients": len(data.linked_clients),
                "linked_contacts": len(data.linked_contacts),
            }
            return figures, b.notes, context
        finally:
            if b is not None and b.bare is not None:
                running.append(b.bare)
            for process in reversed(running):
                process.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the suite; 1 when it could not run, or with --strict when a target failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, help="rounds per figure (default 3; --quick 1)")
    parser.add_argument("--quick", action="store_true", help="1,000 clients, short runs")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument(
        "--only", default="", help="figures to measure, e.g. 2,3 (default: all five)"
    )
    args = parser.parse_args(argv)
    profile = QUICK if args.quick else FULL
    if args.rounds:
        profile = dataclasses.replace(profile, rounds=args.rounds)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    settings = gunicorn_settings()
    _say(
        f"cores: {os.cpu_count()}; gunicorn: {settings['workers']} workers x "
        f"{settings['threads']} threads (gunicorn.conf.py); profile: "
        f"{'quick' if args.quick else 'full'}, {profile.rounds} round(s)"
    )
    failed, ran = False, False
    for kind in kinds:
        if kind == "postgresql":
            why = pg_unavailable()
            if why:
                _say(f"PostgreSQL at {pg_base_url()} does not answer ({why}): skipped")
                continue
        _say(f"\n== {kind} ==")
        started = time.monotonic()
        figures, notes, context = run_database(kind, profile, only)
        seconds = time.monotonic() - started
        _say(
            f"\n{kind}: {os.cpu_count()} cores, {settings['workers']} workers x "
            f"{settings['threads']} threads, {seconds:.0f} s\n{table(figures)}"
        )
        for note in notes:
            _say(f"  note: {note}")
        meta = {
            "cores": os.cpu_count(),
            **settings,
            "profile": dataclasses.asdict(profile),
            "quick": args.quick,
            "only": sorted(only),
            "seconds": round(seconds),
            **context,
            **_source(),
        }
        _say(f"results: {write_results(kind, meta, figures, notes).relative_to(ROOT)}")
        failed |= any(f.passed is False for f in figures) or any("crashed" in n for n in notes)
        ran = True
    if not ran:
        return 1
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
