#!/usr/bin/env bash
# Set up everything and run the whole test suite against PostgreSQL, Redis and NATS (started if stopped),
# in CI order: lint, format, import contracts, type check, migrations, alert rules, tests (the whole suite with each
# context on its own database, then the unit layer on one), embedded-default smoke, compose.
# Extra arguments go to pytest (e.g. scripts/test.sh -k outbox).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# prometheus: the real server the dashboards' test scrapes the processes with, and promtool for the alert rules
ensure_debs "${RUNTIME_DEBS[@]}" poppler-utils docker-compose chromium prometheus
ensure_venv dev
ensure_npm
ensure_postgres
ensure_redis
ensure_nats

export DATABASE_URL=${TEST_DATABASE_URL:-postgres://logitrack:logitrack@127.0.0.1:5432/logitrack}
export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/1}
export DJANGO_SETTINGS_MODULE=config.settings.test
export PATH="$VENV/bin:$PATH"

say "ruff (lint)";            ruff check .
say "ruff (format)";          ruff format --check .
say "import contracts";       lint-imports --no-cache
# The type checker (pyproject.toml [tool.mypy]) on the whole tree: strict on the kernel and on every app's public
# surface, the defaults elsewhere. Errors are reported for these paths only; narrow it to check less, e.g.
#   TYPECHECK_PATHS="logitrack apps/*/contracts.py apps/*/api.py apps/*/events.py"
TYPECHECK_PATHS=${TYPECHECK_PATHS:-"logitrack apps config"}
# shellcheck disable=SC2086  # word splitting into paths is intended
say "type check";             mypy $TYPECHECK_PATHS
say "migrations up to date";  python manage.py makemigrations --check --dry-run -v 1
say "alert rules";            promtool check rules ops/prometheus/alerts.yml
say "alert rules: unit tests"; promtool test rules ops/prometheus/alerts_test.yml
say "prometheus config";      promtool check config ops/prometheus/prometheus.yml
# The whole suite split: every context but identity on a PostgreSQL database and role of its own, as a deployment
# that moved them out runs (docs/extraction.md), so a query on the wrong database fails here. Then the unit layer
# again on one database, the default shape (the embedded default and small deployments), where one transaction and
# its savepoints span every context: the kernel's and the apps' tests and the architecture's exercise that most.
# The integration, end-to-end, fuzz and browser tests run split only: running them twice would not fit CI's time
# (docs/extraction.md, "Running the suite split", with the measured times).
# Both runs are spread over TEST_WORKERS pytest-xdist workers (default 2, one per core here: much of a test's time
# is spent waiting for the processes, servers and browser it started), each with test databases and a Redis
# database of its own (logitrack/testing/plugin.py); worksteal evens out the slow tests. TEST_WORKERS=0: no workers.
# Arguments go to both runs. --durations: every log names the slowest tests, setups and teardowns.
WORKERS=(-n "${TEST_WORKERS:-2}" --dist worksteal)
scripts/test-split.sh "${WORKERS[@]}" --durations=25 "$@"
say "test suite, one database: the unit layer"
pytest "${WORKERS[@]}" --durations=25 logitrack/tests apps tests/architecture "$@"
say "smoke: embedded default"; scripts/smoke.sh
say "smoke: production settings"; scripts/check-deploy.sh
say "docker compose config";  scripts/compose-config.sh
say "all checks passed"
