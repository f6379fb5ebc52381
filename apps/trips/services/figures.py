"""The overview's daily figures, kept by the writes that change them so reading a period costs a row per day
whatever the history: a trip's end counts it on its fleet's day (TripDay; DriverDay for the trip's driver), a
shift's end counts its time on shift and on trips. `figures_rebuild` recomputes both tables from trips, stops and
shifts with the same rules (domain.stop_punctuality, domain.seconds_on_trips)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, models
from django.db.models import F

from apps.trips import domain, integrations
from apps.trips.contracts import TERMINAL_STATUSES, TripStatus
from apps.trips.models import DriverDay, Shift, Stop, Trip, TripDay
from logitrack.db import contexts
from logitrack.formatting import zone

STOP_FIELDS = ("trip_id", "status", "window_end", "arrived_at", "finished_at")
REBUILD_BATCH = 5000


def local_day(moment: dt.datetime, time_zone: str) -> dt.date:
    return moment.astimezone(zone(time_zone)).date()


def trip_day(trip: Trip, time_zone: str) -> dt.date:
    """The trip's day: the local date it was wanted (requested for, else booked); models.WANTED_AT in SQL."""
    return local_day(trip.requested_for or trip.created_at, time_zone)


def trip_ended(trip: Trip) -> None:
    """Count a trip that has just ended (in the transaction that ended it, its stops already closed)."""
    time_zone = integrations.fleet_time_zones(fleet_ids=[trip.fleet_id])[trip.fleet_id]
    day = trip_day(trip, time_zone)
    stops = Stop.objects.filter(trip_id=trip.id).only(*STOP_FIELDS)
    counted, on_time = domain.stop_punctuality(status=trip.status, ended_at=trip.ended_at, stops=stops)
    _add(
        TripDay,
        {"fleet_id": trip.fleet_id, "day": day},
        {str(trip.status): 1, "stops_windowed": counted, "stops_on_time": on_time},
    )
    if trip.status == TripStatus.COMPLETED and trip.driver_id and trip.vehicle_id:
        key = {"fleet_id": trip.fleet_id, "day": day, "driver_id": trip.driver_id, "vehicle_id": trip.vehicle_id}
        _add(DriverDay, key, {"trips_completed": 1})


def shift_ended(shift: Shift) -> None:
    """Count an ended shift's time on shift and on trips, on the local day it began (its trips have all ended:
    shift_end refuses before)."""
    assert shift.started_at is not None and shift.ended_at is not None  # only a started shift ends
    time_zone = integrations.fleet_time_zones(fleet_ids=[shift.fleet_id])[shift.fleet_id]
    spans = shift.trips.values_list("started_at", "ended_at")
    _add(
        DriverDay,
        {
            "fleet_id": shift.fleet_id,
            "day": local_day(shift.started_at, time_zone),
            "driver_id": shift.driver_id,
            "vehicle_id": shift.vehicle_id,
        },
        {
            "on_shift_s": int((shift.ended_at - shift.started_at).total_seconds()),
            "on_trip_s": domain.seconds_on_trips(shift_start=shift.started_at, shift_end=shift.ended_at, trips=spans),
        },
    )


def _add(model: type[models.Model], key: dict, amounts: dict) -> None:
    """Add `amounts` to the row `key` names, creating it: one UPDATE ... SET x = x + n, so concurrent writers
    never lose a count; the row's first writer inserts it (a racing insert becomes an update)."""
    amounts = {field: n for field, n in amounts.items() if n}
    if not amounts:
        return
    changes = {field: F(field) + n for field, n in amounts.items()}
    manager = model._default_manager
    if manager.filter(**key).update(**changes):
        return
    try:
        with contexts.atomic("trips"):
            manager.create(**key, **amounts)
    except IntegrityError:  # another transaction inserted the row first
        manager.filter(**key).update(**changes)


# ---- rebuild ----------------------------------------------------------------------------------------------------


