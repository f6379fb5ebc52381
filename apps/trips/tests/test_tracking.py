"""Tracking: the public link, and the customer reading the link and the PINs again (nobody else can)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.trips.tests.rest import PICKUP, assign, book, detail
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db


def test_a_tracking_link_shows_progress_without_login_or_personal_data_and_expires(world):
    from apps.trips.models import TrackingLink

    two_fleets, fleet, van, _driver, shift = world
    booked = book(client_for(two_fleets.customer), fleet.id).json()
    assign(two_fleets.a.client("dispatcher"), booked["id"], shift.id, 1)
    token = booked["tracking_url"].rstrip("/").rsplit("/", 1)[-1]  # the link opens the page; apps read its JSON
    path = f"/api/v1/trips/track/{token}/"
    from rest_framework.test import APIClient

    anonymous = APIClient()
    page = anonymous.get(path)
    assert page.status_code == 200
    body = page.json()
    assert body["status"] == "assigned" and body["vehicle"]["registration"] == van.registration
    assert body["driver_first_name"] == "driver"  # "driver of alpha" → first word only
    assert "customer" not in str(body).lower() and two_fleets.customer.email not in str(body)
    assert body["stops"][0]["address"] == PICKUP["address"]  # the addresses the customer booked
    TrackingLink.objects.filter(trip_id=booked["id"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = anonymous.get(path)
    assert (expired.status_code, expired.json()["code"]) == (404, "trips.tracking_expired")
    assert anonymous.get("/api/v1/trips/track/not-a-real-token/").status_code == 404


def test_the_customer_gets_the_tracking_link_and_pins_back_staff_the_link_and_nobody_else_either(
    world, make_user, settings
):
    two_fleets, fleet, _van, _driver, shift = world
    customer = client_for(two_fleets.customer)
    booked = book(customer, fleet.id, require_pin=True).json()
    assert booked["pins"] and booked["tracking_url"]

    again = detail(customer, booked["id"])  # the booking response was lost: the customer reads them again
    assert (again["tracking_url"], again["pins"]) == (booked["tracking_url"], booked["pins"])
    assert customer.get(again["tracking_url"].removeprefix("http://testserver")).status_code == 200

    dispatcher, driver_app = two_fleets.a.client("dispatcher"), two_fleets.a.client("driver")
    assert assign(dispatcher, booked["id"], shift.id, 1).status_code == 200
    seen = detail(driver_app, booked["id"])
    assert (seen["tracking_url"], seen["pins"]) == (None, None)
    for staff in (dispatcher, two_fleets.a.client("fleet_manager")):  # staff share the link with recipients
        seen = detail(staff, booked["id"])
        assert (seen["tracking_url"], seen["pins"]) == (booked["tracking_url"], None)
    stranger = client_for(make_user(is_customer=True))
    assert stranger.get(f"/api/v1/trips/trips/{booked['id']}/").status_code == 404
    assert two_fleets.b.client("dispatcher").get(f"/api/v1/trips/trips/{booked['id']}/").status_code == 404

    # a dispatcher booking for the customer: the customer sees the PINs, the dispatcher only in the booking answer
    for_customer = book(dispatcher, fleet.id, customer_id=str(two_fleets.customer.id), require_pin=True).json()
    assert detail(client_for(two_fleets.customer), for_customer["id"])["pins"] == for_customer["pins"]
    assert detail(dispatcher, for_customer["id"])["pins"] is None

    # a rotated secret key keeps working: the old one stays a fallback, and the link and PINs still match
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    rotated = detail(customer, booked["id"])
    assert (rotated["tracking_url"], rotated["pins"]) == (booked["tracking_url"], booked["pins"])
