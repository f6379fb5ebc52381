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
