#!/usr/bin/env bash
# Boot the embedded default (no DATABASE_URL/REDIS_URL) in a scratch var/ and hit /healthz and /api/schema/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

scratch=$(mktemp -d)
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
envs=(env -u DATABASE_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=config.settings.dev LOGITRACK_VAR_DIR="$scratch")
"${envs[@]}" "$PY" manage.py migrate --no-input -v 0
"${envs[@]}" "$VENV/bin/uvicorn" config.asgi:application --host 127.0.0.1 --port "$port" --lifespan off \
  >"$scratch/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$scratch"; exit $rc' EXIT
rc=1

fetch() { "$PY" - "$1" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
    body = r.read()
    print(r.status, len(body), "bytes")
    sys.exit(0 if r.status == 200 and body else 1)
PY
}
for _ in $(seq 1 50); do fetch "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
fetch "http://127.0.0.1:$port/healthz" || { cat "$scratch/server.log"; die "/healthz failed"; }
fetch "http://127.0.0.1:$port/readyz" || { cat "$scratch/server.log"; die "/readyz failed"; }
fetch "http://127.0.0.1:$port/api/schema/" || { cat "$scratch/server.log"; die "/api/schema/ failed"; }
fetch "http://127.0.0.1:$port/api/docs/" || { cat "$scratch/server.log"; die "/api/docs/ failed"; }
fetch "http://127.0.0.1:$port/login/?next=/dispatch/" || { cat "$scratch/server.log"; die "/login/ failed"; }
fetch "http://127.0.0.1:$port/static/dispatch/screen/main.js" || { cat "$scratch/server.log"; die "the screen's script is not served"; }
# the map's library, from node_modules (npm ci) through our static files
fetch "http://127.0.0.1:$port/static/vendor/leaflet/leaflet.js" || { cat "$scratch/server.log"; die "Leaflet is not served"; }

# The demo as run.sh starts it: seeded (small), then driven by the simulator over HTTP and websockets.
"${envs[@]}" "$PY" manage.py seed_demo --drivers 6 --trips 10 --quiet >"$scratch/seed.log" 2>&1 \
  || { cat "$scratch/seed.log"; die "seed_demo failed on the embedded default"; }
"${envs[@]}" "$PY" manage.py dispatch_simulate --url "http://127.0.0.1:$port" --seconds 20 --book-every 4 \
  >"$scratch/simulator.log" 2>&1 || { cat "$scratch/simulator.log"; die "dispatch_simulate failed"; }
tail -n 1 "$scratch/simulator.log"
grep -qE "pings sent: [1-9]" "$scratch/simulator.log" || { cat "$scratch/simulator.log"; die "no simulated pings"; }
if grep -q "unhandled_exception" "$scratch/server.log"; then cat "$scratch/server.log"; die "the server failed a request"; fi
# the simulator, like the apps, sends its token as a websocket subprotocol, never in a URL the server logs
if grep -q "token=ey" "$scratch/server.log"; then grep -m3 "token=ey" "$scratch/server.log"; die "a token in the log"; fi
rc=0
echo "embedded default serves /healthz, /readyz, /api/schema/, /api/docs/, /login/, the dispatch screen's script, its map library and the simulated demo"
