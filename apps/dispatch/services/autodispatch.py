"""Auto-dispatch: a requested trip is offered to the best candidate, then the next on each refusal or lapse, and
flagged for a dispatcher when nobody is left, or when a dispatcher took it back from its driver."""

from __future__ import annotations

import uuid

from django.conf import settings

from apps.dispatch import feed, integrations, live, matching
from apps.dispatch.contracts import TripView
from apps.dispatch.models import DispatchAttempt
from apps.dispatch.services import board
from apps.trips.contracts import TERMINAL_STATUSES, IllegalTransition, TripStatus
from logitrack.db import contexts


@contexts.atomic("dispatch")
def auto_dispatch_start(*, trip: TripView) -> None:
    """A new trip: show it, and when the fleet auto-dispatches, offer it to the best candidate."""
    if integrations.auto_dispatch_enabled(fleet_id=trip.fleet_id):
        attempt, _ = DispatchAttempt.objects.get_or_create(trip_id=trip.id, defaults={"fleet_id": trip.fleet_id})
        _offer_to_next_candidate(DispatchAttempt.objects.select_for_update().get(id=attempt.id), trip)
    board.trip_card_push(trip=trip, change="requested")


@contexts.atomic("dispatch")
def offer_next(*, trip: TripView, driver_id: uuid.UUID, expired: bool, reason: str) -> None:
    """The offered driver refused or let the offer run out: the next candidate gets it (auto-dispatch only)."""
    attempt = DispatchAttempt.objects.select_for_update().filter(trip_id=trip.id).first()
    if attempt is not None and attempt.status == DispatchAttempt.Status.OFFERED:
        _offer_to_next_candidate(attempt, trip)
    feed.to_fleet(
        trip.fleet_id,
        "offer_declined",
        {"trip_id": str(trip.id), "driver_id": str(driver_id), "expired": expired, "reason": reason},
    )
    board.trip_card_push(trip=trip, change="offer_declined")


@contexts.atomic("dispatch")
def unassigned_flag(*, trip: TripView, reason: str, previous_driver_id: uuid.UUID | None) -> None:
    """A dispatcher took the trip back from its driver on purpose: it is not offered again on its own but flagged
    for a dispatcher with the reason; the screens show it requested again, the driver's app hears it is gone."""
    if not live.store().trip_version_current(trip.id, trip.version):
        return  # a late event: the trip has moved on (assigned again, cancelled) since
    attempt, _ = DispatchAttempt.objects.select_for_update().get_or_create(
        trip_id=trip.id, defaults={"fleet_id": trip.fleet_id}
    )
    _flag(attempt, f"unassigned by a dispatcher: {reason}"[:300] if reason else "unassigned by a dispatcher")
    board.trip_card_push(trip=trip, change="unassigned")
    if previous_driver_id is not None:
        feed.to_driver(previous_driver_id, "unassigned", {"trip_id": str(trip.id), "reason": reason})


def _flag(attempt: DispatchAttempt, reason: str) -> None:
    attempt.status, attempt.flag_reason, attempt.offered_driver_id = DispatchAttempt.Status.FLAGGED, reason, None
    attempt.save(update_fields=["status", "flag_reason", "offered_driver_id", "updated_at"])


def _moved_on(attempt: DispatchAttempt, status: str) -> None:
    """The trip is no longer waiting for a driver: auto-dispatch's part is over."""
    attempt.status = DispatchAttempt.Status.CLOSED if status in TERMINAL_STATUSES else DispatchAttempt.Status.ASSIGNED
    attempt.save(update_fields=["status", "updated_at"])


def _offer_to_next_candidate(attempt: DispatchAttempt, trip: TripView) -> None:
    """Offer the trip (as the event that woke auto-dispatch saw it) to the best candidate not tried yet. Trips
    judges each offer as the trip is now: one that moved on since the event is refused with its current status."""
    if trip.status != TripStatus.REQUESTED:
        _moved_on(attempt, trip.status)
        return
    if attempt.offers_made >= settings.DISPATCH_MAX_OFFERS:
        _flag(attempt, f"no driver took it after {attempt.offers_made} offers")
        return
    tried = {uuid.UUID(d) for d in attempt.tried_driver_ids}
    for candidate in matching.strategy().candidates(trip, exclude=tried):
        try:
            integrations.offer_make(trip_id=trip.id, shift_id=candidate.shift_id)
        except IllegalTransition as exc:
            if exc.code == "trips.offer_open":  # a dispatcher offered it meanwhile
                return
            if "current_status" in exc.extra:  # assigned, cancelled… since the event: not this shift's fault
                _moved_on(attempt, exc.extra["current_status"])
                return
            tried.add(candidate.driver_id)  # trips' own checks refused this shift: try the next one
            continue
        attempt.status, attempt.offered_driver_id = DispatchAttempt.Status.OFFERED, candidate.driver_id
        attempt.offers_made += 1
        attempt.tried_driver_ids = [str(d) for d in [*tried, candidate.driver_id]]
        attempt.save(update_fields=["status", "offered_driver_id", "offers_made", "tried_driver_ids", "updated_at"])
        return
    attempt.tried_driver_ids = [str(d) for d in tried]
    _flag(attempt, "no eligible driver nearby" if not attempt.offers_made else "no other eligible driver nearby")
