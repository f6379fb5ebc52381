"""Maintenance windows: they make a vehicle unavailable, and may not overlap."""

from __future__ import annotations

import datetime as dt
import uuid

from apps.fleet.contracts import InvalidFleetData, MaintenanceOverlap
from apps.fleet.models import MaintenanceWindow, Vehicle
from logitrack.db import contexts


@contexts.atomic("fleet")
def maintenance_schedule(
    *, vehicle_id: uuid.UUID, starts_at: dt.datetime, ends_at: dt.datetime, reason: str = ""
) -> MaintenanceWindow:
    vehicle = Vehicle.objects.select_for_update().get(id=vehicle_id)
    if ends_at <= starts_at:
        raise InvalidFleetData(
            "maintenance must end after it starts", extra={"errors": {"ends_at": ["Not after starts_at."]}}
        )
    if vehicle.maintenance_windows.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise MaintenanceOverlap("this vehicle already has maintenance planned in that window")
    return MaintenanceWindow.objects.create(vehicle=vehicle, starts_at=starts_at, ends_at=ends_at, reason=reason)
