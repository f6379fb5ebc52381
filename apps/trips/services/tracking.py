"""The live estimate dispatch keeps on a trip for its tracking page (telemetry, not versioned state)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Q

from apps.trips import feed
from apps.trips.contracts import TERMINAL_STATUSES
from apps.trips.models import Trip


def tracking_update(
    *, trip_id: uuid.UUID, at: dt.datetime, eta: dt.datetime | None, lat: float | None, lng: float | None
) -> bool:
    """Store dispatch's latest estimate for the tracking page. It is telemetry, not trip state: the version
    stays, and an estimate older than the one held changes nothing (so it never moves back in time)."""
    fresher = Q(tracking_at__isnull=True) | Q(tracking_at__lt=at)
    changed = (
        Trip.objects.filter(fresher, id=trip_id)
        .exclude(status__in=TERMINAL_STATUSES)
        .update(eta_at=eta, tracking_lat=lat, tracking_lng=lng, tracking_at=at)
    )
    if changed:
        feed.tracking_changed(trip_id)  # the open tracking pages, on commit
    return bool(changed)
