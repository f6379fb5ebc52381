"""Framework-free types the trips context shares: frozen dataclasses, enums, error types."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid

from logitrack.exceptions import Conflict, NotFound, ValidationFailed


class ActorRole(enum.StrEnum):
    """Who moves a trip: the one vocabulary of the lifecycle's actors, its timeline and its events (a person's
    account roles are logitrack.principal.Role; `system` is LogiTrack itself: auto-dispatch, expiry, clean-ups)."""

    CUSTOMER = "customer"
    DISPATCHER = "dispatcher"
    DRIVER = "driver"
    SYSTEM = "system"


CancelledBy = ActorRole  # the name TripCancelledV1 published; the same four values


class TripStatus(enum.StrEnum):
    REQUESTED = "requested"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"  # driver on the way to the first pickup
    AT_PICKUP = "at_pickup"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


TERMINAL_STATUSES = frozenset({TripStatus.COMPLETED, TripStatus.CANCELLED, TripStatus.FAILED})
"""A trip in one of these has ended: it never moves again and no longer occupies a shift or a vehicle."""


class StopKind(enum.StrEnum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"


class StopStatus(enum.StrEnum):
    PENDING = "pending"
    ARRIVED = "arrived"
    DONE = "done"
    FAILED = "failed"


class TripNotFound(NotFound):
    code = "trips.not_found"


class IllegalTransition(Conflict):
    code = "trips.illegal_transition"


class StaleVersion(Conflict):
    """The trip changed since the client read it (If-Match did not match): read it again."""

    code = "trips.stale_version"


class InvalidTrip(ValidationFailed):
    code = "trips.invalid"


class OutsideServiceArea(ValidationFailed):
    code = "trips.outside_service_area"


class LoadTooLarge(ValidationFailed):
    code = "trips.load_too_large"


class ShiftOverlap(Conflict):
    code = "trips.shift_overlap"


class ProofMissing(IllegalTransition):
    """A drop-off lacks the proof its fleet requires, or the trip a PIN drop-off: the request is well-formed
    but the stop's state does not allow it yet (409 wherever it is answered)."""

    code = "trips.proof_missing"


class VehicleTypeMismatch(IllegalTransition):
    """The shift's vehicle is not of the type the trip was booked (and quoted) for."""

    code = "trips.vehicle_type_mismatch"


def vehicle_serves_booking(*, booked: str, vehicle: str) -> bool:
    """The one rule for which vehicle may take a trip: exactly the type booked. Bike, car, van and truck are
    different services (a car carries seats, a bike parcels, a van or truck goods), each with its own tariff,
    not sizes of one: a larger vehicle is not an upgrade (a two-seat ride in a lorry, a bike parcel in a van
    are not what the customer chose and was quoted for). Assignment, offers, matching and route plans ask this."""
    return booked == vehicle


def load_fits(*, weight_kg: int, seats: int, capacity_weight_kg: int, capacity_seats: int) -> bool:
    """The one rule for whether a shift's vehicle can carry a load: everything it carries at once — the trip's
    weight and seats plus those of the shift's other open trips (only the trip's own when a route plan sequences
    them) — within the vehicle's weight and seat capacity. Assignment, offers and matching ask this."""
    return weight_kg <= capacity_weight_kg and seats <= capacity_seats


class ShiftStatus(enum.StrEnum):
    PLANNED = "planned"
    STARTED = "started"
    ENDED = "ended"
    CANCELLED = "cancelled"


@dataclasses.dataclass(frozen=True, kw_only=True)
class StopLoad:
    """What comes off the vehicle at one drop-off, in the trip load's dimensions. Declared at booking on every
    drop-off of a trip or on none; the shares never add up to more than the trip's load, and what they leave comes
    off at the trip's last drop-off."""

    weight_kg: int = 0
    volume_m3: float = 0.0
    parcels: int = 0
    seats: int = 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class StopRef:
    sequence: int
    kind: StopKind
    status: StopStatus
    address: str
    lat: float
    lng: float
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    service_minutes: int
    arrived_at: dt.datetime | None = None  # when the driver got there (dispatch times an arrived stop from it)
    unload: StopLoad | None = None  # a drop-off's declared share of the load (None: not declared)


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripRef:
    """A trip as other contexts see it: where it goes, what it carries, who has it. People by id only (names and
    contacts are looked up by those allowed to see them)."""

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
    shift_id: uuid.UUID | None
    driver_id: uuid.UUID | None
    vehicle_id: uuid.UUID | None
    stops: tuple[StopRef, ...]
    customer_id: uuid.UUID | None = None  # whom the dispatch board names on the card


