"""Command line: run the CaseWare Cloud simulator until interrupted."""

from __future__ import annotations

import argparse
import logging
import secrets
import threading

from .server import start_in_thread


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m adapters.caseware_cloud.simulator",
        description="Simulate the CaseWare Cloud API (caseware-cloud.md part A).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--firm", default="demo")
    parser.add_argument("--client-id", help="API client id (made up when left out)")
    parser.add_argument("--client-secret", help="API client secret (made up when left out)")
    parser.add_argument("--token-ttl", type=float, default=1800, help="token life in seconds")
    parser.add_argument("--rate-capacity", type=int, default=1000)
    parser.add_argument("--rate-refill", type=float, default=200, help="tokens per second")
    parser.add_argument(
        "--quiet", action="store_true", help="do not log each request (for benchmarks)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    client_id = args.client_id or f"sim-{secrets.token_hex(4)}"
    client_secret = args.client_secret or secrets.token_urlsafe(24)
    handle = start_in_thread(
        client_id,
        client_secret,
        host=args.host,
        port=args.port,
        firm=args.firm,
        log_requests=not args.quiet,
        token_ttl=args.token_ttl,
        rate_capacity=args.rate_capacity,
        rate_refill_per_second=args.rate_refill,
    )
    settings = handle.config()
    if args.client_secret:  # the caller knows it; keep it off the screen and out of logs
        settings["CWC_CLIENT_SECRET"] = "(as given)"
    # A made-up secret is printed on purpose: whoever started this local stand-in needs it.
    for key, value in settings.items():
        print(f"{key}={value}", flush=True)
    print(f"# control routes: {handle.control_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()


if __name__ == "__main__":
    main()