@contexts.atomic("trips")
def figures_rebuild(*, fleet_ids: Iterable[uuid.UUID] | None = None) -> tuple[int, int]:
    """Recompute TripDay and DriverDay of these fleets (every fleet with trips or shifts when None) from the raw
    rows, replacing what was kept; returns (trip days, driver days) written. For a repair or after an import: the
    running counts need no rebuild."""
    if fleet_ids is None:
        fleet_ids = set(Trip.objects.values_list("fleet_id", flat=True).distinct()) | set(
            Shift.objects.values_list("fleet_id", flat=True).distinct()
        )
    fleet_ids = sorted(set(fleet_ids))
    zones = integrations.fleet_time_zones(fleet_ids=fleet_ids)
    TripDay.objects.filter(fleet_id__in=fleet_ids).delete()
    DriverDay.objects.filter(fleet_id__in=fleet_ids).delete()
    trip_days: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    driver_days: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for fleet_id in fleet_ids:
        _count_trips(fleet_id, zones[fleet_id], trip_days, driver_days)
        _count_shifts(fleet_id, zones[fleet_id], driver_days)
    TripDay.objects.bulk_create(
        [TripDay(fleet_id=f, day=d, **counts) for (f, d), counts in trip_days.items()], batch_size=REBUILD_BATCH
    )
    DriverDay.objects.bulk_create(
        [
            DriverDay(fleet_id=f, day=d, driver_id=r, vehicle_id=v, **counts)
            for (f, d, r, v), counts in driver_days.items()
        ],
        batch_size=REBUILD_BATCH,
    )
    return len(trip_days), len(driver_days)


def _count_trips(fleet_id: uuid.UUID, time_zone: str, trip_days: dict, driver_days: dict) -> None:
    ended = (
        Trip.objects.filter(fleet_id=fleet_id, status__in=TERMINAL_STATUSES)
        .only("id", "fleet_id", "status", "requested_for", "created_at", "ended_at", "driver_id", "vehicle_id")
        .order_by("id")
    )
    batch: list[Trip] = []
    for trip in ended.iterator(chunk_size=REBUILD_BATCH):
        batch.append(trip)
        if len(batch) == REBUILD_BATCH:
            _count_batch(batch, time_zone, trip_days, driver_days)
            batch = []
    _count_batch(batch, time_zone, trip_days, driver_days)


def _count_batch(trips: list[Trip], time_zone: str, trip_days: dict, driver_days: dict) -> None:
    stops: dict[uuid.UUID, list[Stop]] = defaultdict(list)
    for stop in Stop.objects.filter(trip_id__in=[t.id for t in trips]).only(*STOP_FIELDS):
        stops[stop.trip_id].append(stop)
    for trip in trips:
        day = trip_day(trip, time_zone)
        counted, on_time = domain.stop_punctuality(status=trip.status, ended_at=trip.ended_at, stops=stops[trip.id])
        row = trip_days[(trip.fleet_id, day)]
        row[str(trip.status)] += 1
        row["stops_windowed"] += counted
        row["stops_on_time"] += on_time
        if trip.status == TripStatus.COMPLETED and trip.driver_id and trip.vehicle_id:
            driver_days[(trip.fleet_id, day, trip.driver_id, trip.vehicle_id)]["trips_completed"] += 1


def _count_shifts(fleet_id: uuid.UUID, time_zone: str, driver_days: dict) -> None:
    ended = Shift.objects.filter(fleet_id=fleet_id, status=Shift.Status.ENDED, started_at__isnull=False).order_by("id")
    batch: list[Shift] = []
    for shift in ended.iterator(chunk_size=REBUILD_BATCH):
        batch.append(shift)
        if len(batch) == REBUILD_BATCH:
            _count_shift_batch(batch, time_zone, driver_days)
            batch = []
    _count_shift_batch(batch, time_zone, driver_days)


def _count_shift_batch(shifts: list[Shift], time_zone: str, driver_days: dict) -> None:
    spans: dict[uuid.UUID, list[tuple]] = defaultdict(list)
    rows = Trip.objects.filter(shift_id__in=[s.id for s in shifts]).values_list("shift_id", "started_at", "ended_at")
    for shift_id, started, ended in rows:
        spans[shift_id].append((started, ended))
    for shift in shifts:
        assert shift.started_at is not None and shift.ended_at is not None  # an ended shift had started
        row = driver_days[(shift.fleet_id, local_day(shift.started_at, time_zone), shift.driver_id, shift.vehicle_id)]
        row["on_shift_s"] += int((shift.ended_at - shift.started_at).total_seconds())
        row["on_trip_s"] += domain.seconds_on_trips(
            shift_start=shift.started_at, shift_end=shift.ended_at, trips=spans[shift.id]
        )
