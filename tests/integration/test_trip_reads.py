"""How often other contexts read a trip back while reacting to its events, from booking to settlement.

Trip events carry the trip (V2 snapshots), so a subscriber learns what changed from the event itself; a call back
into trips' api on the event path is a hop the event could have saved. This walk counts those calls: booking with
auto-dispatch on, the offer accepted, the driver's steps, completion and settlement, the outbox delivered after
every step as the worker would."""

import collections

import pytest

from apps.billing.models import JournalTransaction
from apps.trips import api as trips_api
from apps.trips.models import Offer, Trip
from tests.support.dispatch_world import ping
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db
PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847}
DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190}
TRIP_READS = ("trip_get", "trips_open", "trips_of_drivers")  # trips' api calls that read trips


@pytest.fixture
def counted_reads(monkeypatch):
    """Counts calls to trips' read api (the real functions still run)."""
    calls: collections.Counter[str] = collections.Counter()
    for name in TRIP_READS:
        real = getattr(trips_api, name)

        def counting(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(trips_api, name, counting)
    return calls


def test_subscribers_never_read_the_trip_back_from_booking_to_settlement(
    dispatch_world,  # noqa: F811  (the fixture imported below)
    relay_and_deliver,
    counted_reads,
):
    from apps.billing.tests.factories import tariff

    world = dispatch_world
    tariff(fleet_id=world.fleet_id)
    crew = world.crews[0]
    placed = crew.client().post("/api/v1/dispatch/positions/", {"pings": [ping(52.54, 13.3847)]}, format="json")
    assert placed.status_code == 200, placed.json()
    relay_and_deliver()

    booked = client_for(world.fleets.customer).post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 50},
        format="json",
    )
    assert booked.status_code == 201, booked.json()
    trip_id = booked.json()["id"]
    counted_reads.clear()  # what follows is the event path: subscribers reacting to the trip's events

    relay_and_deliver()  # auto-dispatch offers it to the nearest driver
    offer = Offer.objects.get(trip_id=trip_id, status="pending")
    assert offer.driver_id == crew.driver.id
    accepted = crew.client().post(f"/api/v1/trips/offers/{offer.id}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.json()
    relay_and_deliver()
    version = Trip.objects.get(id=trip_id).version
    for action in ("start", "arrive_pickup", "pick_up", "complete"):
        extra = {"distance_m": 4200} if action == "complete" else {}
        moved = crew.client().post(
            f"/api/v1/trips/trips/{trip_id}/transitions/",
            {"action": action, **extra},
            format="json",
            HTTP_IF_MATCH=f'W/"{version}"',
        )
        assert moved.status_code == 200, (action, moved.json())
        version = moved.json()["version"]
        relay_and_deliver()
    relay_and_deliver()

    assert JournalTransaction.objects.filter(kind="settlement", reference_id=trip_id).count() == 1
    print(f"trip reads on the event path, booking to settlement: {dict(counted_reads)}")
    assert sum(counted_reads.values()) == 0, dict(counted_reads)


from tests.support.dispatch_world import dispatch_world, live_store  # noqa: E402, F401  (fixtures)
