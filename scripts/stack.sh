#!/usr/bin/env bash
# Run the full stack locally as separate processes (web, worker, routing, beat, relay, consume) from the
# Procfile, against PostgreSQL and Redis on this machine (started if stopped), and NATS when
# OUTBOX_NATS_SUBSCRIPTIONS names subscriptions to deliver over it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_debs "${RUNTIME_DEBS[@]}"
ensure_venv base
ensure_npm
ensure_postgres
ensure_redis
[ -z "${OUTBOX_NATS_SUBSCRIPTIONS:-}" ] || ensure_nats
export DATABASE_URL=${DATABASE_URL:-postgres://logitrack:logitrack@127.0.0.1:5432/logitrack}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.dev}
export PATH="$VENV/bin:$PATH"

say "applying migrations"
python manage.py migrate --no-input -v 0
python manage.py identity_demo_admin
[ -z "${OUTBOX_NATS_SUBSCRIPTIONS:-}" ] || python manage.py outbox_nats_setup
say "starting web, worker, routing, beat, relay and consume (Ctrl-C stops them all)"
exec honcho start -f Procfile
