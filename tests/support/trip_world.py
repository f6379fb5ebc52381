"""What trips' tests need from the contexts around trips (fleet, partner, billing), built through their own test
factories: a fleet with a service area and a tariff, a van, a compliant driver on a shift under way. Trips' own
tests (apps/trips/tests) take it from here, so they import nothing of another context themselves."""

from __future__ import annotations

import uuid

import pytest

from apps.billing.tests.factories import tariff
from apps.fleet.tests.factories import active_fleet, vehicle
from apps.partner.models import DriverProfile
from apps.partner.services import drivers as partner_drivers
from apps.partner.tests.factories import make_compliant
from apps.trips.contracts import ActorRole, StopKind
from apps.trips.services import booking
from apps.trips.tests.factories import shift_under_way


@pytest.fixture
def world(two_fleets, relay_and_deliver):
    fleet = active_fleet(
        fleet_id=two_fleets.a.fleet_id, service_center_lat=52.52, service_center_lng=13.405, service_radius_m=25_000
    )
    active_fleet(fleet_id=two_fleets.b.fleet_id, name="Bravo")
    tariff(fleet_id=fleet.id)
    van = vehicle(fleet, registration="B-TR 1", capacity_kg=800)
    relay_and_deliver()  # driver profiles
    driver = make_compliant(DriverProfile.objects.get(user_id=two_fleets.a.users["driver"].id))
    shift = shift_under_way(fleet_id=fleet.id, driver_id=driver.id, vehicle_id=van.id)
    return two_fleets, fleet, van, driver, shift


def driver_profile(user) -> DriverProfile:
    """The driver profile partner made for a user of the two fleets."""
    return DriverProfile.objects.get(user_id=user.id)


def fleet_with_a_compliant_driver(*, capacity_kg: int):
    """(fleet, van, driver): an active fleet, a van carrying `capacity_kg`, a compliant driver onboarded for it."""
    fleet = active_fleet()
    van = vehicle(fleet, registration=f"P{uuid.uuid4().hex[:6]}", capacity_kg=capacity_kg)
    driver = partner_drivers.driver_onboard(user_id=uuid.uuid4(), fleet_id=fleet.id, display_name="Prop Driver")
    return fleet, van, make_compliant(DriverProfile.objects.get(id=driver.id))


# (address, lat, lng) of a stop, with its window when it has one: (address, lat, lng, window_start, window_end)
StopSpec = tuple


def book_as_customer(fleet_id, customer_id, pickup: StopSpec, dropoff: StopSpec, *, weight_kg=20, requested_for=None):
    """The customer books pickup → dropoff in a van through the booking service (no quote); the trip row."""

    def stop(kind, spec):
        address, lat, lng, *window = spec
        start, end = window if window else (None, None)
        return booking.StopInput(kind=kind, address=address, lat=lat, lng=lng, window_start=start, window_end=end)

    return booking.trip_book(
        fleet_id=fleet_id,
        booked_by_id=customer_id,
        customer_id=customer_id,
        vehicle_type="van",
        service="delivery",
        stops=[stop(StopKind.PICKUP, pickup), stop(StopKind.DROPOFF, dropoff)],
        load=booking.Load(weight_kg=weight_kg),
        quote_id=None,
        requested_for=requested_for,
        role=ActorRole.CUSTOMER,
    ).trip
