#!/usr/bin/env bash
# The test suite split: every context but identity on a PostgreSQL database of its own, reached as a role of its
# own (scripts/lib.sh ensure_split_databases), so a query that touched another context's tables would fail
# (docs/extraction.md). Django creates test_<database> per alias. Arguments go to pytest, e.g.
#   scripts/test-split.sh logitrack/tests tests/integration/test_outbox.py
# Database URLs: TEST_DATABASE_URL (default and identity's) and TEST_DATABASE_URL_<CONTEXT> (e.g.
# TEST_DATABASE_URL_BILLING), each defaulting to the context's own role and database on 127.0.0.1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_venv dev
ensure_postgres
ensure_split_databases
ensure_redis
ensure_nats

export DATABASE_URL=${TEST_DATABASE_URL:-postgres://logitrack:logitrack@127.0.0.1:5432/logitrack}
for ctx in "${SPLIT_CONTEXTS[@]}"; do
  upper=${ctx^^}
  test_var="TEST_DATABASE_URL_$upper"
  export "DATABASE_URL_$upper=${!test_var:-postgres://logitrack_$ctx:logitrack_$ctx@127.0.0.1:5432/logitrack_$ctx}"
done
export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/1}
export DJANGO_SETTINGS_MODULE=config.settings.test
export PATH="$VENV/bin:$PATH"

say "test suite, each context on its own database"
pytest "$@"
