"""Vehicles: the inventory lists, a vehicle's documents and maintenance, and which vehicles can be assigned
for a window (other contexts, through api.py)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from apps.fleet.contracts import FleetStatus, VehicleDocumentKind, VehicleStatus
from apps.fleet.models import MaintenanceWindow, Vehicle, VehicleDocument
from apps.fleet.selectors import visibility
from logitrack.principal import Principal

REQUIRED_VEHICLE_DOCUMENTS = (VehicleDocumentKind.REGISTRATION, VehicleDocumentKind.INSURANCE)


def vehicle_list(*, principal: Principal) -> QuerySet:
    """The vehicles the principal sees, by registration (filters come from the list's FilterSet)."""
    return visibility.vehicles_visible(principal=principal).select_related("fleet").order_by("registration")


def vehicle_documents(*, vehicle: Vehicle) -> QuerySet:
    return vehicle.documents.order_by("expires_on")


def vehicle_maintenance(*, vehicle: Vehicle) -> QuerySet:
    return vehicle.maintenance_windows.order_by("starts_at")


def _valid_document(kind: VehicleDocumentKind, until: dt.date):
    return Exists(VehicleDocument.objects.filter(vehicle=OuterRef("pk"), kind=kind, expires_on__gte=until))


def vehicles_assignable(*, fleet_id: uuid.UUID, starts_at: dt.datetime, ends_at: dt.datetime) -> QuerySet:
    """Active vehicles of an active fleet, free of maintenance in the window, with registration and
    insurance valid until the window ends."""
    until = timezone.localdate(ends_at) if timezone.is_aware(ends_at) else ends_at.date()
    busy = MaintenanceWindow.objects.filter(vehicle=OuterRef("pk"), starts_at__lt=ends_at, ends_at__gt=starts_at)
    qs = Vehicle.objects.filter(
        fleet_id=fleet_id, fleet__status=FleetStatus.ACTIVE, status=VehicleStatus.ACTIVE
    ).exclude(Exists(busy))
    for kind in REQUIRED_VEHICLE_DOCUMENTS:
        qs = qs.filter(_valid_document(kind, until))
    return qs.order_by("registration")
