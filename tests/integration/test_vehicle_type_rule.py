"""A trip goes only on a vehicle of the type it was booked for: manual assignment, offers, auto-dispatch, route
plans and their acceptance all keep the one rule (`apps.trips.contracts.vehicle_serves_booking`)."""

import uuid

import pytest

from apps.dispatch import matching
from apps.dispatch.models import RoutePlan
from apps.dispatch.services import plans, routing_jobs
from apps.dispatch.tests.factories import RoutePlanFactory
from apps.fleet.contracts import VehicleType
from apps.fleet.models import Fleet
from apps.fleet.tests.factories import vehicle
from apps.identity.contracts import FleetRole
from apps.identity.models import User
from apps.identity.services import memberships as identity_memberships
from apps.partner.models import DriverProfile
from apps.partner.services import duty as partner_duty
from apps.partner.tests.factories import make_compliant
from apps.trips import api as trips_api
from apps.trips.contracts import VehicleTypeMismatch
from apps.trips.models import Offer, Trip
from apps.trips.tests.factories import shift_under_way
from tests.support.dispatch_world import Crew, ping
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db
PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847}
DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190}
VEHICLES = {  # what each type of the test fleet is like
    VehicleType.BIKE: {"make": "Urban Arrow", "model": "Cargo", "capacity_kg": 100, "seats": 0},
    VehicleType.CAR: {"make": "Toyota", "model": "Prius", "capacity_kg": 300, "seats": 4},
    VehicleType.TRUCK: {"make": "MAN", "model": "TGL", "capacity_kg": 7000, "seats": 2, "licence_class": "C1"},
}


def crew_with(world, relay_and_deliver, vehicle_type: VehicleType, name: str) -> Crew:
    """Another driver of fleet A, on duty, on a shift with a vehicle of `vehicle_type`."""
    fleet = Fleet.objects.get(id=world.fleet_id)
    user = User.objects.create_user(
        email=f"{name}.{uuid.uuid4().hex[:6]}@example.test", password="x" * 12, display_name=name.title()
    )
    identity_memberships.membership_grant(user_id=user.id, fleet_id=fleet.id, role=FleetRole.DRIVER, granted_by_id=None)
    relay_and_deliver()  # the driver profile
    driver = make_compliant(DriverProfile.objects.get(user_id=user.id, fleet_id=fleet.id))  # licence B and C1
    partner_duty.duty_set(driver_id=driver.id, on_duty=True)
    ride = vehicle(fleet, vehicle_type=vehicle_type, **VEHICLES[vehicle_type])
    shift = shift_under_way(fleet_id=fleet.id, driver_id=driver.id, vehicle_id=ride.id)
    relay_and_deliver()
    return Crew(user, driver, ride.id, shift.id)


