#!/usr/bin/env bash
# Refresh tests/architecture/event_schemas/ after a *compatible* event change (a defaulted field added)
# or after adding a new event, and the events catalogue in docs/. Review the diff: a published event's
# existing fields never change.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
DJANGO_SETTINGS_MODULE=config.settings.test "$PY" - <<'PY'
from pathlib import Path

import django

django.setup()
from tests.architecture import rules  # noqa: E402

target = Path("tests/architecture/event_schemas")
rules.write_event_snapshots(rules.context_events(), target)
print(f"wrote {len(rules.context_events())} snapshot(s) to {target}")
PY
DJANGO_SETTINGS_MODULE=config.settings.test "$PY" manage.py outbox_catalogue  # docs/events-catalogue.md
