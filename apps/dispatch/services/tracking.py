"""Customers' tracking pages: the live ETA and rough position of the trips of drivers who moved."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from apps.dispatch import integrations, live, matrix
from apps.dispatch.contracts import LivePosition


def tracking_refresh(*, moved: list[LivePosition]) -> None:
    """Keep the tracking page's ETA and approximate position current, at most every TRACKING_EVERY per driver."""
    due = live.store().claim_each([p.driver_id for p in moved], seconds=settings.DISPATCH_TRACKING_EVERY_SECONDS)
    if not due:
        return
    latest = {p.driver_id: p for p in moved if p.driver_id in due}
    provider = matrix.provider()
    for trip in integrations.trips_moving(driver_ids=list(latest)):
        assert trip.driver_id is not None  # trips_moving returns the trips these drivers hold
        here = latest[trip.driver_id]
        eta = None
        target = next((s for s in trip.stops if s.status in ("pending", "arrived")), None)
        if target is not None:
            travel = provider.matrix(
                [(here.lat, here.lng), (target.lat, target.lng)], vehicle_type=trip.vehicle_type
            ).duration_s[0][1]
            eta = here.recorded_at + dt.timedelta(seconds=travel)
        integrations.tracking_update(trip_id=trip.id, at=here.recorded_at, eta=eta, lat=here.lat, lng=here.lng)
