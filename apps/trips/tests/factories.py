"""Test data for trips, shared by any context's tests."""

import datetime as dt
import uuid

from django.utils import timezone

from apps.trips.models import Shift
from apps.trips.services import shifts


def shift_under_way(*, fleet_id: uuid.UUID, driver_id: uuid.UUID, vehicle_id: uuid.UUID, hours: int = 7) -> Shift:
    """A shift planned through the service that began an hour ago and runs `hours` more: open for work now."""
    now = timezone.now()
    return shifts.shift_plan(
        fleet_id=fleet_id,
        driver_id=driver_id,
        vehicle_id=vehicle_id,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=hours),
        planned_by_id=None,
    )
