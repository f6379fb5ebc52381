"""Shifts: a driver with a vehicle for a window, planned, started, ended or cancelled."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from apps.trips import integrations
from apps.trips.contracts import TERMINAL_STATUSES, IllegalTransition, InvalidTrip, ShiftOverlap
from apps.trips.models import Shift
from apps.trips.services import figures
from logitrack.db import contexts


@contexts.atomic("trips")
def shift_plan(
    *,
    fleet_id: uuid.UUID,
    driver_id: uuid.UUID,
    vehicle_id: uuid.UUID,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    planned_by_id: uuid.UUID | None,
    pooling: bool = False,
) -> Shift:
    """A driver with a vehicle for a window: the driver eligible for it, the vehicle assignable for all of it,
    neither already on a shift then (the database refuses overlaps even if this check is raced)."""
    if ends_at <= starts_at:
        raise InvalidTrip("a shift ends after it starts", extra={"errors": {"ends_at": ["Not after starts_at."]}})
    if ends_at - starts_at > dt.timedelta(hours=16):
        raise InvalidTrip("a shift lasts at most 16 hours", extra={"errors": {"ends_at": ["Too long."]}})
    problems = integrations.shift_problems(
        fleet_id=fleet_id, driver_id=driver_id, vehicle_id=vehicle_id, starts_at=starts_at, ends_at=ends_at
    )
    if problems:
        raise IllegalTransition(
            "the driver or vehicle cannot work this shift", code="trips.shift_not_possible", extra={"reasons": problems}
        )
    overlapping = Shift.objects.exclude(status=Shift.Status.CANCELLED).filter(
        starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if overlapping.filter(Q(driver_id=driver_id) | Q(vehicle_id=vehicle_id)).exists():
        raise ShiftOverlap("the driver or the vehicle already has a shift in that window")
    try:
        with contexts.atomic("trips"):
            return Shift.objects.create(
                fleet_id=fleet_id,
                driver_id=driver_id,
                vehicle_id=vehicle_id,
                starts_at=starts_at,
                ends_at=ends_at,
                pooling=pooling,
                planned_by_id=planned_by_id,
            )
    except IntegrityError:  # a concurrent plan won the race; the exclusion constraint said no
        raise ShiftOverlap("the driver or the vehicle already has a shift in that window") from None


@contexts.atomic("trips")
def shift_start(*, shift_id: uuid.UUID, odometer_km: Decimal) -> Shift:
    shift = Shift.objects.select_for_update().get(id=shift_id)
    if shift.status != Shift.Status.PLANNED:
        raise IllegalTransition(f"a shift that is {shift.status} cannot start", code="trips.shift_illegal_transition")
    if timezone.now() < shift.starts_at - dt.timedelta(minutes=30):
        raise IllegalTransition("the shift starts later (at most 30 minutes early)", code="trips.shift_too_early")
    shift.status, shift.started_at, shift.odometer_start_km = Shift.Status.STARTED, timezone.now(), odometer_km
    shift.save(update_fields=["status", "started_at", "odometer_start_km", "updated_at"])
    return shift


@contexts.atomic("trips")
def shift_end(*, shift_id: uuid.UUID, odometer_km: Decimal) -> Shift:
    shift = Shift.objects.select_for_update().get(id=shift_id)
    if shift.status != Shift.Status.STARTED:
        raise IllegalTransition(f"a shift that is {shift.status} cannot end", code="trips.shift_illegal_transition")
    if shift.odometer_start_km is not None and odometer_km < shift.odometer_start_km:
        raise InvalidTrip(
            "the odometer cannot go backwards", extra={"errors": {"odometer_km": ["Below the start reading."]}}
        )
    if shift.trips.exclude(status__in=TERMINAL_STATUSES).exists():
        raise IllegalTransition("finish or hand over the shift's trips first", code="trips.shift_has_open_trips")
    shift.status, shift.ended_at, shift.odometer_end_km = Shift.Status.ENDED, timezone.now(), odometer_km
    shift.save(update_fields=["status", "ended_at", "odometer_end_km", "updated_at"])
    figures.shift_ended(shift)  # the overview's time on shift and on trips, in this transaction
    return shift


@contexts.atomic("trips")
def shift_cancel(*, shift_id: uuid.UUID) -> Shift:
    shift = Shift.objects.select_for_update().get(id=shift_id)
    if shift.status != Shift.Status.PLANNED or shift.trips.exclude(status__in=TERMINAL_STATUSES).exists():
        raise IllegalTransition(
            "only a planned shift without open trips can be cancelled", code="trips.shift_illegal_transition"
        )
    shift.status = Shift.Status.CANCELLED
    shift.save(update_fields=["status", "updated_at"])
    return shift
