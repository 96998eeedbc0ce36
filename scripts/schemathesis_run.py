"""Schemathesis against the gateway as production runs it: `make fuzz`.

Starts the CaseWare Cloud simulator and gunicorn (gunicorn.conf.py) on a fresh SQLite
database with demo data, and runs Schemathesis' command line over the served OpenAPI document,
every phase (examples, coverage, fuzzing, stateful) and every check but one, as a person with
every right. A JWT, not a gateway token: the stateful phase calls DELETE /v1/tokens/{name} and
would revoke a token it was using. Rate limits are set out of reach: Schemathesis is one caller.

The check left out, positive_data_acceptance, expects every schema-valid request to be
accepted; two rules of api.md refuse some with a 422 that JSON Schema cannot state: an
Idempotency-Key reused for another request (Schemathesis repeats its generated keys) and a
token's expires_at in the past. Exit status: Schemathesis' own.
"""

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.processes import ROOT, flask, gateway_env, start_gunicorn, start_simulator

EXCLUDED_CHECK = "positive_data_acceptance"


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="gw-fuzz-") as folder:
        tmp, running = Path(folder), []
        try:
            sim = start_simulator(tmp)
            running.append(sim.process)
            env = {
                **gateway_env(tmp, f"sqlite:///{tmp / 'fuzz.db'}", sim),
                "RATE_LIMIT_AUTH_FAILURES": "1000000/minute",
                "JWT_ALGORITHM": "HS256",
                "JWT_SECRET": secrets.token_urlsafe(48),
                "JWT_ISSUER": "auditcase-fuzz",
                "JWT_AUDIENCE": "gateway-fuzz",
            }
            flask(env, "db", "upgrade")
            flask(env, "demo-data")  # a few clients and contacts to find and change
            rights = "clients:read,clients:write,links:read,links:write,admin"
            jwt = flask(env, "jwt", "issue", "--sub", "fuzz", "--name", "Schemathesis",
                        "--rights", rights, "--minutes", "120").strip()  # fmt: skip
            gateway, base = start_gunicorn(env, "app:create_app()", tmp / "gateway.log")
            running.append(gateway)
            command = [
                str(Path(sys.executable).with_name("st")), "run", f"{base}/v1/openapi.json",
                "--header", f"Authorization: Bearer {jwt}",
                "--phases", "examples,coverage,fuzzing,stateful",
                "--checks", "all", "--exclude-checks", EXCLUDED_CHECK,
                *argv,
            ]  # fmt: skip
            return subprocess.run(command, cwd=ROOT, env=os.environ.copy()).returncode
        finally:
            for process in reversed(running):
                process.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
