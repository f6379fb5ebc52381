"""A day of each demo fleet's trips in every state (plans.TRIP_MIX): quoted and booked by customers between
addresses on the city's streets, assigned to crews on the road and worked through the lifecycle as far as their
state says, delivered with proof where the fleet asks for a signature."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.billing.services import fares, quotes
from apps.fleet.contracts import VehicleType
from apps.trips.contracts import ActorRole, StopKind, TripStatus
from apps.trips.services import assignment as trips_assignment
from apps.trips.services import booking as trips_booking
from apps.trips.services import lifecycle as trips_lifecycle
from apps.trips.services import stops as trips_stops
from config.demo.cities import Address, City
from config.demo.plans import TRIP_MIX, FleetPlan
from config.demo.scans import signature_png
from config.demo.seeding.context import Seeding, relay
from config.demo.seeding.shifts import Crew
from logitrack.types import GeoPoint

# the lifecycle actions that bring an assigned trip to each state (completed and failed take one more step)
STEPS_TO = {
    TripStatus.ASSIGNED: (),
    TripStatus.EN_ROUTE: ("start",),
    TripStatus.AT_PICKUP: ("start", "arrive_pickup"),
    TripStatus.IN_PROGRESS: ("start", "arrive_pickup", "pick_up"),
    TripStatus.COMPLETED: ("start", "arrive_pickup", "pick_up"),
    TripStatus.FAILED: ("start",),
}


def trips_today(
    seeding: Seeding, plan: FleetPlan, fleet_id: uuid.UUID, count: int, crews: list[Crew], customers
) -> list[uuid.UUID]:
    """`count` trips: every state first (two completed), then the mix. Returns the completed trips' ids."""
    rng = seeding.rng
    completed: list[uuid.UUID] = []
    first = [TripStatus.COMPLETED] + [state for state, _ in TRIP_MIX]  # every state (two paid), then the mix
    for n in range(count):
        status = first[n] if n < len(first) else seeding.pick(TRIP_MIX)
        idle = [c for c in crews if not c.busy]
        crew = rng.choice(idle) if idle else None
        if crew is None and status not in (TripStatus.REQUESTED, TripStatus.CANCELLED):
            status = TripStatus.REQUESTED  # everyone is busy: the trip waits
        kind = crew.vehicle_type if crew is not None else rng.choice([c.vehicle_type for c in crews] or ["van"])
        customer = rng.choice(customers)
        trip_id = trip(seeding, plan, fleet_id, status, crew, VehicleType(kind), customer)
        if status == TripStatus.COMPLETED:
            completed.append(trip_id)
        seeding.report.counts[f"trips {status}"] += 1
        seeding.tick()
    relay()  # billing settles the completed trips, dispatch shows the rest
    return completed


def trip(
    seeding: Seeding, plan: FleetPlan, fleet_id, status: TripStatus, crew: Crew | None, kind: VehicleType, customer
) -> uuid.UUID:
    """One trip, quoted and booked by `customer`, then brought to `status` by `crew`."""
    rng = seeding.rng
    stops = _stops(seeding, plan.city)
    service = "ride" if kind == VehicleType.CAR else "delivery"
    points = [GeoPoint(s.lat, s.lng) for s in stops]
    later = status == TripStatus.REQUESTED and rng.random() < 0.5
    wanted = seeding.now + dt.timedelta(minutes=rng.randint(30, 240)) if later else None
    facts = fares.estimate_facts(points=points, at=wanted or seeding.now, vehicle_type=kind)
    quote = quotes.quote_create(
        fleet_id=fleet_id, vehicle_type=kind, service=service, facts=facts, customer_id=customer.id
    )
    booking = trips_booking.trip_book(
        fleet_id=fleet_id,
        booked_by_id=customer.id,
        customer_id=customer.id,
        vehicle_type=kind,
        service=service,
        stops=stops,
        load=_load(seeding, kind),
        quote_id=quote.id,
        requested_for=wanted,
        role=ActorRole.CUSTOMER,
    )
    trip_id = booking.trip.id
    if status == TripStatus.REQUESTED:
        return trip_id
    if status == TripStatus.CANCELLED:
        trips_lifecycle.trip_transition(
            trip_id=trip_id, action="cancel", actor_id=customer.id, role=ActorRole.CUSTOMER, reason="plans changed"
        )
        return trip_id
    assert crew is not None  # trips_today leaves a trip without a crew only requested or cancelled
    trips_assignment.trip_assign(trip_id=trip_id, shift_id=crew.shift_id, actor_id=None)
    for action in STEPS_TO[status]:
        at = stops[0] if action != "start" else None
        trips_lifecycle.trip_transition(
            trip_id=trip_id,
            action=action,
            actor_id=crew.user_id,
            role=ActorRole.DRIVER,
            location=GeoPoint(at.lat, at.lng) if at else None,
        )
    if status == TripStatus.FAILED:
        trips_lifecycle.trip_transition(
            trip_id=trip_id, action="fail", actor_id=crew.user_id, role=ActorRole.DRIVER, reason="flat tyre on the way"
        )
    elif status == TripStatus.COMPLETED:
        _deliver(seeding, plan, trip_id, stops, crew)
    else:
        crew.busy = True  # one trip under way per driver (shifts do not pool)
    return trip_id


