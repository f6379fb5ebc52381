"""Integration events the trips context publishes (versioned; see logitrack.events)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from apps.trips.contracts import CancelledBy, TripStatus
from logitrack.events import IntegrationEvent
from logitrack.types import GeoPoint


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripRequestedV1(IntegrationEvent):
    """A trip was booked and waits for a driver (auto-dispatch listens to this)."""

    TYPE = "logitrack.trips.trip.requested.v1"

    trip_id: uuid.UUID
    fleet_id: uuid.UUID
    vehicle_type: str
    service: str
    weight_kg: int
    seats: int
    pickup: GeoPoint
    requested_for: dt.datetime | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripAssignedV1(IntegrationEvent):
    TYPE = "logitrack.trips.trip.assigned.v1"

    trip_id: uuid.UUID
    fleet_id: uuid.UUID
    driver_id: uuid.UUID
    vehicle_id: uuid.UUID
    reassigned: bool = False
    reason: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripStatusChangedV1(IntegrationEvent):
    """Every lifecycle step, for boards and customers; completed/cancelled also have their own events."""

    TYPE = "logitrack.trips.trip.status_changed.v1"

    trip_id: uuid.UUID
    fleet_id: uuid.UUID
    old_status: TripStatus
    new_status: TripStatus
    version: int
    driver_id: uuid.UUID | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripCompletedV1(IntegrationEvent):
    """A trip ended with every stop done or failed: what billing needs to price and settle it."""

    TYPE = "logitrack.trips.trip.completed.v1"

    trip_id: uuid.UUID
    fleet_id: uuid.UUID
    customer_id: uuid.UUID | None
    driver_id: uuid.UUID  # partner's driver profile id
    vehicle_type: str
    service: str
    quote_id: uuid.UUID | None
    distance_m: int
    duration_s: int
    waiting_s: int
    stops: int
    started_at: dt.datetime
    completed_at: dt.datetime
    stop_points: tuple[GeoPoint, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripCancelledV1(IntegrationEvent):
    TYPE = "logitrack.trips.trip.cancelled.v1"

    trip_id: uuid.UUID
    fleet_id: uuid.UUID
    customer_id: uuid.UUID | None
    driver_id: uuid.UUID | None
    quote_id: uuid.UUID | None
    cancelled_by: CancelledBy
    reason: str
    booked_at: dt.datetime
    cancelled_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripFailedV1(IntegrationEvent):
    TYPE = "logitrack.trips.trip.failed.v1"

    trip_id: uuid.UUID
    fleet_id: uuid.UUID
    driver_id: uuid.UUID | None
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripOfferedV1(IntegrationEvent):
    """A trip is offered to a driver, who must answer before `expires_at` (dispatch pushes it to the app)."""

    TYPE = "logitrack.trips.offer.made.v1"

    offer_id: uuid.UUID
    trip_id: uuid.UUID
    fleet_id: uuid.UUID
    driver_id: uuid.UUID
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripOfferDeclinedV1(IntegrationEvent):
    """An offer was rejected, or ran out: auto-dispatch offers the trip to the next candidate."""

    TYPE = "logitrack.trips.offer.declined.v1"

    offer_id: uuid.UUID
    trip_id: uuid.UUID
    fleet_id: uuid.UUID
    driver_id: uuid.UUID
    expired: bool
    reason: str = ""
