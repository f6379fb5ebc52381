"""Integration events the trips context publishes (versioned; see logitrack.events)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from apps.trips.contracts import CancelledBy, StopKind, StopLoad, StopStatus, TripStatus
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
    reason: str = ""  # why a dispatcher took the trip back from its driver (unassign: assigned… -> requested)


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


# ---- V2: every trip event carries the trip as it is after the change ---------------------------------------
# Subscribers (screens, matching, billing, notifications) learn *what* changed from the event itself instead of
# calling trips back (openedx-events ADR 0016). V1 stays published beside V2 until its subscribers have moved;
# a breaking change to TripSnapshot or StopSnapshot is a V3 of every event that carries them.


@dataclasses.dataclass(frozen=True, kw_only=True)
class StopSnapshot:
    sequence: int
    kind: StopKind
    status: StopStatus
    address: str
    lat: float
    lng: float
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    service_minutes: int
    arrived_at: dt.datetime | None
    finished_at: dt.datetime | None
    # what comes off at this drop-off, when the booking said (None: not declared, as every stop before it existed)
    unload: StopLoad | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripSnapshot:
    """A trip as every subscriber may see it: where it goes and when, what it carries, who has it, its version
    (apply a snapshot only if it is newer than the one held) and the live ETA to its next stop. Ids only for
    people: names and contacts are looked up by those allowed to see them, so the outbox keeps no personal data
    beyond the stops' addresses."""

    id: uuid.UUID
    fleet_id: uuid.UUID
    status: TripStatus
    version: int
    vehicle_type: str
    service: str
    requested_for: dt.datetime | None
    created_at: dt.datetime
    weight_kg: int
    volume_m3: float
    parcels: int
    seats: int
    customer_id: uuid.UUID | None
    quote_id: uuid.UUID | None
    shift_id: uuid.UUID | None
    driver_id: uuid.UUID | None
    vehicle_id: uuid.UUID | None
    eta_at: dt.datetime | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    stops: tuple[StopSnapshot, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripRequestedV2(IntegrationEvent):
    """A trip was booked and waits for a driver."""

    TYPE = "logitrack.trips.trip.requested.v2"

    trip: TripSnapshot


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripOfferedV2(IntegrationEvent):
    """A trip is offered to a shift's driver, who must answer before `expires_at`."""

    TYPE = "logitrack.trips.offer.made.v2"

    offer_id: uuid.UUID
    shift_id: uuid.UUID
    driver_id: uuid.UUID
    expires_at: dt.datetime
    trip: TripSnapshot


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripOfferDeclinedV2(IntegrationEvent):
    """An offer was rejected or ran out; `trip` is still requested."""

    TYPE = "logitrack.trips.offer.declined.v2"

    offer_id: uuid.UUID
    driver_id: uuid.UUID
    expired: bool
    reason: str
    trip: TripSnapshot


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripAssignedV2(IntegrationEvent):
    """A trip was put on a shift (or moved to another one: `reassigned`, with the driver who had it)."""

    TYPE = "logitrack.trips.trip.assigned.v2"

    reassigned: bool
    reason: str
    previous_driver_id: uuid.UUID | None
    trip: TripSnapshot
    by_driver: bool = False  # the driver took it (accepted an offer), so they know; else a dispatcher or a plan


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripStatusChangedV2(IntegrationEvent):
    """Every lifecycle step; completed, cancelled and failed also have their own events."""

    TYPE = "logitrack.trips.trip.status_changed.v2"

    old_status: TripStatus
    new_status: TripStatus
    trip: TripSnapshot
    # an unassignment (a dispatcher took the trip back: -> requested): why, and the driver who had it
    reason: str = ""
    previous_driver_id: uuid.UUID | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripCompletedV2(IntegrationEvent):
    """A trip ended with every stop done: the figures billing prices and settles it by."""

    TYPE = "logitrack.trips.trip.completed.v2"

    distance_m: int
    duration_s: int
    waiting_s: int
    trip: TripSnapshot


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripCancelledV2(IntegrationEvent):
    TYPE = "logitrack.trips.trip.cancelled.v2"

    cancelled_by: CancelledBy
    reason: str
    trip: TripSnapshot


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripFailedV2(IntegrationEvent):
    TYPE = "logitrack.trips.trip.failed.v2"

    reason: str
    trip: TripSnapshot


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripArrivingV1(IntegrationEvent):
    """The live ETA to the trip's next stop dropped under TRIPS_ARRIVING_SOON_MINUTES: published once per stop, so
    the customer hears "arriving soon" once, however often the estimate moves after."""

    TYPE = "logitrack.trips.trip.arriving.v1"

    stop_sequence: int
    eta: dt.datetime
    trip: TripSnapshot
