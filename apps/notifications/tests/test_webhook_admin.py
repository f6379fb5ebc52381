"""Webhooks in the admin, as a fleet manager: event types as checkboxes, the secret shown once, switched-off endpoints
plain to see, deliveries with their attempts, replay of the selected ones and of a time range."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client

from apps.notifications.contracts import DeliveryStatus
from apps.notifications.models import WebhookDelivery, WebhookEndpoint
from apps.notifications.tests.receiver import Answer
from apps.notifications.webhooks import services, signing
from logitrack.events import to_envelope
from tests.support.webhook_world import vehicle_event

pytestmark = pytest.mark.django_db
ENDPOINTS = "/admin/notifications/webhookendpoint/"
DELIVERIES = "/admin/notifications/webhookdelivery/"


@pytest.fixture
def site(fleets):
    client = Client()
    client.force_login(fleets[0].a.users["fleet_manager"])
    return client


def text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_a_manager_adds_an_endpoint_with_checkboxes_and_sees_the_secret_once(fleets, site, receiver):
    _, a, b = fleets
    form = site.get(f"{ENDPOINTS}add/").content.decode()
    assert 'type="checkbox" name="event_types" value="trip.completed"' in form
    assert b.name not in form and a.name in form  # the fleet by name, only the manager's
    response = site.post(
        f"{ENDPOINTS}add/",
        {"fleet_id": str(a.id), "url": receiver.url, "description": "ERP",
         "event_types": ["trip.completed", "fare.finalised"], "is_active": "on"},
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["trip.completed", "fare.finalised"] and endpoint.fleet_id == a.id
    secret = signing.unseal(endpoint.secret_encrypted)
    assert secret in text(response)
    page = site.get(f"{ENDPOINTS}{endpoint.pk}/change/")
    assert page.status_code == 200 and secret not in page.content.decode()

    rotated = site.post(ENDPOINTS, {"action": "rotate_secret", "_selected_action": [endpoint.pk]}, follow=True)
    endpoint.refresh_from_db()
    assert signing.unseal(endpoint.secret_encrypted) in text(rotated)


def test_an_unsafe_url_is_a_form_error(fleets, site, settings):
    settings.NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK = False
    _, a, _ = fleets
    response = site.post(
        f"{ENDPOINTS}add/",
        {"fleet_id": str(a.id), "url": "http://169.254.169.254/", "event_types": ["trip.completed"]},
    )
    assert response.status_code == 200 and "link-local" in text(response)
    assert not WebhookEndpoint.objects.exists()


def test_a_switched_off_endpoint_says_why_and_since_when_in_local_time(fleets, site, receiver, clock, settings):
    settings.NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_DAYS = 1
    settings.NOTIFICATIONS_WEBHOOK_RETRY_FOR_SECONDS = 5 * 86400
    clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    _, a, _ = fleets
    endpoint = services.endpoint_create(fleet_id=a.id, url=receiver.url, event_types=["vehicle.status_changed"])
    receiver.default = Answer(status=500)
    (delivery_id,) = services.deliveries_create(event_envelope=to_envelope(vehicle_event(a.id)))
    services.delivery_send(delivery_id=delivery_id, claim=WebhookDelivery.objects.get(id=delivery_id).claim)
    clock.advance(days=1, hours=1)
    services.deliveries_sweep()
    services.delivery_send(delivery_id=delivery_id, claim=WebhookDelivery.objects.get(id=delivery_id).claim)
    listed = text(site.get(ENDPOINTS))
    assert "Switched off" in listed and "failing since" in listed
    assert "10:00" in listed  # 09:00 UTC on the fleet's Berlin clock
    assert a.name in listed and str(endpoint.endpoint.fleet_id) not in listed

    page = text(site.get(f"{DELIVERIES}{delivery_id}/change/"))
    assert "HTTP 500" in page and "LogiTrack-Signature" in page and "vehicle.status_changed" in page
    assert "#1 · 01.12.2026, 10:00 · 500" in " ".join(page.split())  # each attempt on the fleet's clock


def test_replay_of_selected_deliveries_and_of_a_time_range(fleets, site, receiver, clock):
    clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    _, a, b = fleets
    services.endpoint_create(fleet_id=a.id, url=receiver.url, event_types=["vehicle.status_changed"])
    services.endpoint_create(fleet_id=b.id, url=receiver.url, event_types=["vehicle.status_changed"])
    (mine,) = services.deliveries_create(event_envelope=to_envelope(vehicle_event(a.id)))
    (theirs,) = services.deliveries_create(event_envelope=to_envelope(vehicle_event(b.id)))
    WebhookDelivery.objects.update(status=DeliveryStatus.DEAD, claim=None, claimed_until=None)

    listed = site.get(DELIVERIES).content.decode()
    assert str(mine) in listed and str(theirs) not in listed and "Replay a time range" in listed
    site.post(DELIVERIES, {"action": "replay", "_selected_action": [mine, theirs]})
    assert WebhookDelivery.objects.get(id=mine).status == DeliveryStatus.PENDING
    assert WebhookDelivery.objects.get(id=theirs).status == DeliveryStatus.DEAD  # not the manager's to touch

    WebhookDelivery.objects.update(status=DeliveryStatus.DEAD, claim=None, claimed_until=None)
    page = site.get(f"{DELIVERIES}replay/")
    assert page.status_code == 200 and receiver.url in page.content.decode()
    response = site.post(
        f"{DELIVERIES}replay/",
        {"since": "2026-11-30 10:00", "until": "2026-12-01 11:00", "status": "dead"},
        follow=True,
    )
    assert "Queued 1 deliveries" in text(response)
    assert WebhookDelivery.objects.get(id=mine).status == DeliveryStatus.PENDING
    assert WebhookDelivery.objects.get(id=theirs).status == DeliveryStatus.DEAD
    bad = site.post(f"{DELIVERIES}replay/", {"since": "2026-12-02 10:00", "until": "2026-12-01 11:00"})
    assert bad.status_code == 200 and "ends before it starts" in text(bad)


def test_an_endpoints_fleet_is_shown_by_name_not_offered_for_change(fleets, site, receiver):
    """Saving an endpoint never moved it to another fleet, so the change page shows its fleet instead of a choice
    that looked saved and was not."""
    _, a, _ = fleets
    made = services.endpoint_create(fleet_id=a.id, url=receiver.url, event_types=["vehicle.status_changed"])
    page = site.get(f"{ENDPOINTS}{made.endpoint.id}/change/")
    assert page.status_code == 200
    assert 'name="fleet_id"' not in page.content.decode() and a.name in text(page)
