#!/usr/bin/env bash
# One release of the gateway, after the new code is in place on every machine (README,
# "Production"). On ONE machine, once per release:
#     deploy/release.sh             # migrate the database, then restart this machine's units
# and on each other machine:
#     deploy/release.sh --restart   # restart only
# Safe to repeat: a database already at the newest schema is left as it is.
# --migrate migrates without restarting. APP_DIR (/opt/caseware-gateway) and ENV_FILE
# (/etc/caseware-gateway/gateway.env) say where things are.
set -euo pipefail

APP_DIR="${APP_DIR:-/opt/caseware-gateway}"
ENV_FILE="${ENV_FILE:-/etc/caseware-gateway/gateway.env}"
migrate=yes restart=yes
case "${1:-}" in
  "") ;;
  --migrate) restart=no ;;
  --restart) migrate=no ;;
  *) echo "usage: $0 [--migrate|--restart]" >&2; exit 2 ;;
esac

cd "$APP_DIR"
if [ "$migrate" = yes ]; then
  # The units' environment, in a subshell: the database to migrate is the one they use.
  (set -a; . "$ENV_FILE"; set +a; exec .venv/bin/flask --app app db upgrade)
fi
if [ "$restart" = yes ]; then
  # The worker first: the gateway's new code may queue what only the new worker knows.
  # Each stops gracefully (deploy/*.service): requests answered, leases given back.
  systemctl restart gateway-worker.service
  systemctl restart gateway.service
fi
