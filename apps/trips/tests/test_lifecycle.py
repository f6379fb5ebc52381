"""The trip's lifecycle over REST: who may take which step when, versions (If-Match), reasons, pooling,
and the clean-up of trips nobody took."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.trips.models import Trip
from apps.trips.tests.rest import assign, book, step
from logitrack.db import contexts
from logitrack.outbox.models import OutboxMessage
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db


def test_illegal_steps_stale_versions_and_missing_preconditions(world):
    two_fleets, fleet, _van, _driver, shift = world
    trip = book(client_for(two_fleets.customer), fleet.id).json()
    driver_app = two_fleets.a.client("driver")
    dispatcher = two_fleets.a.client("dispatcher")

    not_assigned = step(dispatcher, trip["id"], "start", 1)
    assert (not_assigned.status_code, not_assigned.json()["code"]) == (409, "trips.illegal_transition")
    no_match = dispatcher.post(f"/api/v1/trips/trips/{trip['id']}/transitions/", {"action": "cancel"}, format="json")
    assert (no_match.status_code, no_match.json()["code"]) == (428, "trips.version_required")

    dispatcher.post(
        f"/api/v1/trips/trips/{trip['id']}/assign/",
        {"shift_id": str(shift.id)},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )
    stale = step(driver_app, trip["id"], "start", 1)  # the client still holds version 1
    assert (stale.status_code, stale.json()["code"]) == (409, "trips.stale_version")
    assert stale.json()["current_version"] == 2
    skip = step(driver_app, trip["id"], "complete", 2)
    assert skip.status_code == 409
    assert Trip.objects.get(id=trip["id"]).status == "assigned"
    fail_without_reason = step(dispatcher, trip["id"], "fail", 2)
    assert fail_without_reason.status_code == 409  # a dispatcher cannot fail an assigned, not yet started trip


def test_customers_cancel_before_pickup_and_dispatchers_can_override(world, relay_and_deliver):
    two_fleets, fleet, _van, _driver, shift = world
    customer = client_for(two_fleets.customer)
    early = book(customer, fleet.id).json()
    cancelled = step(customer, early["id"], "cancel", 1, reason="plans changed")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert step(customer, early["id"], "cancel", 2).status_code == 409

    late = book(customer, fleet.id).json()
    dispatcher = two_fleets.a.client("dispatcher")
    dispatcher.post(
        f"/api/v1/trips/trips/{late['id']}/assign/",
        {"shift_id": str(shift.id)},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )
    driver_app = two_fleets.a.client("driver")
    step(driver_app, late["id"], "start", 2)
    step(driver_app, late["id"], "arrive_pickup", 3)
    refused = step(customer, late["id"], "cancel", 4)
    assert refused.status_code == 409
    override = step(dispatcher, late["id"], "cancel", 4, reason="customer unreachable")
    assert override.status_code == 200
    relay_and_deliver()
    trips_outbox = OutboxMessage.objects.using(contexts.alias("trips"))  # trips' own database when split
    assert trips_outbox.filter(event_type="logitrack.trips.trip.cancelled.v1").count() == 2


def test_without_pooling_a_driver_has_one_trip_in_progress(world):
    two_fleets, fleet, _van, _driver, shift = world
    customer, dispatcher, driver_app = (
        client_for(two_fleets.customer),
        two_fleets.a.client("dispatcher"),
        two_fleets.a.client("driver"),
    )
    first, second = book(customer, fleet.id).json(), book(customer, fleet.id).json()
    for trip in (first, second):
        assign(dispatcher, trip["id"], shift.id, 1)
        for version, action in ((2, "start"), (3, "arrive_pickup")):
            step(driver_app, trip["id"], action, version)
    assert step(driver_app, first["id"], "pick_up", 4).status_code == 200
    busy = step(driver_app, second["id"], "pick_up", 4)
    assert (busy.status_code, busy.json()["code"]) == (409, "trips.driver_busy")


def test_stale_unassigned_trips_are_cancelled_without_a_fee(world, capsys):
    from django.core.management import call_command

    two_fleets, fleet, *_ = world
    old, fresh = (
        book(client_for(two_fleets.customer), fleet.id).json(),
        book(client_for(two_fleets.customer), fleet.id).json(),
    )
    two_hours_ago = timezone.now() - dt.timedelta(hours=2)
    Trip.objects.filter(id=old["id"]).update(created_at=two_hours_ago, requested_at=two_hours_ago)
    call_command("trips_cancel_stale", "--minutes", "60")
    assert "cancelled 1 stale trip(s)" in capsys.readouterr().out
    old_trip = Trip.objects.get(id=old["id"])
    assert old_trip.status == "cancelled" and old_trip.end_reason == "no driver found in time"
    assert Trip.objects.get(id=fresh["id"]).status == "requested"
    assert old_trip.timeline.last().actor_role == "system"


def test_a_trip_booked_long_ago_and_unassigned_just_now_survives_the_stale_sweep(world):
    from apps.trips.services import lifecycle

    two_fleets, fleet, _van, _driver, shift = world
    dispatcher = two_fleets.a.client("dispatcher")
    taken_back, never_assigned = (
        book(client_for(two_fleets.customer), fleet.id).json(),
        book(client_for(two_fleets.customer), fleet.id).json(),
    )
    two_hours_ago = timezone.now() - dt.timedelta(hours=2)
    Trip.objects.filter(id__in=[taken_back["id"], never_assigned["id"]]).update(
        created_at=two_hours_ago, requested_at=two_hours_ago
    )
    assert assign(dispatcher, taken_back["id"], shift.id, 1).status_code == 200
    unassigned = dispatcher.post(
        f"/api/v1/trips/trips/{taken_back['id']}/unassign/",
        {"reason": "van broke down"},
        format="json",
        HTTP_IF_MATCH='W/"2"',
    )
    assert unassigned.status_code == 200, unassigned.json()

    assert lifecycle.trips_cancel_stale(older_than=dt.timedelta(minutes=60)) == 1

    assert Trip.objects.get(id=taken_back["id"]).status == "requested"
    assert Trip.objects.get(id=never_assigned["id"]).status == "cancelled"


def test_other_contexts_see_when_the_driver_arrived_at_a_stop(world):
    from apps.trips import api as trips_api

    two_fleets, fleet, _van, _driver, shift = world
    trip = book(client_for(two_fleets.customer), fleet.id).json()
    assign(two_fleets.a.client("dispatcher"), trip["id"], shift.id, 1)
    for version, action in ((2, "start"), (3, "arrive_pickup")):
        assert step(two_fleets.a.client("driver"), trip["id"], action, version).status_code == 200
    arrived = two_fleets.a.client("driver").post(
        f"/api/v1/trips/trips/{trip['id']}/stops/1/arrive/", {}, format="json", HTTP_IF_MATCH='W/"4"'
    )
    assert arrived.status_code == 200, arrived.json()
    pickup, dropoff = trips_api.trip_get(trip_id=trip["id"]).stops
    assert (
        pickup.arrived_at is not None and pickup.arrived_at == Trip.objects.get(id=trip["id"]).stops.first().arrived_at
    )
    assert dropoff.arrived_at is None


@pytest.mark.parametrize("if_match", ['W/"²"', 'W/"٣"', "", "W/", 'W/"1.5"', "*"])
def test_an_if_match_that_is_no_version_is_428_not_a_server_error(world, if_match):
    two_fleets, fleet, *_ = world
    trip = book(client_for(two_fleets.customer), fleet.id).json()
    answer = two_fleets.a.client("dispatcher").post(
        f"/api/v1/trips/trips/{trip['id']}/transitions/", {"action": "cancel"}, format="json", HTTP_IF_MATCH=if_match
    )
    assert (answer.status_code, answer.json()["code"]) == (428, "trips.version_required")
