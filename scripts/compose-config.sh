#!/usr/bin/env bash
# Validate docker/compose.yml without a Docker engine (these machines have only the client tools).
set -euo pipefail
cd "$(dirname "$0")/.."
# compose.yml demands a secret key, the API keys' hash key, a JWT signing key, an app URL and a mail server (production
# refuses to start without them);
# any value validates.
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-validation-only-not-a-real-key}
export LOGITRACK_APP_URL=${LOGITRACK_APP_URL:-https://logitrack.example.com}
export EMAIL_HOST=${EMAIL_HOST:-smtp.example.com}
export API_KEY_HASH_SECRET=${API_KEY_HASH_SECRET:-validation-only-not-a-real-key}
export JWT_SIGNING_KEY=${JWT_SIGNING_KEY:-validation-only-not-a-real-key}
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
else
  echo "error: neither 'docker compose' nor 'docker-compose' is installed" >&2; exit 1
fi
# the default services, then with every profile's (demo, nats, observability; billing apart and its data step) on
"${compose[@]}" -f docker/compose.yml config -q
"${compose[@]}" -f docker/compose.yml --profile demo --profile nats --profile observability config -q
"${compose[@]}" -f docker/compose.yml --profile nats --profile billing-apart --profile billing-cut config -q
# the files the observability profile mounts exist where compose.yml says
for file in ops/prometheus/prometheus.yml ops/prometheus/alerts.yml ops/grafana/provisioning/datasources/logitrack.yml \
  ops/grafana/provisioning/dashboards/logitrack.yml ops/tempo/tempo.yml ops/loki/loki.yml ops/loki/promtail.yml; do
  [ -f "$file" ] || { echo "error: $file is missing (docker/compose.yml mounts it)" >&2; exit 1; }
done
echo "docker/compose.yml is valid"
