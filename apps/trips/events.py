"""Integration events the trips context publishes (versioned; see logitrack.events).

The completed and cancelled events are declared ahead of the trips app itself because billing
settles from them; their fields are the contract both sides build against.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from apps.trips.contracts import CancelledBy
from logitrack.events import IntegrationEvent
from logitrack.types import GeoPoint


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
