#!/usr/bin/env bash
# Production settings: refuse insecure configuration, and pass `check --deploy` when configured properly.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

prod=(env DJANGO_SETTINGS_MODULE=config.settings.prod DJANGO_ALLOWED_HOSTS=logitrack.example.com)
if "${prod[@]}" DJANGO_SECRET_KEY=short "$PY" manage.py check >/dev/null 2>&1; then
  die "production settings started with an insecure secret key"
fi
key=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(64))')
if "${prod[@]}" DJANGO_SECRET_KEY="$key" DJANGO_DEBUG=true "$PY" manage.py check >/dev/null 2>&1; then
  die "production settings started with DEBUG on"
fi
"${prod[@]}" DJANGO_SECRET_KEY="$key" "$PY" manage.py check --deploy --fail-level WARNING