def _stops(seeding: Seeding, city: City) -> list[trips_booking.StopInput]:
    pickup = city.address(seeding.rng)
    drops = [city.address(seeding.rng) for _ in range(1 if seeding.rng.random() < 0.8 else 2)]
    return [_stop(seeding, StopKind.PICKUP, pickup)] + [_stop(seeding, StopKind.DROPOFF, d) for d in drops]


def _stop(seeding: Seeding, kind: StopKind, address: Address) -> trips_booking.StopInput:
    return trips_booking.StopInput(
        kind=kind,
        address=address.line,
        lat=address.lat,
        lng=address.lng,
        contact_name=seeding.name(),
        contact_phone=f"+49 30 {seeding.rng.randint(1000000, 9999999)}",
    )


def _load(seeding: Seeding, kind: VehicleType) -> trips_booking.Load:
    rng = seeding.rng
    if kind == VehicleType.CAR:
        return trips_booking.Load(seats=rng.randint(1, 3))
    if kind == VehicleType.BIKE:
        return trips_booking.Load(weight_kg=rng.randint(2, 25), parcels=rng.randint(1, 4))
    if kind == VehicleType.TRUCK:
        return trips_booking.Load(weight_kg=rng.randint(400, 2500), parcels=rng.randint(10, 80))
    return trips_booking.Load(weight_kg=rng.randint(10, 400), parcels=rng.randint(1, 15))


def _deliver(seeding: Seeding, plan: FleetPlan, trip_id: uuid.UUID, stops, crew: Crew) -> None:
    for sequence, stop in enumerate(stops[1:], start=2):
        signature = None
        if "signature" in plan.proof_of_delivery:
            signature = SimpleUploadedFile("signature.png", signature_png(), content_type="image/png")
        trips_stops.stop_done(
            trip_id=trip_id,
            sequence=sequence,
            actor_id=crew.user_id,
            expected_version=None,
            recipient_name=stop.contact_name,
            signature=signature,
        )
    last = stops[-1]
    trips_lifecycle.trip_transition(
        trip_id=trip_id,
        action="complete",
        actor_id=crew.user_id,
        role=ActorRole.DRIVER,
        location=GeoPoint(last.lat, last.lng),
        waiting_s=seeding.rng.choice([0, 0, 120, 420]),
    )


TRACKED = (TripStatus.IN_PROGRESS, TripStatus.EN_ROUTE, TripStatus.REQUESTED, TripStatus.COMPLETED)


def tracking_links(fleet_id: uuid.UUID) -> list[tuple[str, str]]:
    """(status, path of its tracking page) of one of the fleet's trips in each of a few states, while their links
    work: what a customer would be sent, for a person trying the demo to open (on a phone, ideally)."""
    from django.conf import settings
    from django.utils import timezone

    from apps.trips import domain as trips_domain
    from apps.trips.models import Trip

    found = []
    for status in TRACKED:
        trip = (
            Trip.objects.filter(fleet_id=fleet_id, status=status, tracking_links__expires_at__gt=timezone.now())
            .order_by("created_at")
            .first()
        )
        if trip is not None:
            token = trips_domain.tracking_token(secret=settings.SECRET_KEY, trip_id=trip.id)
            found.append((status.value.replace("_", " "), f"/track/{token}/"))
    return found
