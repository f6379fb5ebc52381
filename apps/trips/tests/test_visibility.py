"""Who sees which trips and shifts: another fleet and other customers see nothing, the admin stays within
the manager's fleet, and a list fetches its fares in one call whatever the page holds."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.trips.contracts import TripNotFound
from apps.trips.models import Trip
from apps.trips.selectors import Caller, timeline_of, trip_for, trip_visible_to, trips_visible
from apps.trips.tests.factories import TripFactory
from apps.trips.tests.rest import assign, book, step
from logitrack.principal import Principal, Role
from tests.support.isolation import assert_hidden, assert_never_lists, client_for

pytestmark = pytest.mark.django_db


def test_trips_of_fleet_a_are_invisible_to_fleet_b_and_to_other_customers(world, make_user):
    two_fleets, fleet, *_ = world
    trip = book(client_for(two_fleets.customer), fleet.id).json()
    outsiders = [("b." + r, two_fleets.b.client(r)) for r in ("fleet_manager", "dispatcher", "driver")]
    outsiders.append(("other customer", client_for(make_user(is_customer=True))))
    for _, client in outsiders:
        assert_never_lists(client, "/api/v1/trips/trips/", [trip["id"]])
        assert_hidden(client, "GET", f"/api/v1/trips/trips/{trip['id']}/")
        assert_hidden(client, "GET", f"/api/v1/trips/trips/{trip['id']}/timeline/")
        assert_hidden(
            client,
            "POST",
            f"/api/v1/trips/trips/{trip['id']}/transitions/",
            data={"action": "cancel"},
            HTTP_IF_MATCH='W/"1"',
        )
    assert Trip.objects.get(id=trip["id"]).status == "requested"


def test_admin_and_shift_lists_stay_within_the_fleet(world, client):
    two_fleets, fleet, _van, _driver, shift = world
    trip = book(client_for(two_fleets.customer), fleet.id).json()
    assert_never_lists(two_fleets.b.client("dispatcher"), "/api/v1/trips/shifts/", [shift.id])
    assert str(shift.id) in {
        s["id"] for s in two_fleets.a.client("driver").get("/api/v1/trips/shifts/").json()["results"]
    }
    client.force_login(two_fleets.b.users["fleet_manager"])
    assert trip["id"] not in client.get("/admin/trips/trip/").content.decode()
    client.force_login(two_fleets.a.users["fleet_manager"])
    page = client.get("/admin/trips/trip/").content.decode()
    assert trip["id"] in page
    client.post("/admin/trips/trip/", {"action": "cancel", "_selected_action": [trip["id"]]})
    assert Trip.objects.get(id=trip["id"]).status == "cancelled"


def test_the_trip_list_fetches_fares_in_one_call_whatever_the_page_holds(world):
    two_fleets, fleet, *_ = world
    customer = client_for(two_fleets.customer)
    dispatcher = two_fleets.a.client("dispatcher")

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert dispatcher.get("/api/v1/trips/trips/").status_code == 200
        return len(captured)

    book(customer, fleet.id)
    queries_for_list()  # the dispatcher's principal is cached from here on
    one = queries_for_list()
    for _ in range(5):
        book(customer, fleet.id)
    assert Trip.objects.count() == 6
    assert queries_for_list() == one


def test_a_request_resolves_the_callers_driver_ids_once(world, monkeypatch):
    from apps.trips import integrations

    two_fleets, fleet, _van, _driver, shift = world
    booked = book(client_for(two_fleets.customer), fleet.id).json()
    assign(two_fleets.a.client("dispatcher"), booked["id"], shift.id, 1)
    driver_app = two_fleets.a.client("driver")
    for version, action in ((2, "start"), (3, "arrive_pickup")):
        step(driver_app, booked["id"], action, version)
    real, calls = integrations.driver_ids_of, []
    monkeypatch.setattr(integrations, "driver_ids_of", lambda **kw: calls.append(kw) or real(**kw))
    arrived = driver_app.post(
        f"/api/v1/trips/trips/{booked['id']}/stops/1/arrive/", {}, format="json", HTTP_IF_MATCH='W/"4"'
    )
    assert arrived.status_code == 200, arrived.json()
    assert len(calls) == 1  # seeing the trip, being its driver and rendering it again share one answer
    calls.clear()
    assert client_for(two_fleets.customer).get("/api/v1/trips/trips/").status_code == 200
    assert calls == []  # not a driver: partner is not asked at all


def test_a_trip_in_hand_is_judged_as_the_lists_query_judges_it(two_fleets):
    """trip_visible_to (a detail's and a timeline's check) and trip_visibility (the lists' conditions) are the same
    rule: every kind of caller, every way of being tied to a trip."""
    a, b = two_fleets.a.fleet_id, two_fleets.b.fleet_id
    me, driver = uuid.uuid4(), uuid.uuid4()
    trips = [
        TripFactory(fleet_id=a, customer_id=me, stops=0),
        TripFactory(fleet_id=a, booked_by_id=me, customer_id=None, stops=0),
        TripFactory(fleet_id=b, driver_id=driver, stops=0),
        TripFactory(fleet_id=b, stops=0),
        TripFactory(fleet_id=a, customer_id=None, driver_id=None, stops=0),
    ]
    callers = [
        (Principal(user_id=me), frozenset()),
        (Principal(user_id=uuid.uuid4()), frozenset({driver})),
        (Principal(user_id=uuid.uuid4(), fleets_by_role={Role.DISPATCHER: frozenset({a})}), frozenset()),
        (Principal(user_id=uuid.uuid4(), fleets_by_role={Role.FLEET_MANAGER: frozenset({b})}), frozenset()),
        (Principal(user_id=me, fleets_by_role={Role.DRIVER: frozenset({b})}), frozenset({driver})),
        (Principal(user_id=uuid.uuid4(), global_roles=frozenset({Role.PLATFORM_ADMIN})), frozenset()),
        (Principal(user_id=uuid.uuid4()), frozenset()),
    ]
    for principal, driver_ids in callers:
        listed = set(trips_visible(principal=principal, driver_ids=driver_ids).values_list("id", flat=True))
        for trip in trips:
            in_hand = trip_visible_to(principal=principal, trip=trip, driver_ids=driver_ids)
            assert in_hand == (trip.id in listed), (principal, trip)
            found = trip_for(principal=principal, trip_id=trip.id, driver_ids=driver_ids)
            assert (found is not None) == in_hand
            try:
                timeline_of(caller=Caller(principal=principal, driver_ids=driver_ids), trip_id=trip.id)
                shown = True
            except TripNotFound:
                shown = False
            assert shown == in_hand
    assert sum(trip_visible_to(principal=callers[-1][0], trip=t) for t in trips) == 0
