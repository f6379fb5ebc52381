"""The trip's lifecycle: start, arrive, pick up, complete, cancel, fail, unassign (domain.ACTIONS says who may do
what)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.trips import domain
from apps.trips.contracts import (
    TERMINAL_STATUSES,
    ActorRole,
    IllegalTransition,
    InvalidTrip,
    ProofMissing,
    StopStatus,
    TripStatus,
)
from apps.trips.events import (
    TripCancelledV1,
    TripCancelledV2,
    TripCompletedV1,
    TripCompletedV2,
    TripFailedV1,
    TripFailedV2,
    TripSnapshot,
    TripStatusChangedV1,
    TripStatusChangedV2,
)
from apps.trips.models import Offer, Trip
from apps.trips.services import figures, scrubbing
from apps.trips.services._common import locked, snapshot, timeline_add, versioned_save
from logitrack.db import contexts
from logitrack.outbox.api import publish
from logitrack.types import GeoPoint, road_distance_m

OPEN_STOP = (StopStatus.PENDING, StopStatus.ARRIVED)


def trips_cancel_stale(*, older_than: dt.timedelta) -> int:
    """Cancel trips still unassigned `older_than` after they were wanted, as the system (no fee). The clock runs
    from the later of `requested_for` and `requested_at`: a trip unassigned just now gets its full time again."""
    cutoff = timezone.now() - older_than
    stale = Trip.objects.filter(status=TripStatus.REQUESTED, requested_at__lt=cutoff).filter(
        Q(requested_for__isnull=True) | Q(requested_for__lt=cutoff)
    )
    cancelled = 0
    for trip_id in stale.values_list("id", flat=True):
        try:
            trip_transition(
                trip_id=trip_id, action="cancel", actor_id=None, role=ActorRole.SYSTEM, reason="no driver found in time"
            )
            cancelled += 1
        except IllegalTransition:
            continue  # it moved on meanwhile
    return cancelled


@contexts.atomic("trips")
def trip_transition(
    *,
    trip_id: uuid.UUID,
    action: str,
    actor_id: uuid.UUID | None,
    role: ActorRole,
    expected_version: int | None = None,
    reason: str = "",
    location: GeoPoint | None = None,
    distance_m: int | None = None,
    waiting_s: int = 0,
) -> Trip:
    """Move the trip along its lifecycle. Illegal steps are 409s; a stale version is a 409 too."""
    trip = locked(trip_id, expected_version)
    old = TripStatus(trip.status)
    target = domain.next_status(old, action, role)
    if target is None:
        raise IllegalTransition(
            f"a {role} cannot {action.replace('_', ' ')} a trip that is {old.replace('_', ' ')}",
            extra={"current_status": old.value, "action": action},
        )
    rule = domain.ACTIONS[action]
    if domain.needs_reason(action, role) and not reason.strip():
        raise InvalidTrip("say why", extra={"errors": {"reason": ["Required."]}})
    if rule.driver_free and trip.shift is not None and not trip.shift.pooling:
        busy = Trip.objects.filter(driver_id=trip.driver_id, status=TripStatus.IN_PROGRESS).exclude(id=trip.id)
        if busy.exists():
            raise IllegalTransition(
                "the driver already has a trip in progress and the shift does not pool", code="trips.driver_busy"
            )
    if rule.pins_done and trip.stops.filter(status__in=OPEN_STOP).exclude(pin_hash="").exists():
        raise ProofMissing("a drop-off that needs the customer's PIN is not done yet")
    if rule.unassigns:
        handled = sorted(trip.stops.exclude(status__in=OPEN_STOP).values_list("sequence", flat=True))
        if handled:
            raise IllegalTransition(
                "a stop is already done or failed: the goods are on board, the trip stays with its driver",
                code="trips.goods_on_board",
                extra={"current_status": old.value, "action": action, "stops_handled": handled},
            )
    now = timezone.now()
    previous_driver_id = trip.driver_id
    trip.status = target
    fields = ["status"]
    if rule.starts:
        trip.started_at = now
        fields.append("started_at")
    if rule.unassigns:
        _off_its_shift(trip, now)
        trip.requested_at = now
        fields += ["requested_at", "shift", "driver_id", "vehicle_id", "started_at", *LIVE_ESTIMATE]
    if target in TERMINAL_STATUSES:
        trip.ended_at, trip.end_reason = now, reason.strip()
        fields += ["ended_at", "end_reason"]
        trip.stops.filter(status=StopStatus.PENDING).update(
            status=StopStatus.DONE if target == TripStatus.COMPLETED else StopStatus.FAILED
        )
    versioned_save(trip, *fields)
    if target in TERMINAL_STATUSES:
        figures.trip_ended(trip)  # the overview's daily figures, in this transaction
    timeline_add(trip, action=action, old=old, actor_id=actor_id, role=role, reason=reason.strip(), at_point=location)
    publish(
        TripStatusChangedV1(
            trip_id=trip.id,
            fleet_id=trip.fleet_id,
            old_status=old,
            new_status=target,
            version=trip.version,
            driver_id=trip.driver_id,
            reason=reason.strip() if rule.unassigns else "",
        )
    )
    exact = snapshot(trip)
    now_snapshot, said = exact, reason.strip()
    if target in TERMINAL_STATUSES and trip.erase_when_ended:
        # An erased customer's trip is scrubbed as it ends, before its events: the V2 ones carry the stops'
        # addresses, and a free-text reason may name people (the scrub empties it on the trip too).
        scrubbing.scrub(Trip.objects.filter(id=trip.id))
        trip.refresh_from_db()
        now_snapshot, said = snapshot(trip), ""
    if rule.unassigns:
        publish(
            TripStatusChangedV2(
                old_status=old,
                new_status=target,
                trip=now_snapshot,
                reason=said,
                previous_driver_id=previous_driver_id,
            )
        )
    else:
        publish(TripStatusChangedV2(old_status=old, new_status=target, trip=now_snapshot))
    if target == TripStatus.COMPLETED:  # the fallback distance from the exact stops, as before the scrub
        _publish_completed(trip, exact, now_snapshot, distance_m=distance_m, waiting_s=waiting_s)
    elif target == TripStatus.CANCELLED:
        publish(
            TripCancelledV1(
                trip_id=trip.id,
                fleet_id=trip.fleet_id,
                customer_id=trip.customer_id,
                driver_id=trip.driver_id,
                quote_id=trip.quote_id,
                cancelled_by=ActorRole(role),
                reason=said,
                booked_at=trip.created_at,
                cancelled_at=now,
            )
        )
        publish(TripCancelledV2(cancelled_by=ActorRole(role), reason=said, trip=now_snapshot))
    elif target == TripStatus.FAILED:
        publish(TripFailedV1(trip_id=trip.id, fleet_id=trip.fleet_id, driver_id=trip.driver_id, reason=said))
        publish(TripFailedV2(reason=said, trip=now_snapshot))
    return trip


LIVE_ESTIMATE = ("eta_at", "tracking_lat", "tracking_lng", "tracking_at")


def _off_its_shift(trip: Trip, now: dt.datetime) -> None:
    """Unassigned: no shift, driver or vehicle (the shift's load no longer counts it), not started, no driver's
    estimate on the tracking page; arrivals at its stops undone (the next driver arrives anew; the timeline keeps
    them); open offers withdrawn."""
    trip.shift, trip.driver_id, trip.vehicle_id, trip.started_at = None, None, None, None
    trip.eta_at, trip.tracking_lat, trip.tracking_lng, trip.tracking_at = None, None, None, None
    trip.stops.filter(status=StopStatus.ARRIVED).update(status=StopStatus.PENDING, arrived_at=None)
    trip.offers.filter(status=Offer.Status.PENDING).update(status=Offer.Status.WITHDRAWN, answered_at=now)


def _publish_completed(
    trip: Trip, exact: TripSnapshot, now: TripSnapshot, *, distance_m: int | None, waiting_s: int
) -> None:
    points = tuple(GeoPoint(s.lat, s.lng) for s in exact.stops)
    if distance_m is None:  # no odometer figure: the straight legs with a road factor
        distance_m = round(road_distance_m(points, detour=settings.ROAD_DETOUR_FACTOR))
    started = trip.started_at or trip.created_at
    ended_at, driver_id = trip.ended_at, trip.driver_id
    # the transition has just ended it, and only a trip under way, so with its driver, is completed
    assert ended_at is not None and driver_id is not None
    publish(
        TripCompletedV1(
            trip_id=trip.id,
            fleet_id=trip.fleet_id,
            customer_id=trip.customer_id,
            driver_id=driver_id,
            vehicle_type=trip.vehicle_type,
            service=trip.service,
            quote_id=trip.quote_id,
            distance_m=distance_m,
            duration_s=int((ended_at - started).total_seconds()),
            waiting_s=waiting_s,
            stops=len(points),
            started_at=started,
            completed_at=ended_at,
            stop_points=points,
        )
    )
    duration_s = int((ended_at - started).total_seconds())
    publish(TripCompletedV2(distance_m=distance_m, duration_s=duration_s, waiting_s=waiting_s, trip=now))
