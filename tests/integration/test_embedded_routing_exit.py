"""The embedded default runs a routing job on a background thread of the process that queued it: a command that
queues one and exits must still finish it, even though the interpreter is already shutting down by then."""

import json
import subprocess
import sys
from pathlib import Path

from logitrack.testing.processes import process_env

ROOT = Path(__file__).resolve().parents[2]

GIVEN = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from rest_framework.test import APIClient
from apps.identity.services.accounts import user_register
from tests.e2e.conftest import build_operator
from tests.e2e.test_resilience import SPOTS, booking
operator = build_operator(drivers=2, auto_dispatch=False)
customer = APIClient()
customer.force_authenticate(user_register(email="booker@example.test", password="x" * 16, display_name="Booker"))
for pickup, dropoff in SPOTS[:4]:
    response = customer.post("/api/v1/trips/trips/", booking(operator.fleet_id, pickup, dropoff), format="json")
    assert response.status_code == 201, response.content
print(json.dumps({"fleet_id": str(operator.fleet_id)}))
"""

OUTCOME = """
import json, django
django.setup()
from apps.dispatch.models import RoutingJob
print(json.dumps([[j.status, j.attempts, j.error, j.stats.get("served")] for j in RoutingJob.objects.all()]))
"""


def _run(env, *args):
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_a_routing_job_queued_by_a_command_that_exits_still_succeeds(tmp_path):
    env = process_env(embedded=True)  # no database of any context: not DATABASE_URL_<CONTEXT> either
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test", LOGITRACK_VAR_DIR=str(tmp_path), OUTBOX_INLINE_RELAY="true"
    )
    fleet_id = json.loads(_run(env, "-c", GIVEN).stdout.strip().splitlines()[-1])["fleet_id"]

    queued = _run(env, "manage.py", "dispatch_optimize", "--fleet", fleet_id, "--seconds", "1")  # no --wait
    assert "queued" in queued.stdout

    jobs = json.loads(_run(env, "-c", OUTCOME).stdout.strip().splitlines()[-1])
    assert jobs == [["succeeded", 1, "", 4]]  # solved as the process exited, not failed by the shutdown
