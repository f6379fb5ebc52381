"""Assigning a trip to a shift (and taking it back), and the one check of whether a shift can take a trip (offers
ask it too)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from apps.trips import domain, integrations
from apps.trips.contracts import (
    TERMINAL_STATUSES,
    ActorRole,
    IllegalTransition,
    InvalidTrip,
    TripStatus,
    VehicleTypeMismatch,
    load_fits,
    vehicle_serves_booking,
)
from apps.trips.events import TripAssignedV1, TripAssignedV2, TripStatusChangedV1, TripStatusChangedV2
from apps.trips.models import Offer, Shift, Trip
from apps.trips.services import lifecycle
from apps.trips.services._common import locked, snapshot, timeline_add, versioned_save
from logitrack.db import contexts
from logitrack.outbox.api import publish


@contexts.atomic("trips")
def trip_assign(
    *,
    trip_id: uuid.UUID,
    shift_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    expected_version: int | None = None,
    reason: str = "",
    sequenced: bool = False,
    role: ActorRole = ActorRole.DISPATCHER,
) -> Trip:
    """Put the trip on a shift: its driver must still be eligible, and the vehicle must carry this trip's load
    on top of everything else open on the shift — unless `sequenced`: a route plan has put the shift's trips one
    after another so that the van never carries more than it can at any moment; then this trip must fit alone."""
    trip = locked(trip_id, expected_version)
    if trip.status not in domain.ASSIGNABLE:
        raise IllegalTransition(
            f"a trip that is {trip.status} cannot be (re)assigned", extra={"current_status": trip.status}
        )
    reassigned = trip.status == TripStatus.ASSIGNED
    previous_driver_id = trip.driver_id if reassigned else None
    if reassigned and not reason.strip():
        raise InvalidTrip("say why the trip is reassigned", extra={"errors": {"reason": ["Required to reassign."]}})
    shift = shift_that_fits(trip, shift_id, sequenced=sequenced)
    old = trip.status
    trip.shift, trip.driver_id, trip.vehicle_id, trip.status = (
        shift,
        shift.driver_id,
        shift.vehicle_id,
        TripStatus.ASSIGNED,
    )
    versioned_save(trip, "shift", "driver_id", "vehicle_id", "status")
    timeline_add(
        trip,
        action="reassign" if reassigned else "assign",
        old=old,
        actor_id=actor_id,
        role=role,  # a dispatcher, or the driver who took an offer
        reason=reason,
    )
    publish(
        TripAssignedV1(
            trip_id=trip.id,
            fleet_id=trip.fleet_id,
            driver_id=shift.driver_id,
            vehicle_id=shift.vehicle_id,
            reassigned=reassigned,
            reason=reason,
        )
    )
    now_snapshot = snapshot(trip)
    publish(
        TripAssignedV2(
            reassigned=reassigned,
            reason=reason,
            previous_driver_id=previous_driver_id,
            trip=now_snapshot,
            by_driver=role == ActorRole.DRIVER,
        )
    )
    if old != trip.status:
        publish(
            TripStatusChangedV1(
                trip_id=trip.id,
                fleet_id=trip.fleet_id,
                old_status=TripStatus(old),
                new_status=TripStatus.ASSIGNED,
                version=trip.version,
                driver_id=shift.driver_id,
            )
        )
        publish(TripStatusChangedV2(old_status=TripStatus(old), new_status=TripStatus.ASSIGNED, trip=now_snapshot))
    trip.offers.filter(status=Offer.Status.PENDING).update(status=Offer.Status.WITHDRAWN, answered_at=timezone.now())
    return trip


def trip_unassign(
    *, trip_id: uuid.UUID, actor_id: uuid.UUID | None, reason: str, expected_version: int | None = None
) -> Trip:
    """A dispatcher takes the trip back from its driver before the goods are on board: it is requested again, off
    its shift, with the reason on its timeline and in its status events (domain.ACTIONS["unassign"] says from
    where). Dispatch flags it for a dispatcher rather than offering it again on its own."""
    return lifecycle.trip_transition(
        trip_id=trip_id,
        action="unassign",
        actor_id=actor_id,
        role=ActorRole.DISPATCHER,
        expected_version=expected_version,
        reason=reason,
    )


def shift_that_fits(trip: Trip, shift_id: uuid.UUID, *, sequenced: bool = False) -> Shift:
    """The open shift of the trip's fleet whose driver may take the trip and whose vehicle can carry it now."""
    shift = Shift.objects.select_for_update().filter(id=shift_id, fleet_id=trip.fleet_id).first()
    if shift is None or shift.status not in (Shift.Status.PLANNED, Shift.Status.STARTED):
        raise IllegalTransition("no open shift with that id in this fleet", code="trips.shift_not_open")
    when = trip.requested_for or timezone.now()
    if not shift.starts_at - dt.timedelta(minutes=30) <= when <= shift.ends_at:
        raise IllegalTransition("the trip falls outside the shift", code="trips.outside_shift")
    vehicle_type, capacity, licence = integrations.vehicle_capacity(vehicle_id=shift.vehicle_id)
    if not vehicle_serves_booking(booked=trip.vehicle_type, vehicle=vehicle_type):
        raise VehicleTypeMismatch(
            f"the trip was booked for a {trip.vehicle_type}; the shift's vehicle is a {vehicle_type}",
            extra={"booked_vehicle_type": trip.vehicle_type, "vehicle_type": vehicle_type},
        )
    on_board = shift.trips.exclude(status__in=TERMINAL_STATUSES).exclude(id=trip.id)
    if sequenced:
        on_board = on_board.none()
    weight = sum(t.weight_kg for t in on_board) + trip.weight_kg
    seats = sum(t.seats for t in on_board) + trip.seats
    if not load_fits(
        weight_kg=weight, seats=seats, capacity_weight_kg=capacity.weight_kg, capacity_seats=capacity.seats
    ):
        raise IllegalTransition(
            "the shift's vehicle cannot carry this on top of its other trips",
            code="trips.over_capacity",
            extra={
                "weight_kg": weight,
                "capacity_kg": capacity.weight_kg,
                "seats": seats,
                "capacity_seats": capacity.seats,
            },
        )
    problems = integrations.driver_problems(driver_id=shift.driver_id, licence_class=licence)
    if problems:
        raise IllegalTransition(
            "the shift's driver cannot take this trip", code="trips.not_assignable", extra={"reasons": list(problems)}
        )
    return shift
