"""What trips' REST tests share: two stops in Berlin, a world with fleet A's van on a shift under way (fleet B and
a customer beside it), and the calls a client makes to book, step, assign and read a trip. Any context's tests may
use them (`world` is a fixture: import it where it is not in a conftest)."""

import pytest

from apps.billing.tests.factories import tariff
from apps.fleet.tests.factories import active_fleet, vehicle
from apps.partner.models import DriverProfile
from apps.partner.tests.factories import make_compliant
from apps.trips.tests.factories import shift_under_way
from logitrack.testing import images as testing_images

PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847}

DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190}

PNG = testing_images.png()  # real files: uploads are decoded and re-encoded

JPEG = testing_images.jpeg()


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


def book(client, fleet_id, **extra):
    return client.post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 120, **extra},
        format="json",
    )


def step(client, trip, action, version, **extra):
    return client.post(
        f"/api/v1/trips/trips/{trip}/transitions/",
        {"action": action, **extra},
        format="json",
        HTTP_IF_MATCH=f'W/"{version}"',
    )


def assign(client, trip_id, shift_id, version, **extra):
    return client.post(
        f"/api/v1/trips/trips/{trip_id}/assign/",
        {"shift_id": str(shift_id), **extra},
        format="json",
        HTTP_IF_MATCH=f'W/"{version}"',
    )


def detail(client, trip_id):
    response = client.get(f"/api/v1/trips/trips/{trip_id}/")
    assert response.status_code == 200, response.json()
    return response.json()
