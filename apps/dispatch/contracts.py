"""Framework-free types the dispatch context shares: frozen dataclasses, enums, error types."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Sequence
from typing import Protocol

from logitrack.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed


@dataclasses.dataclass(frozen=True, kw_only=True)
class Ping:
    """One position fix from a driver app. `ping_id` is chosen by the app and makes retries harmless."""

    ping_id: uuid.UUID
    lat: float
    lng: float
    recorded_at: dt.datetime
    accuracy_m: float | None = None
    heading: float | None = None  # degrees clockwise from north
    speed_mps: float | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class LivePosition:
    """Where a driver is now, as the live map shows it."""

    driver_id: uuid.UUID
    fleet_id: uuid.UUID
    lat: float
    lng: float
    recorded_at: dt.datetime
    heading: float | None = None
    speed_mps: float | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class PingOutcome:
    """What became of a batch: which pings were new, which were repeats, which moved the live map."""

    stored: tuple[uuid.UUID, ...]
    duplicates: tuple[uuid.UUID, ...]
    moved: tuple[LivePosition, ...]


class StopView(Protocol):
    """A stop as dispatch reads it (trips' StopSnapshot in events, StopRef from its api)."""

    @property
    def sequence(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lng(self) -> float: ...
    @property
    def window_start(self) -> dt.datetime | None: ...
    @property
    def window_end(self) -> dt.datetime | None: ...
    @property
    def arrived_at(self) -> dt.datetime | None: ...


class TripView(Protocol):
    """What dispatch needs of a trip (screens' cards, driver pushes, matching): trips' TripSnapshot, which its V2
    events carry, or a TripRef from its api (board snapshots, plans) both have it."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def fleet_id(self) -> uuid.UUID: ...
    @property
    def status(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def vehicle_type(self) -> str: ...
    @property
    def weight_kg(self) -> int: ...
    @property
    def seats(self) -> int: ...
    @property
    def driver_id(self) -> uuid.UUID | None: ...
    @property
    def customer_id(self) -> uuid.UUID | None: ...
    @property
    def vehicle_id(self) -> uuid.UUID | None: ...
    @property
    def shift_id(self) -> uuid.UUID | None: ...
    @property
    def requested_for(self) -> dt.datetime | None: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def stops(self) -> Sequence[StopView]: ...


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PlanStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"


class InvalidPing(ValidationFailed):
    code = "dispatch.invalid_ping"


class NotOnDuty(Conflict):
    code = "dispatch.not_on_duty"


class NotYourDriver(PermissionDenied):
    code = "dispatch.not_your_driver"


class NotADriver(PermissionDenied):
    code = "dispatch.not_a_driver"


class FleetDriverNotFound(NotFound):
    """The caller drives for no fleet by that id: another fleet's id answers as if there were no such fleet."""

    code = "dispatch.driver_not_found"


class JobNotFound(NotFound):
    code = "dispatch.job_not_found"


class UnknownFleet(NotFound):
    code = "fleet.not_found"


class PlanNotFound(NotFound):
    code = "dispatch.plan_not_found"


class PlanNotAcceptable(Conflict):
    code = "dispatch.plan_not_acceptable"


class TripNotFound(NotFound):
    """No trip by that id that the caller may see (another fleet's trip answers the same)."""

    code = "dispatch.trip_not_found"


class TripEnded(Conflict):
    code = "dispatch.trip_ended"
