"""A dispatcher takes a trip back from its driver (`POST trips/<id>/unassign/`): requested again, off its shift,
with the reason on the timeline and in the status events; refused once the goods are on board."""

from __future__ import annotations

import pytest

from apps.trips import domain
from apps.trips.events import TripStatusChangedV1, TripStatusChangedV2
from apps.trips.models import Offer, Trip
from apps.trips.services import assignment
from apps.trips.tests.factories import OfferFactory
from apps.trips.tests.rest import assign, book, detail, step
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db


def unassign(client, trip_id, version, **body):
    return client.post(f"/api/v1/trips/trips/{trip_id}/unassign/", body, format="json", HTTP_IF_MATCH=f'W/"{version}"')


def on_its_way(world, **booking):
    """A booked trip, assigned to the world's shift and started by its driver (version 3)."""
    two_fleets, fleet, _van, _driver, shift = world
    trip = book(client_for(two_fleets.customer), fleet.id, **booking).json()
    assert assign(two_fleets.a.client("dispatcher"), trip["id"], shift.id, 1).status_code == 200
    assert step(two_fleets.a.client("driver"), trip["id"], "start", 2).status_code == 200
    return trip["id"]


def test_a_dispatcher_takes_a_started_trip_back_and_it_waits_for_a_driver_again(world, captured_events):
    two_fleets, _fleet, _van, driver, shift = world
    trip_id = on_its_way(world)

    with captured_events() as published:
        response = unassign(two_fleets.a.client("dispatcher"), trip_id, 3, reason="van broke down")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["version"], body["driver_id"], body["vehicle_id"]) == ("requested", 4, None, None)
    assert response["ETag"] == 'W/"4"'
    trip = Trip.objects.get(id=trip_id)
    assert (trip.shift_id, trip.started_at) == (None, None)
    assert not shift.trips.exists()  # the shift's load no longer counts it
    entry = trip.timeline.last()
    assert (entry.action, entry.from_status, entry.to_status, entry.actor_role, entry.reason) == (
        "unassign",
        "en_route",
        "requested",
        "dispatcher",
        "van broke down",
    )
    assert entry.actor_id == two_fleets.a.users["dispatcher"].id
    v1 = [e for e in published if isinstance(e, TripStatusChangedV1)]
    v2 = [e for e in published if isinstance(e, TripStatusChangedV2)]
    assert [(e.old_status, e.new_status, e.reason, e.driver_id) for e in v1] == [
        ("en_route", "requested", "van broke down", None)
    ]
    assert [(e.old_status, e.new_status, e.reason, e.previous_driver_id) for e in v2] == [
        ("en_route", "requested", "van broke down", driver.id)
    ]
    assert v2[0].trip.shift_id is None and v2[0].trip.status == "requested"
    assert {type(e).__name__ for e in published} == {"TripStatusChangedV1", "TripStatusChangedV2"}  # no fee, no end

    # it can go to a driver again, as any requested trip
    again = assign(two_fleets.a.client("dispatcher"), trip_id, shift.id, 4)
    assert (again.status_code, again.json()["status"]) == (200, "assigned")


def test_at_the_pickup_it_may_be_taken_back_until_a_stop_is_done(world):
    two_fleets, _fleet, _van, _driver, _shift = world
    dispatcher, driver_app = two_fleets.a.client("dispatcher"), two_fleets.a.client("driver")
    trip_id = on_its_way(world)
    assert step(driver_app, trip_id, "arrive_pickup", 3).status_code == 200
    arrived = driver_app.post(f"/api/v1/trips/trips/{trip_id}/stops/1/arrive/", HTTP_IF_MATCH='W/"4"')
    assert arrived.status_code == 200, arrived.json()

    taken = unassign(dispatcher, trip_id, 5, reason="the parcel does not fit the van")
    assert (taken.status_code, taken.json()["status"]) == (200, "requested")
    pickup = Trip.objects.get(id=trip_id).stops.get(sequence=1)
    assert (pickup.status, pickup.arrived_at) == ("pending", None)  # the next driver arrives anew

    loaded = on_its_way(world)
    assert step(driver_app, loaded, "arrive_pickup", 3).status_code == 200
    done = driver_app.post(f"/api/v1/trips/trips/{loaded}/stops/1/done/", {}, format="json", HTTP_IF_MATCH='W/"4"')
    assert done.status_code == 200, done.json()
    refused = unassign(dispatcher, loaded, 5, reason="too late")
    assert (refused.status_code, refused.json()["code"]) == (409, "trips.goods_on_board")
    assert refused.json()["stops_handled"] == [1]
    assert Trip.objects.get(id=loaded).status == "at_pickup"