@dataclasses.dataclass(frozen=True, kw_only=True)
class ShiftRef:
    id: uuid.UUID
    fleet_id: uuid.UUID
    driver_id: uuid.UUID
    vehicle_id: uuid.UUID
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: ShiftStatus
    pooling: bool
    load_weight_kg: int  # what the shift's open trips carry
    load_seats: int
    open_trip_ids: tuple[uuid.UUID, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class OfferRef:
    id: uuid.UUID
    trip_id: uuid.UUID
    shift_id: uuid.UUID
    driver_id: uuid.UUID
    status: str
    expires_at: dt.datetime


# ---- the manager's overview: figures per fleet and local day (services/figures.py keeps them) -----------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripDayFigures:
    """The ended trips of one local day (the fleet's day a trip was wanted: `requested_for`, else when it was
    booked), over the fleets asked for. On time: a stop with a window end, of a completed or failed trip, reached
    (arrived, else finished, else closed by the trip's completion) no later than that end; arriving early is
    waiting, not lateness (the dispatch board's rule). A stop never reached counts as late."""

    day: dt.date
    completed: int
    cancelled: int
    failed: int
    stops_windowed: int
    stops_on_time: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class DriverFigures:
    """One driver over a period: trips completed (by the trips' days) and, for shifts that began in the period,
    seconds on shift and on trips (a trip from its start to its end, within its shift). Shifts still running count
    up to now."""

    driver_id: uuid.UUID
    trips_completed: int
    on_trip_s: int
    on_shift_s: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class VehicleFigures:
    vehicle_id: uuid.UUID
    trips_completed: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class StatusCount:
    status: TripStatus
    count: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class EndedTrip:
    """A trip that ended cancelled or failed, with why and who ended it."""

    id: uuid.UUID
    fleet_id: uuid.UUID
    status: TripStatus
    ended_at: dt.datetime
    reason: str
    ended_by: ActorRole | None
    customer_id: uuid.UUID | None
    driver_id: uuid.UUID | None
    pickup_address: str
    dropoff_address: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripFigures:
    """What the overview shows of trips for some fleets: `today` (each fleet's own local day) by status, with the
    open trips wanted on earlier days beside it; drivers and vehicles over the period; the most recent trips of the
    period that ended cancelled or failed. (The period's days: `trip_days`.)"""

    today: dt.date
    today_by_status: tuple[StatusCount, ...]
    open_from_earlier_days: int
    drivers: tuple[DriverFigures, ...]
    vehicles: tuple[VehicleFigures, ...]
    ended_badly: tuple[EndedTrip, ...]


# ---- the manager's reports: one line per ended trip of a bounded period ----------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripReportLine:
    """An ended trip as a report reads it: its fleet's local day (the day it was wanted, as TripDayFigures), who
    drove it in what, its route and its stops counted for on-time (TripDayFigures' rule)."""

    trip_id: uuid.UUID
    reference: str  # what admin pages and messages call the trip
    status: TripStatus
    day: dt.date
    wanted_at: dt.datetime
    customer_id: uuid.UUID | None
    driver_id: uuid.UUID | None
    vehicle_id: uuid.UUID | None
    pickup_address: str
    dropoff_address: str
    stops_windowed: int
    stops_on_time: int


REPORT_MAX_DAYS = 93


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrackingLinkRef:
    """A trip's customer tracking link while it is valid: the token for `/track/<token>/` and when it expires."""

    trip_id: uuid.UUID
    token: str
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProofSummary:
    """What the driver captured at one drop-off, without the files: who took it, whether signed, photo, PIN."""

    sequence: int
    recipient_name: str
    signed: bool
    photo: bool
    pin_verified: bool
    captured_at: dt.datetime
