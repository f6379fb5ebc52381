"""The fleet's dispatchers and managers may mark a stop failed, as its driver does: the same service and rules, a
reason from everyone, the timeline saying who; nobody else may."""

from __future__ import annotations

import pytest

from apps.trips.models import Trip
from apps.trips.tests.rest import assign, book, step
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db


def fail(client, trip_id, sequence, version, **body):
    return client.post(
        f"/api/v1/trips/trips/{trip_id}/stops/{sequence}/fail/", body, format="json", HTTP_IF_MATCH=f'W/"{version}"'
    )


def at_pickup(world):
    """A trip whose driver is at the pickup (version 4)."""
    two_fleets, fleet, _van, _driver, shift = world
    trip = book(client_for(two_fleets.customer), fleet.id).json()
    assert assign(two_fleets.a.client("dispatcher"), trip["id"], shift.id, 1).status_code == 200
    driver_app = two_fleets.a.client("driver")
    assert step(driver_app, trip["id"], "start", 2).status_code == 200
    assert step(driver_app, trip["id"], "arrive_pickup", 3).status_code == 200
    return trip["id"]


@pytest.mark.parametrize("role", ["dispatcher", "fleet_manager"])
def test_the_fleets_staff_fail_a_stop_with_a_reason(world, role):
    two_fleets = world[0]
    trip_id = at_pickup(world)
    staff = two_fleets.a.client(role)

    no_reason = fail(staff, trip_id, 1, 4)
    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "validation_failed")
    assert "reason" in no_reason.json()["errors"]
    not_yet = fail(staff, trip_id, 2, 4, reason="x")  # a drop-off, before the goods are on board: same rule
    assert (not_yet.status_code, not_yet.json()["code"]) == (409, "trips.illegal_transition")

    failed = fail(staff, trip_id, 1, 4, reason="warehouse closed")
    assert failed.status_code == 200, failed.json()
    assert failed["ETag"] == 'W/"5"'
    assert [s["status"] for s in failed.json()["stops"]] == ["failed", "pending"]
    trip = Trip.objects.get(id=trip_id)
    assert trip.stops.get(sequence=1).failure_reason == "warehouse closed"
    entry = trip.timeline.last()
    assert (entry.action, entry.actor_role, entry.actor_id, entry.reason) == (
        "stop_1_failed",
        "dispatcher",
        two_fleets.a.users[role].id,
        "warehouse closed",
    )


def test_the_driver_still_fails_their_stops(world):
    two_fleets = world[0]
    trip_id = at_pickup(world)
    failed = fail(two_fleets.a.client("driver"), trip_id, 1, 4, reason="nobody there")
    assert failed.status_code == 200, failed.json()
    assert Trip.objects.get(id=trip_id).timeline.last().actor_role == "driver"


def test_nobody_else_fails_a_stop(world):
    two_fleets = world[0]
    trip_id = at_pickup(world)
    other_fleet = fail(two_fleets.b.client("dispatcher"), trip_id, 1, 4, reason="x")
    assert (other_fleet.status_code, other_fleet.json()["code"]) == (404, "trips.not_found")
    assert fail(two_fleets.b.client("fleet_manager"), trip_id, 1, 4, reason="x").status_code == 404
    assert fail(client_for(two_fleets.customer), trip_id, 1, 4, reason="x").status_code == 403
    # the fleet's staff fail a stop, but arriving and finishing stay the driver's
    staff_arrive = two_fleets.a.client("dispatcher").post(
        f"/api/v1/trips/trips/{trip_id}/stops/1/arrive/", HTTP_IF_MATCH='W/"4"'
    )
    assert staff_arrive.status_code == 403
    assert Trip.objects.get(id=trip_id).stops.get(sequence=1).status == "pending"