def test_unassigning_is_refused_in_other_states_without_a_reason_or_version(world):
    two_fleets, fleet, _van, _driver, _shift = world
    dispatcher = two_fleets.a.client("dispatcher")
    waiting = book(client_for(two_fleets.customer), fleet.id).json()
    not_assigned = unassign(dispatcher, waiting["id"], 1, reason="x")
    assert (not_assigned.status_code, not_assigned.json()["code"]) == (409, "trips.illegal_transition")

    trip_id = on_its_way(world)
    for body in ({}, {"reason": "  "}):
        missing = unassign(dispatcher, trip_id, 3, **body)
        assert (missing.status_code, missing.json()["code"]) == (400, "validation_failed")
        assert "reason" in missing.json()["errors"]
    stale = unassign(dispatcher, trip_id, 2, reason="x")
    assert (stale.status_code, stale.json()["code"], stale.json()["current_version"]) == (
        409,
        "trips.stale_version",
        3,
    )
    no_version = dispatcher.post(f"/api/v1/trips/trips/{trip_id}/unassign/", {"reason": "x"}, format="json")
    assert (no_version.status_code, no_version.json()["code"]) == (428, "trips.version_required")
    # not a lifecycle step of /transitions/: unassigning has its own endpoint
    via_transitions = step(dispatcher, trip_id, "unassign", 3, reason="x")
    assert via_transitions.status_code == 400 and "action" in via_transitions.json()["errors"]
    assert Trip.objects.get(id=trip_id).version == 3

    driver_app = two_fleets.a.client("driver")
    assert step(driver_app, trip_id, "arrive_pickup", 3).status_code == 200
    assert (
        driver_app.post(
            f"/api/v1/trips/trips/{trip_id}/stops/1/done/", {}, format="json", HTTP_IF_MATCH='W/"4"'
        ).status_code
        == 200
    )
    assert step(driver_app, trip_id, "pick_up", 5).status_code == 200
    on_board = unassign(dispatcher, trip_id, 6, reason="x")
    assert (on_board.status_code, on_board.json()["code"]) == (409, "trips.illegal_transition")


def test_only_the_fleets_staff_unassign(world):
    two_fleets, _fleet, _van, _driver, _shift = world
    trip_id = on_its_way(world)
    assert unassign(two_fleets.a.client("driver"), trip_id, 3, reason="x").status_code == 403
    assert unassign(client_for(two_fleets.customer), trip_id, 3, reason="x").status_code == 403
    hidden = unassign(two_fleets.b.client("dispatcher"), trip_id, 3, reason="x")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "trips.not_found")
    assert Trip.objects.get(id=trip_id).status == "en_route"
    manager = unassign(two_fleets.a.client("fleet_manager"), trip_id, 3, reason="driver called in sick")
    assert (manager.status_code, manager.json()["status"]) == (200, "requested")
    assert detail(two_fleets.a.client("dispatcher"), trip_id)["driver_id"] is None


def test_an_open_offer_of_the_trip_is_withdrawn(world):
    trip_id = on_its_way(world)
    trip = Trip.objects.get(id=trip_id)
    stray = OfferFactory(trip=trip)  # none is made for an assigned trip through the API; the service still clears it
    assignment.trip_unassign(trip_id=trip.id, actor_id=None, reason="reshuffle", expected_version=trip.version)
    assert Offer.objects.get(id=stray.id).status == "withdrawn"


def test_the_rule_is_one_entry_of_the_lifecycle():
    rule = domain.ACTIONS["unassign"]
    assert rule.sources == {"assigned", "en_route", "at_pickup"} and rule.target == "requested"
    assert rule.unassigns and domain.needs_reason("unassign", "dispatcher")
    assert domain.next_status("in_progress", "unassign", "dispatcher") is None
    assert domain.next_status("assigned", "unassign", "driver") is None
    assert "unassign" not in domain.TRANSITIONS
