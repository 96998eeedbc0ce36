#!/usr/bin/env bash
# `make run`: migrate, demo data and token, the CaseWare Cloud simulator, then the gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
BIN=.venv/bin
export FLASK_APP=app

SIM_PORT="${SIM_PORT:-8081}"
GATEWAY_BIND="${GATEWAY_BIND:-127.0.0.1:8080}"
# The simulator's API client: made afresh for each run, never written to disk.
CWC_CLIENT_ID="${CWC_CLIENT_ID:-gateway-demo}"
CWC_CLIENT_SECRET="${CWC_CLIENT_SECRET:-$($BIN/python -c 'import secrets; print(secrets.token_urlsafe(24))')}"
CWC_BASE_URL="${CWC_BASE_URL:-http://127.0.0.1:${SIM_PORT}/demo/ms/caseware-cloud/api/v2}"
export CWC_CLIENT_ID CWC_CLIENT_SECRET CWC_BASE_URL GATEWAY_BIND

$BIN/flask db upgrade >/dev/null
$BIN/flask demo-data
$BIN/flask token revoke demo >/dev/null 2>&1 || true
TOKEN=$($BIN/flask token create demo --rights clients:read,clients:write,links:read,links:write,admin | tail -n 1)

$BIN/python -m adapters.caseware_cloud.simulator --port "$SIM_PORT" \
  --client-id "$CWC_CLIENT_ID" --client-secret "$CWC_CLIENT_SECRET" >var/simulator.log 2>&1 &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  CaseWare Cloud link gateway
  Swagger UI:     http://${GATEWAY_BIND}/docs   (Authorize, paste the token below)
  Demo token:     ${TOKEN}
  Simulator:      http://127.0.0.1:${SIM_PORT}/_sim/state   (what CaseWare Cloud holds)
  Stop with Ctrl-C.

MSG
$BIN/gunicorn 'app:create_app()'
