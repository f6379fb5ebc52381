"""What the trip resource tells whom: its customer can read the tracking link and PINs again (nobody else can),
and everyone who sees the trip sees its fare, quoted and then final, fetched for a whole list in one call."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.billing.models import FareRecord
from apps.trips.models import Trip
from tests.integration.test_trip_flow import DROPOFF, PICKUP, assign, book, step, world  # noqa: F401  (fixture)
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db


def detail(client, trip_id):
    response = client.get(f"/api/v1/trips/trips/{trip_id}/")
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_customer_gets_the_tracking_link_and_pins_back_and_nobody_else_does(world, make_user, settings):  # noqa: F811  (the fixture)
    two_fleets, fleet, _van, _driver, shift = world
    customer = client_for(two_fleets.customer)
    booked = book(customer, fleet.id, require_pin=True).json()
    assert booked["pins"] and booked["tracking_url"]

    again = detail(customer, booked["id"])  # the booking response was lost: the customer reads them again
    assert (again["tracking_url"], again["pins"]) == (booked["tracking_url"], booked["pins"])
    assert customer.get(again["tracking_url"].removeprefix("http://testserver")).status_code == 200

    dispatcher, driver_app = two_fleets.a.client("dispatcher"), two_fleets.a.client("driver")
    assert assign(dispatcher, booked["id"], shift.id, 1).status_code == 200
    for who in (dispatcher, two_fleets.a.client("fleet_manager"), driver_app):
        seen = detail(who, booked["id"])
        assert (seen["tracking_url"], seen["pins"]) == (None, None)
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


def test_the_trip_list_fetches_fares_in_one_call_whatever_the_page_holds(world):  # noqa: F811  (the fixture)
    two_fleets, fleet, *_ = world
    customer = client_for(two_fleets.customer)
    dispatcher = two_fleets.a.client("dispatcher")

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert dispatcher.get("/api/v1/trips/trips/").status_code == 200
        return len(captured)

    book(customer, fleet.id)
    one = queries_for_list()
    for _ in range(5):
        book(customer, fleet.id)
    assert Trip.objects.count() == 6
    assert queries_for_list() == one
