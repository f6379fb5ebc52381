#!/usr/bin/env bash
# Set up and start LogiTrack on the embedded default: SQLite under var/, in-memory channel layer,
# jobs and the outbox relay in-process. No services needed. Serves HTTP + websockets on :8000,
# with the demo operator seeded on first start and the simulator driving it (SIMULATE=0: no simulator).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_debs "${RUNTIME_DEBS[@]}"
ensure_venv base
ensure_npm
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.dev}

say "applying migrations"
"$PY" manage.py migrate --no-input -v 0
"$PY" manage.py identity_demo_admin
say "demo operator (seed_demo; a fleet that exists is left as it is)"
"$PY" manage.py seed_demo --quiet

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
"$VENV/bin/uvicorn" config.asgi:application --host "$HOST" --port "$PORT" --lifespan off --no-access-log \
  --ws-per-message-deflate false &
server=$!
pids=("$server")
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; exit 0' INT TERM
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
for _ in $(seq 1 100); do "$PY" -c "import urllib.request as u; u.urlopen('http://$HOST:$PORT/healthz', timeout=2)" \
  2>/dev/null && break; sleep 0.2; done
say "LogiTrack on http://$HOST:$PORT/  (dispatch screen: /dispatch/, admin: /admin/, API docs: /api/docs/)"
if [ "${SIMULATE:-1}" != 0 ]; then
  log="${LOGITRACK_VAR_DIR:-var}/simulator.log"
  "$PY" manage.py dispatch_simulate --url "http://$HOST:$PORT" >"$log" 2>&1 &
  pids+=("$!")
  say "simulator driving the demo (log: $log; SIMULATE=0 to run without it)"
fi
wait "$server"
