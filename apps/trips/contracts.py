"""Framework-free types the trips context shares: frozen dataclasses, enums, error types."""

from __future__ import annotations

import enum

from logitrack.exceptions import Conflict, NotFound, ValidationFailed


class CancelledBy(enum.StrEnum):
    CUSTOMER = "customer"
    DISPATCHER = "dispatcher"
    DRIVER = "driver"
    SYSTEM = "system"


class TripStatus(enum.StrEnum):
    REQUESTED = "requested"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"  # driver on the way to the first pickup
    AT_PICKUP = "at_pickup"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


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
