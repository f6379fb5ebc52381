"""Fixtures for tests that cross contexts: a fleet ready to dispatch (drivers on duty, vans, shifts).
Imported by the conftest of each test folder that uses them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from django.utils import timezone

from apps.fleet.tests.factories import active_fleet, vehicle
from apps.identity.contracts import FleetRole
from apps.identity.models import User
from apps.identity.services import memberships as identity_memberships
from apps.partner.models import DriverProfile
from apps.partner.services import duty as partner_duty
from apps.partner.tests.factories import make_compliant
from apps.trips.tests.factories import shift_under_way
from tests.support.isolation import TwoFleets, client_for

BERLIN = (52.52, 13.405)


@dataclasses.dataclass
class Crew:
    user: User
    driver: DriverProfile
    van_id: uuid.UUID
    shift_id: uuid.UUID

    def client(self):
        return client_for(self.user)


@dataclasses.dataclass
class DispatchWorld:
    fleets: TwoFleets
    fleet_id: uuid.UUID
    crews: list[Crew]
    other_crew: Crew  # a driver of fleet B, on duty with a shift


@pytest.fixture
def live_store(settings):
    """The live map and feed sequences start empty in every test (they live in Redis, outside the database)."""
    from apps.dispatch import live

    live.store.cache_clear()
    live.store().clear()
    yield live.store()
    live.store().clear()
    live.store.cache_clear()


def _crew(fleet, user: User, registration: str) -> Crew:
    driver = make_compliant(DriverProfile.objects.get(user_id=user.id, fleet_id=fleet.id))
    partner_duty.duty_set(driver_id=driver.id, on_duty=True)
    van = vehicle(fleet, registration=registration, capacity_kg=800)
    shift = shift_under_way(fleet_id=fleet.id, driver_id=driver.id, vehicle_id=van.id)
    driver.refresh_from_db()
    return Crew(user, driver, van.id, shift.id)


@pytest.fixture
def dispatch_world(two_fleets, relay_and_deliver, live_store):
    """Fleet A (Berlin, auto-dispatch on) with three drivers on duty, each with a van and a shift; fleet B with one."""
    fleet = active_fleet(
        fleet_id=two_fleets.a.fleet_id,
        service_center_lat=BERLIN[0],
        service_center_lng=BERLIN[1],
        service_radius_m=25_000,
        auto_dispatch=True,
    )
    fleet_b = active_fleet(fleet_id=two_fleets.b.fleet_id, name="Bravo")
    users = [two_fleets.a.users[FleetRole.DRIVER]]
    for n in (2, 3):
        extra = User.objects.create_user(
            email=f"driver{n}.{fleet.id.hex[:6]}@example.test", password="x" * 12, display_name=f"Driver {n}"
        )
        identity_memberships.membership_grant(
            user_id=extra.id, fleet_id=fleet.id, role=FleetRole.DRIVER, granted_by_id=None
        )
        users.append(extra)
    relay_and_deliver()  # driver profiles from the memberships
    crews = [_crew(fleet, user, f"B-DS {n}") for n, user in enumerate(users, start=1)]
    other = _crew(fleet_b, two_fleets.b.users[FleetRole.DRIVER], "HH-DS 1")
    relay_and_deliver()  # duty events
    return DispatchWorld(two_fleets, fleet.id, crews, other)


def ping(lat: float, lng: float, *, seconds_ago: float = 0, ping_id: uuid.UUID | None = None, **extra) -> dict:
    at = timezone.now() - dt.timedelta(seconds=seconds_ago)
    return {"ping_id": str(ping_id or uuid.uuid4()), "lat": lat, "lng": lng, "recorded_at": at.isoformat(), **extra}


# A van delivery across Berlin-Mitte, the trip the dispatch tests book unless they say otherwise.
PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847}
DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190}


def book_van(world, **extra) -> str:
    """The world's customer books PICKUP → DROPOFF in a van on fleet A (50 kg unless `extra` says); its id."""
    response = client_for(world.fleets.customer).post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 50, **extra},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def place(crew: Crew, lat: float, lng: float) -> None:
    """The crew's driver reports a position now (the live map and the history)."""
    response = crew.client().post("/api/v1/dispatch/positions/", {"pings": [ping(lat, lng)]}, format="json")
    assert response.status_code == 200, response.json()
