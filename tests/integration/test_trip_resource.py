"""What the trip resource tells about money: its fare, quoted by billing and then final once billing settled it."""

from __future__ import annotations

import pytest

from apps.billing.models import FareRecord
from apps.trips.tests.rest import DROPOFF, PICKUP, assign, book, detail, step
from tests.support.isolation import client_for
from tests.support.trip_world import world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def test_a_trip_shows_its_quoted_and_then_its_final_fare(world, relay_and_deliver):  # noqa: F811  (the fixture)
    two_fleets, fleet, _van, _driver, shift = world
    customer = client_for(two_fleets.customer)
    quote = customer.post(
        "/api/v1/billing/quotes/",
        {
            "fleet_id": str(fleet.id),
            "vehicle_type": "van",
            "stops": [[PICKUP["lat"], PICKUP["lng"]], [DROPOFF["lat"], DROPOFF["lng"]]],
        },
        format="json",
    ).json()
    booked = book(customer, fleet.id, quote_id=quote["id"]).json()
    quoted = {
        "currency": quote["currency"],
        "quoted_total_minor": quote["total_minor"],
        "final_total_minor": None,
        "final_kind": None,
    }
    assert booked["fare"] == quoted
    assert book(customer, fleet.id).json()["fare"] is None  # no quote, nothing settled: no fare yet

    dispatcher, driver_app = two_fleets.a.client("dispatcher"), two_fleets.a.client("driver")
    version = assign(dispatcher, booked["id"], shift.id, 1).json()["version"]
    for action in ("start", "arrive_pickup", "pick_up", "complete"):
        moved = step(
            driver_app, booked["id"], action, version, **({"distance_m": 9000} if action == "complete" else {})
        )
        version = moved.json()["version"]
    relay_and_deliver()
    relay_and_deliver()
    settled = FareRecord.objects.get(trip_id=booked["id"])
    final = {**quoted, "final_total_minor": settled.total_minor, "final_kind": "fare"}
    for who in (customer, dispatcher, driver_app):
        assert detail(who, booked["id"])["fare"] == final
    listed = {t["id"]: t["fare"] for t in dispatcher.get("/api/v1/trips/trips/").json()["results"]}
    assert listed[booked["id"]] == final
