"""Webhooks in the admin, in a real browser, as a Berlin fleet's manager: the endpoint list says plainly which one
was switched off for failing and since when (Berlin time), a delivery shows its attempts (request and answer), and
the range-replay page opens — all under the site's Content-Security-Policy. Screenshots: docs/images/webhooks-*."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.fleet.tests.factories import active_fleet
from apps.notifications.models import WebhookDelivery, WebhookEndpoint
from apps.notifications.tests.receiver import Answer, Receiver
from apps.notifications.webhooks import services
from logitrack.events import to_envelope
from tests.browser.conftest import ARTIFACTS
from tests.support.webhook_world import vehicle_event

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"  # tests/support/isolation.py's users
SINCE = dt.datetime(2026, 12, 1, 8, 15, tzinfo=dt.UTC)  # 09:15 in Berlin


def _given(two_fleets):
    fleet = active_fleet(fleet_id=two_fleets.a.fleet_id, name="Alpha Couriers")
    with Receiver() as receiver:
        erp = services.endpoint_create(
            fleet_id=fleet.id, url=receiver.url, description="ERP: trip and fare sync",
            event_types=["vehicle.status_changed", "trip.completed", "fare.finalised"],
        ).endpoint  # fmt: skip
        receiver.answer(Answer(status=500, body=b'{"error": "database locked"}'), Answer(status=200, body=b"ok"))
        (delivery_id,) = services.deliveries_create(event_envelope=to_envelope(vehicle_event(fleet.id)))
        for _ in range(2):
            row = WebhookDelivery.objects.get(id=delivery_id)
            WebhookDelivery.objects.filter(id=delivery_id).update(claimed_until=None, next_attempt_at=timezone.now())
            services.deliveries_sweep()
            row = WebhookDelivery.objects.get(id=delivery_id)
            services.delivery_send(delivery_id=delivery_id, claim=row.claim)
    warehouse = services.endpoint_create(
        fleet_id=fleet.id, url="http://127.0.0.1:9/warehouse/hooks", description="Warehouse sync",
        event_types=["trip.assigned", "trip.cancelled"],
    ).endpoint  # fmt: skip
    WebhookEndpoint.objects.filter(id=warehouse.id).update(
        is_active=False, disabled_reason="failing", failing_since=SINCE, disabled_at=SINCE + dt.timedelta(days=3),
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )  # fmt: skip
    return erp, delivery_id


def test_a_manager_sees_switched_off_endpoints_and_a_deliverys_attempts(two_fleets, server, browser, django_side):
    _, delivery_id = django_side(_given, two_fleets)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 768), (390, 844)):
        page = browser.new_page(viewport={"width": width, "height": height}, timezone_id="Europe/Berlin")
        page.goto(f"{server}/admin/login/")
        page.fill("#id_username", two_fleets.a.users["fleet_manager"].email)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.goto(f"{server}/admin/notifications/webhookendpoint/")
        table = page.text_content("#result_list")
        assert "Switched off 04.12.2026, 09:15" in table and "failing since 01.12.2026, 09:15" in table
        assert "Alpha Couriers" in table and "ERP: trip and fare sync" in table
        page.screenshot(path=str(ARTIFACTS / f"webhooks-endpoints-{width}.png"), full_page=True)

        page.goto(f"{server}/admin/notifications/webhookdelivery/{delivery_id}/change/")
        body = page.text_content("#content")
        assert "database locked" in body and "LogiTrack-Signature" in body and "sent" in body
        page.screenshot(path=str(ARTIFACTS / f"webhooks-delivery-{width}.png"), full_page=width == 1366)

        page.goto(f"{server}/admin/notifications/webhookdelivery/")
        page.click("text=Replay a time range")
        assert "Send these deliveries again" in page.content()
        page.context.close()
