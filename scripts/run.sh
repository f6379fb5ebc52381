#!/usr/bin/env bash
# Set up and start LogiTrack on the embedded default: SQLite under var/, in-memory channel layer,
# jobs and the outbox relay in-process. No services needed. Serves HTTP + websockets on :8000.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_debs "${RUNTIME_DEBS[@]}"
ensure_venv base
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.dev}

say "applying migrations"
"$PY" manage.py migrate --no-input -v 0
"$PY" manage.py identity_demo_admin

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
say "LogiTrack on http://$HOST:$PORT/  (admin: /admin/, API docs: /api/docs/, health: /healthz)"
exec "$VENV/bin/uvicorn" config.asgi:application --host "$HOST" --port "$PORT" --lifespan off --no-access-log
