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
from apps.trips.contracts import load_fits, vehicle_serves_booking


@dataclasses.dataclass(frozen=True)
class Candidate:
    driver_id: uuid.UUID
    shift_id: uuid.UUID
    vehicle_id: uuid.UUID
    distance_m: float  # straight line to the first pickup
    travel_s: int  # estimated by the matrix provider


class MatchingStrategy(Protocol):
    def candidates(self, trip: TripView, *, exclude: set[uuid.UUID]) -> list[Candidate]:
        """Drivers to offer the trip to, best first; never one in `exclude`. `trip` as the event that asks for
        it says it is (trips' TripSnapshot), or a TripRef: the strategy never reads it back."""


class NearestEligibleDriver:
    """On duty and compliant (partner), on an open shift whose vehicle is of the booked type and can carry the
    load on top of what it carries (trips, fleet), not busy unless the shift pools; nearest by GEOSEARCH, then
    by travel time."""

    def __init__(self, radius_m: float | None = None, limit: int | None = None) -> None:
        self.radius_m = radius_m or settings.DISPATCH_SEARCH_RADIUS_M
        self.limit = limit or settings.DISPATCH_CANDIDATES

    def candidates(self, trip: TripView, *, exclude: set[uuid.UUID]) -> list[Candidate]:
        pickup = trip.stops[0]
        near = live.store().nearest(
            trip.fleet_id, lat=pickup.lat, lng=pickup.lng, radius_m=self.radius_m, count=self.limit + len(exclude)
        )
        distance = {d: m for d, m in near if d not in exclude}
        if not distance:
            return []
        eligible = integrations.eligible_driver_ids(driver_ids=list(distance))
        at = max(trip.requested_for or timezone.now(), timezone.now())
        shifts = [
            s
            for s in integrations.shifts_open(fleet_id=trip.fleet_id, at=at, driver_ids=list(eligible))
            if (s.pooling or not s.open_trip_ids) and s.ends_at > at + dt.timedelta(minutes=5)
        ]
        vehicles = integrations.vehicles(vehicle_ids=[s.vehicle_id for s in shifts])
        fitting = []
        for s in shifts:
            if s.vehicle_id not in vehicles:
                continue
            vehicle_type, capacity, _ = vehicles[s.vehicle_id]
            if not vehicle_serves_booking(booked=trip.vehicle_type, vehicle=vehicle_type):
                continue  # only the type the customer booked (trips refuses any other)
            if load_fits(
                weight_kg=s.load_weight_kg + trip.weight_kg,
                seats=s.load_seats + trip.seats,
                capacity_weight_kg=capacity.weight_kg,
                capacity_seats=capacity.seats,
            ):  # on top of what the shift carries (trips' rule: it refuses any other)
                fitting.append(s)
        positions = live.store().get(trip.fleet_id, [s.driver_id for s in fitting])
        provider = matrix.provider()
        ranked = []
        for s in fitting:
            if s.driver_id not in positions:
                continue
            here = positions[s.driver_id]
            travel = provider.matrix(
                [(here.lat, here.lng), (pickup.lat, pickup.lng)], vehicle_type=vehicles[s.vehicle_id][0]
            ).duration_s[0][1]
            ranked.append(Candidate(s.driver_id, s.id, s.vehicle_id, distance[s.driver_id], travel))
        ranked.sort(key=lambda c: (c.travel_s, c.distance_m))
        return ranked[: self.limit]


def strategy() -> MatchingStrategy:
    return import_string(settings.DISPATCH_MATCHING_STRATEGY)()
