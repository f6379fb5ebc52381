"""Matching strategies: who should be offered a trip. Pluggable (DISPATCH_MATCHING_STRATEGY); the built-in one
takes the nearest eligible, available drivers from the live map and ranks them by estimated travel time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from apps.dispatch import integrations, live, matrix
from apps.dispatch.contracts import TripView
from apps.dispatch.domain import haversine_m
from apps.trips.contracts import load_fits, vehicle_serves_booking


@dataclasses.dataclass(frozen=True)
class Candidate:
    driver_id: uuid.UUID
    shift_id: uuid.UUID
    vehicle_id: uuid.UUID
    distance_m: float  # straight line to the first pickup
    travel_s: int  # estimated by the matrix provider


@dataclasses.dataclass(frozen=True)
class Assessment:
    """One open shift judged for a trip: eligible (then `rank` is its place in the matcher's order) or not, with
    every reason why not, in words a dispatcher reads."""

    driver_id: uuid.UUID
    shift_id: uuid.UUID
    vehicle_id: uuid.UUID
    vehicle_type: str
    registration: str
    eligible: bool
    reasons: tuple[str, ...]
    distance_m: float | None  # straight line to the first pickup
    travel_s: int | None
    spare_weight_kg: int | None
    spare_seats: int | None
    current: bool  # the trip's own shift
    rank: int | None = None
    # a dispatcher may still assign it by hand: every rule trips enforces holds, and only the matcher's own
    # preferences (already offered it, too far down the list, no live position to rank it by) keep it unsuggested
    assignable: bool = False


class MatchingStrategy(Protocol):
    def candidates(self, trip: TripView, *, exclude: set[uuid.UUID]) -> list[Candidate]:
        """Drivers to offer the trip to, best first; never one in `exclude`. `trip` as the event that asks for
        it says it is (trips' TripSnapshot), or a TripRef: the strategy never reads it back."""

    def assess(self, trip: TripView, *, exclude: set[uuid.UUID], every_shift: bool = False) -> list[Assessment]:
        """The candidates as assessments (eligible first, in `candidates` order), and with `every_shift` every
        other open shift of the fleet too, with why it cannot take the trip."""


PARTNER_REASONS = {
    "inactive": "the driver's profile is inactive",
    "off_duty": "off duty",
    "compliance_pending": "not compliant yet (documents missing or awaiting review)",
    "compliance_non_compliant": "not compliant (a document expired or was rejected)",
    "compliance_suspended": "suspended by a fleet manager",
    "unknown_driver": "no such driver",
}


def partner_reason(code: str) -> str:
    return PARTNER_REASONS.get(code, code.replace("_", " "))


class NearestEligibleDriver:
    """On duty and compliant (partner), on an open shift whose vehicle is of the booked type and can carry the
    load on top of what it carries (trips, fleet), not busy unless the shift pools; nearest by GEOSEARCH, then
    by travel time."""

    def __init__(self, radius_m: float | None = None, limit: int | None = None) -> None:
        self.radius_m = radius_m or settings.DISPATCH_SEARCH_RADIUS_M
        self.limit = limit or settings.DISPATCH_CANDIDATES

    def candidates(self, trip: TripView, *, exclude: set[uuid.UUID]) -> list[Candidate]:
        return [
            Candidate(a.driver_id, a.shift_id, a.vehicle_id, a.distance_m or 0.0, a.travel_s or 0)
            for a in self.assess(trip, exclude=exclude)
            if a.eligible
        ]

    def assess(self, trip: TripView, *, exclude: set[uuid.UUID], every_shift: bool = False) -> list[Assessment]:
        """One assessment for auto-dispatch's offers and the screen's suggestions. Without `every_shift` only the
        drivers GEOSEARCH finds nearest are looked at (auto-dispatch); with it, every open shift of the fleet."""
        pickup = trip.stops[0]
        near = live.store().nearest(
            trip.fleet_id, lat=pickup.lat, lng=pickup.lng, radius_m=self.radius_m, count=self.limit + len(exclude)
        )
        distance = {d: m for d, m in near if d not in exclude}
        if not distance and not every_shift:
            return []
        at = max(trip.requested_for or timezone.now(), timezone.now())
        if every_shift:
            shifts = integrations.shifts_open(fleet_id=trip.fleet_id, at=at)
            refusals = integrations.drivers_eligibility(driver_ids=list({*distance, *(s.driver_id for s in shifts)}))
        else:
            refusals = integrations.drivers_eligibility(driver_ids=list(distance))
            eligible = [d for d, why in refusals.items() if not why]
            shifts = integrations.shifts_open(fleet_id=trip.fleet_id, at=at, driver_ids=eligible)
        vehicles = integrations.vehicles(vehicle_ids=[s.vehicle_id for s in shifts])
        positions = live.store().get(trip.fleet_id, [s.driver_id for s in shifts])
        provider = matrix.provider()
        ranked: list[Assessment] = []
        others: list[Assessment] = []
        for s in shifts:
            current = s.id == trip.shift_id
            others_on_it = [t for t in s.open_trip_ids if t != trip.id]
            load_kg = s.load_weight_kg - (trip.weight_kg if current else 0)  # its own load is not extra
            load_seats = s.load_seats - (trip.seats if current else 0)
            reasons = [partner_reason(r) for r in refusals.get(s.driver_id, ("unknown_driver",))]
            if not (s.pooling or not others_on_it):
                reasons.append("busy with another trip and the shift does not pool")
            if not s.ends_at > at + dt.timedelta(minutes=5):
                reasons.append("the shift ends too soon")
            vehicle_type, registration, spare_kg, spare_seats = "", "", None, None
            if s.vehicle_id not in vehicles:
                reasons.append("the vehicle is not in the fleet's inventory")
            else:
                vehicle_type, capacity, registration = vehicles[s.vehicle_id]
                spare_kg, spare_seats = capacity.weight_kg - load_kg, capacity.seats - load_seats
                if not vehicle_serves_booking(booked=trip.vehicle_type, vehicle=vehicle_type):
                    # only the type the customer booked (trips refuses any other)
                    reasons.append(f"a {vehicle_type}: the trip is booked for a {trip.vehicle_type}")
                elif not load_fits(
                    weight_kg=load_kg + trip.weight_kg,
                    seats=load_seats + trip.seats,
                    capacity_weight_kg=capacity.weight_kg,
                    capacity_seats=capacity.seats,
                ):  # on top of what the shift carries (trips' rule: it refuses any other)
                    reasons.append(
                        f"the load does not fit: {spare_kg} kg and {spare_seats} seats spare, "
                        f"the trip needs {trip.weight_kg} kg and {trip.seats} seats"
                    )
            hard = bool(reasons)  # the rules; what follows is only the matcher's preference
            here = positions.get(s.driver_id)
            straight = distance.get(s.driver_id)
            if here is None:
                reasons.append("no live position")
            elif s.driver_id in exclude:
                reasons.append("already offered it")
            elif straight is None:
                straight = haversine_m(here.lat, here.lng, pickup.lat, pickup.lng)
                reasons.append(f"not among the {self.limit} nearest drivers within {self.radius_m / 1000:g} km")
            travel = None
            if not reasons and here is not None:
                travel = provider.matrix(
                    [(here.lat, here.lng), (pickup.lat, pickup.lng)], vehicle_type=vehicle_type
                ).duration_s[0][1]
            judged = Assessment(
                s.driver_id,
                s.id,
                s.vehicle_id,
                vehicle_type,
                registration,
                not reasons,
                tuple(reasons),
                straight,
                travel,
                spare_kg,
                spare_seats,
                current,
                assignable=not hard,
            )
            (ranked if not reasons else others).append(judged)
        ranked.sort(key=lambda a: (a.travel_s, a.distance_m))
        cut = [
            dataclasses.replace(a, eligible=False, reasons=(f"ranked below the best {self.limit}",))
            for a in ranked[self.limit :]
        ]
        ranked = [dataclasses.replace(a, rank=i) for i, a in enumerate(ranked[: self.limit], start=1)]
        if not every_shift:
            return ranked
        others.sort(key=lambda a: (a.distance_m is None, a.distance_m or 0.0))
        return ranked + cut + others


def strategy() -> MatchingStrategy:
    return import_string(settings.DISPATCH_MATCHING_STRATEGY)()
