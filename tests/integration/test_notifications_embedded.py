"""The embedded default (no PostgreSQL, no Redis: SQLite, jobs and the relay in-process) sends the booking
confirmation too: after the booking commits, the relay runs, the handler makes the delivery, and the send runs on
the process' background thread, so the booking does not wait for the mail server."""

import json
import subprocess
import sys
from pathlib import Path

from logitrack.testing.processes import process_env
from tests.support.smtp import serve

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, time, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from apps.billing.tests.factories import tariff
from apps.fleet.tests.factories import active_fleet, vehicle
from apps.identity.models import User
from apps.notifications.models import Delivery
from tests.support.trip_world import book_as_customer

fleet = active_fleet(service_center_lat=52.52, service_center_lng=13.405, service_radius_m=25_000)
tariff(fleet_id=fleet.id)
vehicle(fleet, registration="B-EM 1", capacity_kg=800)
customer = User.objects.create_user(email="ana@example.test", password=None, display_name="Ana", is_customer=True)
pickup, dropoff = ("Invalidenstraße 1, Berlin", 52.531, 13.3847), ("Oranienstraße 25, Berlin", 52.5016, 13.419)
book_as_customer(fleet.id, customer.id, pickup, dropoff)  # commits: relay, handler and send follow in-process
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not Delivery.objects.filter(status="sent").exists():
    time.sleep(0.1)
print(json.dumps({"statuses": list(Delivery.objects.values_list("channel", "status"))}))
"""


def test_the_embedded_default_mails_the_booking_confirmation(tmp_path):
    mailbox, controller = serve()
    env = process_env(embedded=True)  # no database of any context: not DATABASE_URL_<CONTEXT> either
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        LOGITRACK_VAR_DIR=str(tmp_path),
        OUTBOX_INLINE_RELAY="true",
        LOGITRACK_TEST_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(mailbox.port),
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
        )
    finally:
        controller.stop()
    assert result.returncode == 0, result.stderr[-4000:]
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state["statuses"] == [["email", "sent"]]
    [mail] = mailbox.messages()
    assert mail["To"] == "ana@example.test" and "bestätigt" in mail["Subject"]
