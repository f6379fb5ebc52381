"""Booking a trip: stops in order and inside the fleet's area, a load some vehicle carries, a usable quote."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from apps.trips import domain, integrations
from apps.trips.contracts import ActorRole, InvalidTrip, LoadTooLarge, OutsideServiceArea, StopKind
from apps.trips.events import TripRequestedV1, TripRequestedV2
from apps.trips.models import Stop, TrackingLink, Trip
from apps.trips.services._common import snapshot, timeline_add
from logitrack.db import contexts
from logitrack.outbox.api import publish
from logitrack.types import GeoPoint

MAX_STOPS = 25


@dataclasses.dataclass(frozen=True)
class Load:
    weight_kg: int = 0
    volume_m3: Decimal = Decimal(0)
    parcels: int = 0
    seats: int = 0


LOAD_DIMENSIONS = ("weight_kg", "volume_m3", "parcels", "seats")


@dataclasses.dataclass(frozen=True)
class StopInput:
    kind: StopKind
    address: str
    lat: float
    lng: float
    contact_name: str = ""
    contact_phone: str = ""
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    service_minutes: int = 0
    notes: str = ""
    unload: Load | None = None  # a drop-off's share of the trip's load (_check_unloads)


def _stops_known(trip: Trip, created: list[Stop]) -> None:
    """The stops just written are the trip's stops (as prefetch_related leaves them): whoever renders the booked
    trip reads them from here instead of the database again."""
    rows = trip.stops.all()
    rows._result_cache = created  # what Django's prefetch sets; in sequence order
    rows._prefetch_done = True  # type: ignore[attr-defined]
    trip._prefetched_objects_cache = {"stops": rows}  # type: ignore[attr-defined]


def _check_stops(stops: list[StopInput], requested_for: dt.datetime | None) -> None:
    errors: dict[str, list[str]] = {}
    if not 2 <= len(stops) <= MAX_STOPS:
        errors["stops"] = [f"a trip has 2 to {MAX_STOPS} stops"]
    elif stops[0].kind != StopKind.PICKUP or stops[-1].kind != StopKind.DROPOFF:
        errors["stops"] = ["a trip starts with a pickup and ends with a drop-off"]
    previous_start = None
    for i, stop in enumerate(stops):
        try:
            GeoPoint(stop.lat, stop.lng)
        except Exception as exc:  # ValidationFailed from the primitive
            errors[f"stops[{i}]"] = [str(exc)]
        if stop.window_start and stop.window_end and stop.window_end <= stop.window_start:
            errors[f"stops[{i}].window_end"] = ["must be after window_start"]
        if stop.window_end and stop.window_end <= (requested_for or timezone.now()):
            errors[f"stops[{i}].window_end"] = ["is already over"]
        if stop.window_start and previous_start and stop.window_start < previous_start:
            errors[f"stops[{i}].window_start"] = ["windows must follow the order of the stops"]
        previous_start = stop.window_start or previous_start
    if errors:
        raise InvalidTrip("the trip's stops are not consistent", extra={"errors": errors})


def _check_unloads(stops: list[StopInput], load: Load) -> None:
    """Declared shares: only on drop-offs, on every drop-off or on none (a trip half declared would leave the
    planner guessing what the others take), none negative, and together never more than the trip's load in any
    dimension. What they leave comes off at the last drop-off."""
    errors: dict[str, list[str]] = {}
    declared = {i: s.unload for i, s in enumerate(stops) if s.unload is not None}
    for i, unload in declared.items():
        if stops[i].kind != StopKind.DROPOFF:
            errors[f"stops[{i}].unload"] = ["only a drop-off unloads; a pickup's load is the trip's"]
        negative = [name for name in LOAD_DIMENSIONS if getattr(unload, name) < 0]
        if negative:
            errors[f"stops[{i}].unload"] = [f"{name} must not be negative" for name in negative]
    if declared and not errors:
        for i, stop in enumerate(stops):
            if stop.kind == StopKind.DROPOFF and i not in declared:
                errors[f"stops[{i}].unload"] = ["declare what comes off at every drop-off, or at none"]
    if declared and not errors:
        for name in LOAD_DIMENSIONS:
            total = sum(getattr(unload, name) for unload in declared.values())
            if total > getattr(load, name):
                errors[name] = [f"the drop-offs unload {total} in all, more than the trip's {getattr(load, name)}"]
    if errors:
        raise InvalidTrip("the drop-offs' loads do not fit the trip's load", extra={"errors": errors})


def _check_area(rules: integrations.FleetRules, stops: list[StopInput]) -> None:
    outside = []
    for i, stop in enumerate(stops):
        inside_circle = (
            rules.center is None
            or rules.radius_m is None
            or GeoPoint(*rules.center).distance_m(GeoPoint(stop.lat, stop.lng)) <= rules.radius_m
        )
        inside_polygon = not rules.polygon or domain.point_in_polygon(stop.lat, stop.lng, rules.polygon)
        if not (inside_circle and inside_polygon):
            outside.append(f"stops[{i}]")
    if outside:
        raise OutsideServiceArea(
            "some stops are outside the fleet's service area", extra={"errors": {s: ["Outside."] for s in outside}}
        )


@dataclasses.dataclass(frozen=True)
class Booking:
    trip: Trip
    tracking_token: str  # to whoever booked; the customer can read it again on the trip
    pins: dict[int, str]  # drop-off sequence -> PIN, when PINs were asked for


@contexts.atomic("trips")
def trip_book(
    *,
    fleet_id: uuid.UUID,
    booked_by_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    vehicle_type: str,
    service: str,
    stops: list[StopInput],
    load: Load,
    quote_id: uuid.UUID | None,
    requested_for: dt.datetime | None,
    role: ActorRole,
    require_pin: bool = False,
) -> Booking:
    _check_stops(stops, requested_for)
    _check_unloads(stops, load)
    rules = integrations.fleet_rules(fleet_id=fleet_id, vehicle_type=vehicle_type)
    if not rules.active:
        raise InvalidTrip("the fleet is not taking bookings", code="trips.fleet_inactive")
    _check_area(rules, stops)
    too_big = {
        name: [f"at most {limit}"]
        for name, value, limit in (
            ("weight_kg", load.weight_kg, rules.max_weight_kg),
            ("seats", load.seats, rules.max_seats),
            ("volume_m3", float(load.volume_m3), rules.max_volume_m3),
        )
        if value > limit
    }
    if too_big:
        raise LoadTooLarge("no vehicle of this fleet can carry that load", extra={"errors": too_big})
    if quote_id is not None:
        integrations.quote_usable(quote_id=quote_id, fleet_id=fleet_id)
    require_pin = require_pin or "pin" in rules.proof_of_delivery
    trip = Trip.objects.create(
        fleet_id=fleet_id,
        customer_id=customer_id,
        booked_by_id=booked_by_id,
        service=service,
        vehicle_type=vehicle_type,
        quote_id=quote_id,
        requested_for=requested_for,
        weight_kg=load.weight_kg,
        volume_m3=load.volume_m3,
        parcels=load.parcels,
        seats=load.seats,
    )
    pins = {  # derived, not stored: the customer can read them again on their trip (selectors.owner_secrets)
        i + 1: domain.drop_off_pin(secret=settings.SECRET_KEY, trip_id=trip.id, sequence=i + 1)
        for i, s in enumerate(stops)
        if require_pin and s.kind == StopKind.DROPOFF
    }
    created = Stop.objects.bulk_create(
        [
            Stop(
                trip=trip,
                sequence=i + 1,
                pin_hash=domain.secret_hash(pins[i + 1]) if i + 1 in pins else "",
                **{f.name: getattr(s, f.name) for f in dataclasses.fields(s) if f.name != "unload"},
                **({f"unload_{name}": getattr(s.unload, name) for name in LOAD_DIMENSIONS} if s.unload else {}),
            )
            for i, s in enumerate(stops)
        ]
    )
    _stops_known(trip, created)
    token = domain.tracking_token(secret=settings.SECRET_KEY, trip_id=trip.id)
    TrackingLink.objects.create(
        trip=trip,
        token_hash=domain.secret_hash(token),
        expires_at=(requested_for or timezone.now()) + dt.timedelta(hours=settings.TRACKING_LINK_HOURS),
    )
    timeline_add(trip, action="book", old="", actor_id=booked_by_id, role=role)
    publish(
        TripRequestedV1(
            trip_id=trip.id,
            fleet_id=fleet_id,
            vehicle_type=vehicle_type,
            service=service,
            weight_kg=load.weight_kg,
            seats=load.seats,
            pickup=GeoPoint(stops[0].lat, stops[0].lng),
            requested_for=requested_for,
        )
    )
    publish(TripRequestedV2(trip=snapshot(trip, stops=created)))
    return Booking(trip=trip, tracking_token=token, pins=pins)
