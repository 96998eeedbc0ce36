#!/usr/bin/env bash
# Runs the suite. PostgreSQL joins in when TEST_DATABASE_URL is set, or when PG_TEST_URL answers.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TEST_DATABASE_URL:-}" ] && [ -n "${PG_TEST_URL:-}" ]; then
  if .venv/bin/python - "$PG_TEST_URL" <<'PY'
import sys
from sqlalchemy import create_engine, text
try:
    with create_engine(sys.argv[1]).connect() as conn:
        conn.execute(text("SELECT 1"))
except Exception:
    sys.exit(1)
PY
  then
    export TEST_DATABASE_URL="$PG_TEST_URL"
  fi
fi
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "tests run on SQLite and on PostgreSQL (${TEST_DATABASE_URL%%@*}@...)"
else
  echo "tests run on SQLite only: no PostgreSQL answered (set TEST_DATABASE_URL to add one)"
fi
# Two workers (pytest-xdist), one per core of our machines: much of the suite waits on sockets,
# processes and the databases. Each worker has its own databases, schemas, ports and Redis keys.
# worksteal: an idle worker takes half of the other's queue, so that no long test ends the run
# alone. TEST_WORKERS=0 runs in one process. Tests marked `serial` need the machine to
# themselves (a timed race or wait, a database cluster at rest) and run first, alone.
pytest=(.venv/bin/python -m pytest)
serial=0
"${pytest[@]}" -m serial "$@" || serial=$?
status=0
"${pytest[@]}" -n "${TEST_WORKERS:-2}" --dist worksteal -m "not serial" "$@" || status=$?
# 5 is "no test collected": arguments that pick tests of one part only.
if [ "$status" = 5 ] && [ "$serial" != 5 ]; then status=$serial
elif [ "$serial" != 5 ] && [ "$serial" != 0 ]; then status=$serial; fi
exit "$status"
