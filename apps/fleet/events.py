"""Integration events the fleet context publishes (versioned; see logitrack.events)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from apps.fleet.contracts import VehicleDocumentKind, VehicleStatus, VehicleType
from logitrack.events import IntegrationEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class FleetActivatedV1(IntegrationEvent):
    """A fleet may operate: after review, or when reinstated after a suspension."""

    TYPE = "logitrack.fleet.fleet.activated.v1"

    fleet_id: uuid.UUID
    currency: str
    time_zone: str
    reinstated: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class FleetSuspendedV1(IntegrationEvent):
    """A fleet may not operate any more (suspended or closed): stop dispatching its trips."""

    TYPE = "logitrack.fleet.fleet.suspended.v1"

    fleet_id: uuid.UUID
    closed: bool
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class VehicleAddedV1(IntegrationEvent):
    TYPE = "logitrack.fleet.vehicle.added.v1"

    vehicle_id: uuid.UUID
    fleet_id: uuid.UUID
    vehicle_type: VehicleType
    capacity_kg: int
    seats: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class VehicleStatusChangedV1(IntegrationEvent):
    TYPE = "logitrack.fleet.vehicle.status_changed.v1"

    vehicle_id: uuid.UUID
    fleet_id: uuid.UUID
    old_status: VehicleStatus
    new_status: VehicleStatus


@dataclasses.dataclass(frozen=True, kw_only=True)
class VehicleDocumentExpiringV1(IntegrationEvent):
    TYPE = "logitrack.fleet.vehicle_document.expiring.v1"

    document_id: uuid.UUID
    vehicle_id: uuid.UUID
    fleet_id: uuid.UUID
    kind: VehicleDocumentKind
    expires_on: dt.date
    days_left: int = 0  # added compatibly: days until `expires_on` when announced (once per 30 / 7 / 1 threshold)


@dataclasses.dataclass(frozen=True, kw_only=True)
class VehicleDocumentExpiredV1(IntegrationEvent):
    """The vehicle is no longer assignable until a valid document of this kind is added."""

    TYPE = "logitrack.fleet.vehicle_document.expired.v1"

    document_id: uuid.UUID
    vehicle_id: uuid.UUID
    fleet_id: uuid.UUID
    kind: VehicleDocumentKind
    expires_on: dt.date
