"""Renders deploy/nginx.conf: `python -m deploy.render_nginx --upstream HOST:PORT > FILE`."""

import argparse
import re
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf")
# Only ${UPPER_CASE} names are the template's; nginx's own variables are $lower_case.
_NAME = re.compile(r"\$\{([A-Z_]+)\}")


def render(listen: str, upstreams: list[str], state_dir: str, log_dir: str) -> str:
    """The configuration with every ${NAME} filled in."""
    if not upstreams:
        raise ValueError("at least one gunicorn address is needed")
    values = {
        "LISTEN": listen,
        "GATEWAY_SERVERS": "\n        ".join(
            f"server {address} max_fails=3 fail_timeout=10s;" for address in upstreams
        ),
        "STATE_DIR": state_dir,
        "LOG_DIR": log_dir,
    }
    return _NAME.sub(lambda m: values[m.group(1)], TEMPLATE.read_text())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", default="80", help="nginx's listen address (default 80)")
    parser.add_argument(
        "--upstream",
        action="append",
        required=True,
        help="a gunicorn HOST:PORT (GATEWAY_BIND); repeat for several",
    )
    parser.add_argument(
        "--state-dir",
        default="/var/lib/nginx/gateway",
        help="pid file and temporary files (must exist, writable by nginx)",
    )
    parser.add_argument("--log-dir", default="/var/log/nginx", help="error.log and access.log")
    args = parser.parse_args(argv)
    print(render(args.listen, args.upstream, args.state_dir, args.log_dir), end="")


if __name__ == "__main__":
    main()
