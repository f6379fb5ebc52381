"""Shifts: planning (eligibility, overlaps, capacity of the trips put on them), the database's own guard
against overlaps, and the driver starting and ending one."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connections
from django.utils import timezone

from apps.trips.tests.rest import assign, book
from logitrack.db import contexts
from tests.support.isolation import client_for
from tests.support.trip_world import driver_profile

pytestmark = pytest.mark.django_db


def _db():
    """Trips' connection in this thread (its own database when split)."""
    return connections[contexts.alias("trips")]


def test_shifts_refuse_ineligible_drivers_overlaps_and_over_capacity(world):
    two_fleets, fleet, van, driver, shift = world
    dispatcher = two_fleets.a.client("dispatcher")
    now = timezone.now()
    plan = {
        "fleet_id": str(fleet.id),
        "driver_id": str(driver.id),
        "vehicle_id": str(van.id),
        "starts_at": (now + dt.timedelta(hours=2)).isoformat(),
        "ends_at": (now + dt.timedelta(hours=9)).isoformat(),
    }
    overlap = dispatcher.post("/api/v1/trips/shifts/", plan, format="json")
    assert (overlap.status_code, overlap.json()["code"]) == (409, "trips.shift_overlap")
    driver_b = driver_profile(two_fleets.b.users["driver"])
    other = dispatcher.post(
        "/api/v1/trips/shifts/",
        {
            **plan,
            "driver_id": str(driver_b.id),
            "starts_at": (now + dt.timedelta(hours=10)).isoformat(),
            "ends_at": (now + dt.timedelta(hours=12)).isoformat(),
        },
        format="json",
    )
    assert (other.status_code, other.json()["code"]) == (409, "trips.shift_not_possible")
    assert "driver_unknown" in other.json()["reasons"]

    customer = client_for(two_fleets.customer)
    heavy = [book(customer, fleet.id, weight_kg=500).json() for _ in range(2)]  # the van carries 800 kg
    assert assign(dispatcher, heavy[0]["id"], shift.id, 1).status_code == 200
    over = assign(dispatcher, heavy[1]["id"], shift.id, 1)
    assert (over.status_code, over.json()["code"]) == (409, "trips.over_capacity")
    assert (over.json()["weight_kg"], over.json()["capacity_kg"]) == (1000, 800)
    reassign_without_reason = assign(dispatcher, heavy[0]["id"], shift.id, 2)
    assert reassign_without_reason.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_overlapping_shifts_even_when_the_check_is_skipped(world):
    from django.db import IntegrityError

    from apps.trips.models import Shift

    if _db().vendor != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's")
    _, fleet, van, driver, shift = world
    with pytest.raises(IntegrityError, match=r"shift_(driver|vehicle)_no_overlap"), contexts.atomic("trips"):
        Shift.objects.create(
            fleet_id=fleet.id,
            driver_id=driver.id,
            vehicle_id=uuid.uuid4(),
            starts_at=shift.starts_at + dt.timedelta(hours=1),
            ends_at=shift.ends_at + dt.timedelta(hours=1),
        )
    with pytest.raises(IntegrityError, match="shift_vehicle_no_overlap"), contexts.atomic("trips"):
        Shift.objects.create(
            fleet_id=fleet.id,
            driver_id=uuid.uuid4(),
            vehicle_id=van.id,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
        )
    Shift.objects.filter(id=shift.id).update(status="cancelled")  # a cancelled shift frees the window
    Shift.objects.create(
        fleet_id=fleet.id, driver_id=driver.id, vehicle_id=van.id, starts_at=shift.starts_at, ends_at=shift.ends_at
    )


def test_a_driver_starts_and_ends_the_shift_with_odometer_readings(world):
    two_fleets, _fleet, _van, _driver, shift = world
    driver_app = two_fleets.a.client("driver")
    started = driver_app.post(f"/api/v1/trips/shifts/{shift.id}/start/", {"odometer_km": "12000.5"}, format="json")
    assert started.status_code == 200 and started.json()["status"] == "started"
    backwards = driver_app.post(f"/api/v1/trips/shifts/{shift.id}/end/", {"odometer_km": "11000"}, format="json")
    assert backwards.status_code == 400
    ended = driver_app.post(f"/api/v1/trips/shifts/{shift.id}/end/", {"odometer_km": "12080"}, format="json")
    assert ended.status_code == 200 and ended.json()["odometer_end_km"] == "12080.0"
    assert (
        two_fleets.b.client("driver")
        .post(f"/api/v1/trips/shifts/{shift.id}/start/", {"odometer_km": "1"}, format="json")
        .status_code
        == 404
    )
