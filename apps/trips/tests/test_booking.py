"""Booking a trip: what is refused (4xx, nothing created) and a retried booking."""

from __future__ import annotations

import uuid

import pytest

from apps.trips.models import Trip
from apps.trips.tests.rest import DROPOFF, PICKUP, book
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"stops": [PICKUP, {**DROPOFF, "lat": 48.137, "lng": 11.575}]}, "trips.outside_service_area"),  # Munich
        ({"weight_kg": 5000}, "trips.load_too_large"),
        ({"stops": [DROPOFF, PICKUP]}, "trips.invalid"),
        (
            {
                "stops": [
                    PICKUP,
                    {**DROPOFF, "window_start": "2030-01-01T12:00:00Z", "window_end": "2030-01-01T11:00:00Z"},
                ]
            },
            "trips.invalid",
        ),
        ({"quote_id": str(uuid.uuid4())}, "billing.quote_not_found"),
        ({"stops": [PICKUP]}, "validation_failed"),
        ({"stops": [PICKUP, {**DROPOFF, "lat": 123}]}, "validation_failed"),
        ({"helicopter": True}, "validation_failed"),
    ],
)
def test_bad_bookings_are_4xx_and_create_nothing(world, change, code):
    two_fleets, fleet, *_ = world
    response = book(client_for(two_fleets.customer), fleet.id, **change)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert Trip.objects.count() == 0


def test_booking_retried_with_the_same_key_creates_one_trip(world):
    two_fleets, fleet, *_ = world
    customer = client_for(two_fleets.customer)
    first = customer.post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(fleet.id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="book-1",
    )
    again = customer.post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(fleet.id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="book-1",
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and Trip.objects.count() == 1
