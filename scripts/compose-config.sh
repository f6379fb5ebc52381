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
  docker compose -f docker/compose.yml config -q
elif command -v docker-compose >/dev/null; then
  docker-compose -f docker/compose.yml config -q
else
  echo "error: neither 'docker compose' nor 'docker-compose' is installed" >&2; exit 1
fi
echo "docker/compose.yml is valid"
