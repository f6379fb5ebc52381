"""The live estimate dispatch keeps on a trip for its tracking page (telemetry, not versioned state), and the one
moment of it customers are told about: the estimate to the next stop first dropping under a threshold."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db.models import Q

from apps.trips import feed
from apps.trips.contracts import TERMINAL_STATUSES, StopStatus
from apps.trips.events import TripArrivingV1
from apps.trips.models import Trip
from apps.trips.services._common import snapshot
from logitrack.db import contexts
from logitrack.outbox.api import publish


def tracking_update(
    *, trip_id: uuid.UUID, at: dt.datetime, eta: dt.datetime | None, lat: float | None, lng: float | None
) -> bool:
    """Store dispatch's latest estimate for the tracking page. It is telemetry, not trip state: the version
    stays, and an estimate older than the one held changes nothing (so it never moves back in time). When the
    estimate to the next stop is under TRIPS_ARRIVING_SOON_MINUTES for the first time, TripArrivingV1 (once per
    stop: the stop is recorded in the same transaction as the event)."""
    fresher = Q(tracking_at__isnull=True) | Q(tracking_at__lt=at)
    with contexts.atomic("trips"):
        changed = (
            Trip.objects.filter(fresher, id=trip_id)
            .exclude(status__in=TERMINAL_STATUSES)
            .update(eta_at=eta, tracking_lat=lat, tracking_lng=lng, tracking_at=at)
        )
        if changed and eta is not None and eta - at <= dt.timedelta(minutes=settings.TRIPS_ARRIVING_SOON_MINUTES):
            _announce_arrival(trip_id=trip_id, eta=eta)
        if changed:
            feed.tracking_changed(trip_id)  # the open tracking pages, on commit
    return bool(changed)


def _announce_arrival(*, trip_id: uuid.UUID, eta: dt.datetime) -> None:
    trip = Trip.objects.get(id=trip_id)
    stops = list(trip.stops.order_by("sequence"))
    upcoming = next((s for s in stops if s.status in (StopStatus.PENDING, StopStatus.ARRIVED)), None)
    if upcoming is None or upcoming.status != StopStatus.PENDING:
        return
    if trip.arriving_sequence is not None and trip.arriving_sequence >= upcoming.sequence:
        return  # told already: every later estimate for this stop costs two reads and no write
    claimed = (
        Trip.objects.filter(id=trip_id)
        .filter(Q(arriving_sequence__isnull=True) | Q(arriving_sequence__lt=upcoming.sequence))
        .update(arriving_sequence=upcoming.sequence)
    )
    if claimed:  # a concurrent estimate for the same stop updates nothing here and publishes nothing
        trip.arriving_sequence = upcoming.sequence
        publish(TripArrivingV1(stop_sequence=upcoming.sequence, eta=eta, trip=snapshot(trip, stops=stops)))
