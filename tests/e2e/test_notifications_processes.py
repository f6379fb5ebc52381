"""Notifications over real processes: web, relay, an events worker, a notifications worker and beat, on a private
Redis, mailing a local SMTP server. A booking sends its confirmation with a tracking link that opens the trip;
the notifications worker is killed in the middle of handing a mail over, and the mail still arrives, once."""

from __future__ import annotations

import html
import re
import time
import uuid

import pytest
import requests
from django.db import connection

from apps.notifications.models import Delivery
from logitrack.testing.processes import Processes, RedisServer, free_port, wait_for_worker, wait_until
from tests.e2e.clients import PASSWORD, Api
from tests.support import smtp as smtp_support

BERLIN = (52.52, 13.405)
LEASE_SECONDS = 12  # a sender's lease on a delivery: a killed worker's claim is retaken after it


@pytest.fixture
def notify_stack(transactional_db, tmp_path, settings):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.fail("the e2e suite needs PostgreSQL and Redis (run scripts/test.sh)")
    mailbox, controller = smtp_support.serve()
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    port = free_port()
    env = {
        "LOGITRACK_MEDIA_ROOT": str(tmp_path / "media"),
        "LOGITRACK_TEST_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mailbox.port),
        "EMAIL_TIMEOUT": "60",
        "NOTIFICATIONS_FROM_EMAIL": "Alpha <messages@logitrack.test>",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "NOTIFICATIONS_CLAIM_SECONDS": str(LEASE_SECONDS),
        "NOTIFICATIONS_SWEEP_SECONDS": "1",
        "NOTIFICATIONS_SWEEP_GRACE_SECONDS": "0",
    }
    procs = Processes(tmp_path, redis_url=redis.url, env=env)
    try:
        procs.worker("worker", queues="default,events", concurrency=2)
        procs.worker("notifier", queues="notifications", concurrency=1)
        procs.relay()
        procs.beat()
        base = procs.web(port=port)
        wait_for_worker(broker_url=redis.url, names=("worker", "notifier"))
        yield base, procs, redis, mailbox
    finally:
        procs.stop_all()
        redis.stop()
        controller.stop()


def _fleet_and_customer():
    from apps.billing.tests.factories import tariff
    from apps.fleet.tests.factories import active_fleet, vehicle
    from apps.identity.models import User

    fleet = active_fleet(service_center_lat=BERLIN[0], service_center_lng=BERLIN[1], service_radius_m=25_000)
    tariff(fleet_id=fleet.id)
    vehicle(fleet, registration="B-NT 1", capacity_kg=800)  # a fleet takes only loads one of its vans can carry
    email = f"customer.{uuid.uuid4().hex[:6]}@example.test"
    User.objects.create_user(email=email, password=PASSWORD, display_name="Ana Example", is_customer=True)
    return fleet, email


def test_a_killed_notifications_worker_loses_no_mail_and_sends_none_twice(notify_stack):
    base, procs, redis, mailbox = notify_stack
    fleet, email = _fleet_and_customer()
    mailbox.holding = True  # the server takes the mail but does not answer yet

    customer = Api(base).login(email)
    booked = customer.expect(
        201,
        "POST",
        "/api/v1/trips/trips/",
        json={
            "fleet_id": str(fleet.id),
            "vehicle_type": "van",
            "weight_kg": 20,
            "stops": [
                {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847},
                {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190},
            ],
        },
    )
    # relay -> events worker (the handler makes the delivery) -> notifications worker, now waiting on the server
    wait_until(lambda: mailbox.held == 1, timeout=60, what="the notifications worker handing the mail over")
    delivery = Delivery.objects.get(kind="trip.confirmed", channel="email")
    assert delivery.status == "pending" and delivery.claimed_until is not None
    procs.kill("notifier")  # SIGKILL to the worker and its pool, mid-transaction with the SMTP server
    mailbox.holding = False
    time.sleep(1)
    assert mailbox.received == []  # the dead client's mail was never accepted

    procs.worker("notifier", queues="notifications", concurrency=1)
    wait_for_worker(broker_url=redis.url, names=("notifier",))
    # while the killed worker's lease is live nobody sends it; once it lapses the sweep does, once
    wait_until(lambda: len(mailbox.received) == 1, timeout=LEASE_SECONDS + 60, what="the mail, sent again")
    assert mailbox.received_at[0] >= delivery.claimed_until.timestamp()
    time.sleep(4)  # several sweeps later: still one
    assert len(mailbox.received) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert list(delivery.attempt_log.values_list("outcome", flat=True)) == ["sent"]

    # the mail carries the trip's tracking link, and it opens the customer's tracking page (its JSON for apps)
    [mail] = mailbox.messages()
    assert mail["To"] == email
    text = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"{re.escape(base)}/track/[\w-]+/", text)
    token = link.group(0).rstrip("/").rsplit("/", 1)[-1]
    assert booked["tracking_url"].rstrip("/").endswith(token)
    page = requests.get(link.group(0), timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    words = html.unescape(page.text)
    assert "Booked — we're finding a driver" in words or "Gebucht – wir suchen eine Fahrerin" in words
    tracking = Api(base).get(f"/api/v1/trips/track/{token}/")
    assert tracking["status"] == "requested"