def book(world, vehicle_type: str, pickup=PICKUP, dropoff=DROPOFF, **load) -> str:
    load = load or ({"seats": 2} if vehicle_type == "car" else {"weight_kg": 20})
    response = client_for(world.fleets.customer).post(
        "/api/v1/trips/trips/",
        {
            "fleet_id": str(world.fleet_id),
            "vehicle_type": vehicle_type,
            "service": "ride" if vehicle_type == "car" else "delivery",
            "stops": [pickup, dropoff],
            **load,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_a_trip_is_assigned_and_offered_only_to_a_vehicle_of_the_type_booked(dispatch_world, relay_and_deliver):
    world = dispatch_world
    Fleet.objects.filter(id=world.fleet_id).update(auto_dispatch=False)
    biker = crew_with(world, relay_and_deliver, VehicleType.BIKE, "biker")
    van_shift = world.crews[0].shift_id
    parcel = book(world, "bike")
    dispatcher = world.fleets.a.client("dispatcher")

    refused = dispatcher.post(
        f"/api/v1/trips/trips/{parcel}/assign/", {"shift_id": str(van_shift)}, format="json", HTTP_IF_MATCH='W/"1"'
    )
    assert refused.status_code == 409, refused.json()
    body = refused.json()
    assert (body["code"], body["booked_vehicle_type"], body["vehicle_type"]) == (
        "trips.vehicle_type_mismatch",
        "bike",
        "van",
    )
    assert refused["Content-Type"].startswith("application/problem+json")
    offered = dispatcher.post(f"/api/v1/trips/trips/{parcel}/offers/", {"shift_id": str(van_shift)}, format="json")
    assert (offered.status_code, offered.json()["code"]) == (409, "trips.vehicle_type_mismatch")
    with pytest.raises(VehicleTypeMismatch):  # what dispatch calls, a route plan's acceptance included
        trips_api.trip_assign(trip_id=uuid.UUID(parcel), shift_id=van_shift, actor_id=None, sequenced=True)
    trip = Trip.objects.get(id=parcel)
    assert (trip.status, trip.version, trip.shift_id) == ("requested", 1, None)
    assert not Offer.objects.filter(trip_id=parcel).exists()

    assigned = dispatcher.post(
        f"/api/v1/trips/trips/{parcel}/assign/",
        {"shift_id": str(biker.shift_id)},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )
    assert assigned.status_code == 200, assigned.json()
    van_parcel = book(world, "van")
    reassign = dispatcher.post(
        f"/api/v1/trips/trips/{van_parcel}/assign/",
        {"shift_id": str(biker.shift_id)},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )
    assert (reassign.status_code, reassign.json()["code"]) == (409, "trips.vehicle_type_mismatch")


def test_matching_skips_other_types_and_auto_dispatch_offers_as_the_system(dispatch_world, relay_and_deliver):
    world = dispatch_world
    cabbie = crew_with(world, relay_and_deliver, VehicleType.CAR, "cabbie")
    for crew, at in zip(
        [*world.crews, cabbie], [(52.532, 13.385), (52.533, 13.385), (52.534, 13.385), (52.56, 13.385)], strict=True
    ):
        assert (
            crew.client().post("/api/v1/dispatch/positions/", {"pings": [ping(*at)]}, format="json").status_code == 200
        )
    strategy = matching.NearestEligibleDriver()

    ride = book(world, "car")  # the vans are nearer, but the customer booked a car
    assert [c.driver_id for c in strategy.candidates(trips_api.trip_get(trip_id=ride), exclude=set())] == [
        cabbie.driver.id
    ]
    relay_and_deliver()  # auto-dispatch is on in this fleet
    offer = Offer.objects.get(trip_id=ride, status="pending")
    assert offer.driver_id == cabbie.driver.id
    offered = world.fleets.a.client("dispatcher").get(f"/api/v1/trips/trips/{ride}/timeline/").json()["results"][-1]
    assert (offered["action"], offered["actor_role"], offered["actor_id"]) == ("offer", "system", None)

    goods = book(world, "van")
    vans = [c.driver_id for c in strategy.candidates(trips_api.trip_get(trip_id=goods), exclude=set())]
    assert vans == [c.driver.id for c in world.crews]  # never the car, though it is free


def route_types(plan: dict) -> list[tuple[str, str]]:
    """(booked type, vehicle type) of every stop of the plan, from the database, not from the plan's own claims."""
    kinds = {}
    for route in plan["routes"]:
        vehicle_type = _vehicle_type(route["vehicle_id"])
        for stop in route["stops"]:
            kinds[stop["trip_id"]] = (Trip.objects.get(id=stop["trip_id"]).vehicle_type, vehicle_type)
    return list(kinds.values())


def _vehicle_type(vehicle_id: str) -> str:
    from apps.fleet.models import Vehicle

    return Vehicle.objects.get(id=vehicle_id).vehicle_type.value


def test_the_optimiser_never_puts_a_trip_on_a_vehicle_of_another_type(dispatch_world, relay_and_deliver):
    world = dispatch_world
    trucker = crew_with(world, relay_and_deliver, VehicleType.TRUCK, "trucker")
    cabbie = crew_with(world, relay_and_deliver, VehicleType.CAR, "cabbie")
    # the truck waits at the pickups, the car 5 km away: by distance alone the truck would take the rides
    trucker.client().post("/api/v1/dispatch/positions/", {"pings": [ping(52.531, 13.385)]}, format="json")
    cabbie.client().post("/api/v1/dispatch/positions/", {"pings": [ping(52.576, 13.385)]}, format="json")
    spots = [(52.5310, 13.3847), (52.5300, 13.3860), (52.5320, 13.3830)]
    rides = [
        book(world, "car", {**PICKUP, "lat": lat, "lng": lng}, {**DROPOFF, "lat": lat - 0.01, "lng": lng + 0.01})
        for lat, lng in spots
    ]
    pallets = book(world, "truck", weight_kg=2000)
    parcels = book(world, "van", weight_kg=100)
    Fleet.objects.filter(id=world.fleet_id).update(auto_dispatch=False)
    bike = vehicle(Fleet.objects.get(id=world.fleet_id), vehicle_type=VehicleType.BIKE, **VEHICLES[VehicleType.BIKE])
    assert bike  # a bike in the fleet makes a bike booking possible, but nobody rides it today
    parcel_by_bike = book(world, "bike")

    job = routing_jobs.routing_job_create(fleet_id=world.fleet_id, seconds=2, actor_id=None)
    job = routing_jobs.routing_job_run(job_id=job.id)
    assert job.status == "succeeded", job.error
    plan = plans.plan_json(RoutePlan.objects.get(job=job))
    pairs = route_types(plan)
    assert pairs and all(booked == driven for booked, driven in pairs), pairs
    served = {s["trip_id"] for r in plan["routes"] for s in r["stops"]}
    assert {*rides, pallets, parcels} <= served
    assert {u["trip_id"]: u["reason"] for u in plan["unserved"]} == {parcel_by_bike: "no bike is on shift"}

    accepted = world.fleets.a.client("dispatcher").post(f"/api/v1/dispatch/plans/{plan['id']}/accept/")
    assert accepted.status_code == 200, accepted.json()
    for trip in Trip.objects.filter(id__in=[*rides, pallets, parcels]):
        assert trip.status == "assigned" and _vehicle_type(trip.vehicle_id) == trip.vehicle_type


def test_accepting_a_plan_that_puts_a_trip_on_another_type_is_refused_whole(dispatch_world, relay_and_deliver):
    world = dispatch_world
    trucker = crew_with(world, relay_and_deliver, VehicleType.TRUCK, "trucker")
    cabbie = crew_with(world, relay_and_deliver, VehicleType.CAR, "cabbie")
    Fleet.objects.filter(id=world.fleet_id).update(auto_dispatch=False)
    ride, goods = book(world, "car"), book(world, "van")

    def route(crew, trip_id):
        return {
            "shift_id": str(crew.shift_id),
            "driver_id": str(crew.driver.id),
            "vehicle_id": str(crew.van_id),
            "registration": "",
            "distance_m": 1000,
            "ends_at": "2030-01-01T10:00:00+00:00",
            "stops": [
                {"trip_id": trip_id, "sequence": n, "kind": kind, "address": "", "lat": 52.5, "lng": 13.4, "eta": None}
                for n, kind in ((1, "pickup"), (2, "dropoff"))
            ],
        }

    # as a plan made before the rule held would have it: the two-seat ride on the truck
    plan = RoutePlanFactory(
        fleet_id=world.fleet_id,
        origin="2030-01-01T09:00:00+00:00",
        routes=[route(world.crews[0], goods), route(trucker, ride)],
        unserved=[],
        distance_m=2000,
    )
    refused = world.fleets.a.client("dispatcher").post(f"/api/v1/dispatch/plans/{plan.id}/accept/")
    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "dispatch.vehicle_type_mismatch"
    assert refused.json()["trips"] == [{"trip_id": ride, "booked_vehicle_type": "car", "vehicle_type": "truck"}]
    assert set(Trip.objects.filter(id__in=[ride, goods]).values_list("status", flat=True)) == {"requested"}
    plan.refresh_from_db()
    assert plan.status == "proposed"

    # re-optimising from that plan continues from what it may keep and moves the ride to the car
    job = routing_jobs.routing_job_create(fleet_id=world.fleet_id, seconds=1, actor_id=None, from_plan_id=plan.id)
    job = routing_jobs.routing_job_run(job_id=job.id)
    assert job.status == "succeeded", job.error
    assert job.stats["strategy"].startswith("FROM_CURRENT_PLAN")
    again = plans.plan_json(RoutePlan.objects.get(job=job))
    assert all(booked == driven for booked, driven in route_types(again)), route_types(again)
    on = {s["trip_id"]: r["shift_id"] for r in again["routes"] for s in r["stops"]}
    assert on[ride] == str(cabbie.shift_id) and goods in on
