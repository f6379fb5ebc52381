"""Partner reads the fleet's time zone (through fleet's api) to match availability to a window."""

import datetime as dt

import pytest

from apps.fleet.tests.factories import active_fleet
from apps.partner import api
from apps.partner.contracts import ComplianceStatus
from apps.partner.models import DriverProfile
from apps.partner.services import availability as partner_availability
from apps.partner.tests.factories import make_compliant

pytestmark = pytest.mark.django_db


@pytest.fixture
def drivers(two_fleets, relay_and_deliver):
    relay_and_deliver()
    return (
        DriverProfile.objects.get(user_id=two_fleets.a.users["driver"].id),
        DriverProfile.objects.get(user_id=two_fleets.b.users["driver"].id),
    )


def test_available_drivers_for_a_window_are_the_compliant_ones_whose_hours_cover_it(two_fleets, drivers):

    active_fleet(fleet_id=two_fleets.a.fleet_id, time_zone="Europe/Berlin")
    driver_a, _ = drivers
    monday = dt.date(2030, 1, 7)
    partner_availability.availability_replace(driver_id=driver_a.id, windows=[(0, dt.time(8), dt.time(16))])
    berlin = dt.timezone(dt.timedelta(hours=1))
    inside = (dt.datetime.combine(monday, dt.time(9), berlin), dt.datetime.combine(monday, dt.time(12), berlin))

    assert (
        api.drivers_available(fleet_id=two_fleets.a.fleet_id, starts_at=inside[0], ends_at=inside[1]) == []
    )  # not compliant
    make_compliant(driver_a)
    found = api.drivers_available(fleet_id=two_fleets.a.fleet_id, starts_at=inside[0], ends_at=inside[1])
    assert [d.id for d in found] == [driver_a.id] and found[0].compliance_status is ComplianceStatus.COMPLIANT
    late = (dt.datetime.combine(monday, dt.time(15), berlin), dt.datetime.combine(monday, dt.time(17), berlin))
    assert api.drivers_available(fleet_id=two_fleets.a.fleet_id, starts_at=late[0], ends_at=late[1]) == []
