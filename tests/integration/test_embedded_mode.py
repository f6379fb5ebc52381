"""The embedded default: with no DATABASE_URL / REDIS_URL the platform needs no services at all."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.support.ping.services import ping_send
from tests.support.pong.models import Receipt
from logitrack.outbox.models import OutboxMessage
ping = ping_send(label="embedded")  # commits; the relay and the Celery delivery run in-process after commit
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "sinks": settings.OUTBOX_SINKS,
    "received": [str(r.ping_id) for r in Receipt.objects.all()],
    "ping": str(ping.id),
    "unpublished": OutboxMessage.objects.filter(published_at__isnull=True).count(),
}))
"""


def test_embedded_default_runs_jobs_and_the_relay_in_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",  # test settings add the ping/pong contexts
        LOGITRACK_VAR_DIR=str(tmp_path),
        OUTBOX_INLINE_RELAY="true",
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout.strip().splitlines()[-1])

    assert state["engine"] == "django.db.backends.sqlite3"
    assert state["db_name"].startswith(str(tmp_path))
    assert state["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert state["eager"] is True
    assert state["sinks"] == ["logitrack.outbox.sinks.CelerySink"]  # the same sink as the full stack
    assert state["received"] == [state["ping"]]
    assert state["unpublished"] == 0


def test_dispatch_runs_on_the_embedded_default_too(tmp_path):
    """Live positions (in-process store), history on SQLite (ON CONFLICT ... RETURNING), matching and routing
    plans: the same dispatch tests, rerun without PostgreSQL or Redis."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test", LOGITRACK_VAR_DIR=str(tmp_path))
    selection = [
        "tests/integration/test_dispatch_positions.py",
        "tests/integration/test_dispatch_matching.py",
        "tests/integration/test_dispatch_routing.py::test_a_plan_serves_what_fits_and_says_why_the_rest_cannot_be_served",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout
