"""Driver availability: a driver's own windows and exceptions, and which drivers can work a window."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from django.utils import timezone

from apps.partner import domain, integrations
from apps.partner.contracts import ComplianceStatus
from apps.partner.models import DriverProfile


def driver_availability(*, driver: DriverProfile) -> dict[str, Any]:
    """The driver app's availability page: weekly windows and one-off exceptions, in order."""
    return {
        "windows": driver.availability.order_by("weekday", "starts"),
        "exceptions": driver.availability_exceptions.order_by("date", "starts"),
    }


def drivers_available(*, fleet_id: uuid.UUID, starts_at: dt.datetime, ends_at: dt.datetime) -> list[DriverProfile]:
    """Compliant, active drivers of the fleet whose availability covers the window (fleet local time)."""
    tz = zoneinfo.ZoneInfo(integrations.fleet_time_zone(fleet_id=fleet_id))
    local_start, local_end = timezone.localtime(starts_at, tz), timezone.localtime(ends_at, tz)
    drivers = (
        DriverProfile.objects.filter(fleet_id=fleet_id, active=True, compliance_status=ComplianceStatus.COMPLIANT)
        .prefetch_related("availability", "availability_exceptions")
        .order_by("display_name", "id")
    )
    found = []
    for driver in drivers:
        weekly = [(w.weekday, w.starts, w.ends) for w in driver.availability.all()]
        exceptions: dict[dt.date, list] = {}
        for ex in driver.availability_exceptions.all():
            exceptions.setdefault(ex.date, []).append((ex.available, ex.starts, ex.ends))
        if domain.window_covered(weekly=weekly, exceptions=exceptions, starts_at=local_start, ends_at=local_end):
            found.append(driver)
    return found
