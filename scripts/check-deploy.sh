#!/usr/bin/env bash
# Production settings: refuse insecure configuration, emailed links nobody can open or JWTs signed with a key
# derived from the secret key, and pass `check --deploy` when configured properly.
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
jwt_key=$(mktemp -u)
trap 'rm -f "$jwt_key"' EXIT
"$PY" manage.py identity_jwt_keys generate --out "$jwt_key" 2>/dev/null
mailing=(LOGITRACK_APP_URL=https://logitrack.example.com EMAIL_HOST=smtp.example.com API_KEY_HASH_SECRET="$key-api-keys"
  JWT_SIGNING_KEY_FILE="$jwt_key")
if "${prod[@]}" DJANGO_SECRET_KEY="$key" EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend \
  LOGITRACK_APP_URL=https://logitrack.example.com "$PY" manage.py check >/dev/null 2>&1; then
  die "production settings started with the console email backend"
fi
if "${prod[@]}" DJANGO_SECRET_KEY="$key" EMAIL_HOST=smtp.example.com "$PY" manage.py check >/dev/null 2>&1; then
  die "production settings started without LOGITRACK_APP_URL"
fi
why=$("${prod[@]}" DJANGO_SECRET_KEY="$key" "$PY" manage.py check --deploy 2>&1 || true)
if "${prod[@]}" DJANGO_SECRET_KEY="$key" LOGITRACK_APP_URL=https://logitrack.example.com EMAIL_HOST=smtp.example.com \
  "$PY" manage.py check >/dev/null 2>&1; then
  die "production settings started without a JWT signing key of their own"
fi
for id in identity.E002 identity.E003 identity.E007; do
  grep -q "$id" <<<"$why" || die "check --deploy does not say why production refuses ($id missing)"
done
"${prod[@]}" DJANGO_SECRET_KEY="$key" "${mailing[@]}" "$PY" manage.py check --deploy --fail-level WARNING
